package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// Redirection, as sh(1) has it, for every command: CMD > FILE writes what
// the command prints to FILE (created or truncated), CMD >> FILE appends,
// CMD < FILE gives the command FILE as its input, byte for byte. The
// operators are found in the line before it is split into words, outside
// quotes ('a > b' is one word), with or without spaces around them
// (ping 10.0.0.2>out). Execute hooks in twice: splitRedirected instead of
// splitWords, and redirects.run around the command's Run.

// redirects are the files a command line names with <, > and >>.
type redirects struct {
	in     string // < FILE
	out    string // > FILE or >> FILE
	append bool   // >>
}

// splitRedirected takes the redirections out of line and splits the rest
// into words. A comment line is left alone.
func splitRedirected(line string) ([]string, redirects, error) {
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		return nil, redirects{}, nil
	}
	rest, r, err := parseRedirects(line)
	if err != nil {
		return nil, r, err
	}
	args, err := splitWords(rest)
	if err == nil && len(args) == 0 && (r.in != "" || r.out != "") {
		err = fmt.Errorf("%s: no command to redirect (write the command first: CMD %s)", r.describe(), r.describe())
	}
	return args, r, err
}

// parseRedirects returns line without its redirections, and what they
// name. The file name is the next word, which may be quoted.
func parseRedirects(line string) (string, redirects, error) {
	var r redirects
	var rest strings.Builder
	var q quoting
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !q.quoted(c) && (c == '<' || c == '>') {
			op := string(c)
			if c == '>' && i+1 < len(line) && line[i+1] == '>' {
				op, i = ">>", i+1
			}
			name, next, err := redirectTarget(line, i+1)
			if err != nil {
				return "", r, fmt.Errorf("%s: %w", op, err)
			}
			if err := r.set(op, name); err != nil {
				return "", r, err
			}
			rest.WriteByte(' ') // "a>b c" leaves "a c"
			i = next - 1
			continue
		}
		rest.WriteByte(c)
	}
	return rest.String(), r, nil // an open quote is splitWords' to report
}

// quoting follows single and double quotes along a line, byte by byte
// (a quote is ASCII, so never part of a longer UTF-8 sequence).
type quoting struct{ open byte }

// quoted says whether c, the line's next byte, is a quote or inside one;
// only bytes outside quotes are the line's syntax (< > ; &).
func (q *quoting) quoted(c byte) bool {
	switch {
	case q.open != 0:
		if c == q.open {
			q.open = 0
		}
		return true
	case c == '"' || c == '\'':
		q.open = c
		return true
	}
	return false
}

// redirectTarget reads the word that starts at or after line[i]: the file
// name, unquoted. It returns the name and the index after it.
func redirectTarget(line string, i int) (string, int, error) {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	var name strings.Builder
	var quote byte
	for ; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			name.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '<' || c == '>':
			return checkTarget(name.String(), i)
		default:
			name.WriteByte(c)
		}
	}
	if quote != 0 {
		return "", i, fmt.Errorf("unterminated %c quote", quote)
	}
	return checkTarget(name.String(), i)
}

func checkTarget(name string, next int) (string, int, error) {
	if name == "" {
		return "", next, errors.New("no file name after it (CMD > FILE, CMD >> FILE, CMD < FILE)")
	}
	return name, next, nil
}

// set records one operator; a second input or output is refused, as the
// shell could honour only one of them.
func (r *redirects) set(op, name string) error {
	if op == "<" {
		if r.in != "" {
			return fmt.Errorf("< %s: the input is already %s (one < per command)", name, r.in)
		}
		r.in = name
		return nil
	}
	if r.out != "" {
		return fmt.Errorf("%s %s: the output already goes to %s (one > or >> per command)", op, name, r.out)
	}
	r.out, r.append = name, op == ">>"
	return nil
}

// describe prints the redirections as typed.
func (r redirects) describe() string {
	var parts []string
	if r.in != "" {
		parts = append(parts, "< "+r.in)
	}
	if r.out != "" {
		op := ">"
		if r.append {
			op = ">>"
		}
		parts = append(parts, op+" "+r.out)
	}
	return strings.Join(parts, " ")
}

// run runs c with its output going to the output file, if any, and the
// input file as its input (stdinOf). Files are opened before the command
// runs, so a missing input leaves no empty output behind, and closed when
// it returns. What the command leaves running in the background (debug
// -n) keeps the shell's own output.
func (r redirects) run(ctx context.Context, sh *Shell, c *Command, args []string) error {
	if r.in == "" && r.out == "" {
		return c.Run(ctx, sh, args)
	}
	if r.in != "" {
		in, err := os.Open(r.in)
		if err != nil {
			return fmt.Errorf("%s: < %s: %s", c.Name, r.in, fileError(err))
		}
		defer in.Close()
		ctx = context.WithValue(ctx, stdinKey{}, io.Reader(in))
	}
	if r.out == "" {
		return c.Run(ctx, sh, args)
	}
	w := &redirectWriter{to: io.Discard}
	var f *os.File
	if r.out != os.DevNull { // /dev/null discards: no file, no copy or write(2) per chunk
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if r.append {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		var err error
		if f, err = os.OpenFile(r.out, flags, 0o644); err != nil {
			return fmt.Errorf("%s: > %s: %s", c.Name, r.out, fileError(err))
		}
		w.buf = bufio.NewWriterSize(f, 64<<10)
		w.to = w.buf
	}
	saved := sh.Out
	sh.Out = w
	err := c.Run(ctx, sh, args)
	sh.Out = saved
	werr := w.detach(saved)
	if f != nil {
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
	}
	if werr != nil && err == nil {
		err = fmt.Errorf("%s: > %s: %s", c.Name, r.out, fileError(werr))
	}
	return err
}

// redirectWriter is a command's redirected output. A goroutine the command
// left running may still hold it when the command returns: detach then
// flushes the file and sends later writes to the shell's own output.
type redirectWriter struct {
	mu       sync.Mutex
	to       io.Writer     // buf, or io.Discard for /dev/null
	buf      *bufio.Writer // nil for /dev/null
	detached io.Writer
}

func (w *redirectWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.detached != nil {
		return w.detached.Write(b)
	}
	return w.to.Write(b)
}

func (w *redirectWriter) detach(out io.Writer) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.detached = out
	if w.buf == nil {
		return nil
	}
	return w.buf.Flush()
}

// stdinKey carries a command's redirected input in its context.
type stdinKey struct{}

// stdinOf returns the file given with < to the command running under ctx,
// or nil if its input was not redirected.
func stdinOf(ctx context.Context) io.Reader {
	r, _ := ctx.Value(stdinKey{}).(io.Reader)
	return r
}

// fileError is the system's words for a file error, without Go's "open
// NAME:" prefix: "no such file or directory".
func fileError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
