package shell

import (
	"bytes"
	"io"
	"sync"
)

// jobOutput is a background job's Out or Err where it is the shell's own
// output: each whole line goes to the writer below in one Write, after the
// job's prefix ("[1] "), so lines of jobs and of the command in the
// foreground never cut into each other. An unfinished line waits for its
// end, up to maxPartial bytes.
type jobOutput struct {
	prefix string
	to     io.Writer

	mu      sync.Mutex
	partial []byte
}

func (w *jobOutput) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	var out []byte
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			break
		}
		out = w.appendLine(out, p[:i+1])
		p = p[i+1:]
	}
	w.partial = append(w.partial, p...)
	if len(w.partial) > maxPartial {
		out = w.appendLine(out, []byte("\n"))
	}
	if len(out) == 0 {
		return n, nil
	}
	_, err := w.to.Write(out)
	return n, err
}

// appendLine appends to out the prefix, the unfinished line and end, which
// finishes it.
func (w *jobOutput) appendLine(out, end []byte) []byte {
	out = append(out, w.prefix...)
	out = append(out, w.partial...)
	w.partial = w.partial[:0]
	return append(out, end...)
}

// flush ends an unfinished line: the job has ended.
func (w *jobOutput) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.to.Write(w.appendLine(nil, []byte("\n")))
	}
}

// offPrompt is where a job writes what the shell would write to w: at a
// terminal, lines printed above the prompt, which is redrawn.
func offPrompt(w io.Writer) io.Writer {
	if f, ok := w.(foreground); ok {
		return background{f.c}
	}
	return w
}
