package shell

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync"

	"github.com/gotapip/gotapip/udp"
)

// The shell's input is shared: the prompt reads command lines from it and
// snc -c the lines typed after its command. A read of a terminal or a pipe
// cannot be called off, so a command that stops (Ctrl-C) while waiting for
// a line must not leave a reader of its own behind: that reader would take
// the next line typed at the prompt. Every read goes through one
// lineSource instead, which runs at most one read at a time and hands its
// line to whoever asks next.

// errInterrupted is a read ended by Ctrl-C at the terminal.
var errInterrupted = errors.New("interrupted")

// lineReader reads the next line of an input, with its newline if it had
// one, or io.EOF at the end. prompt is for a terminal to show.
type lineReader interface {
	readLine(prompt string) (string, error)
}

// lineSource gives out the lines of one input to one reader at a time.
type lineSource struct {
	r         lineReader
	setPrompt func(string) // shows another prompt for a read under way; nil: no prompt

	mu      sync.Mutex
	pending *pendingRead // the read under way, if any
}

type pendingRead struct {
	prompt string // s.mu
	done   chan struct{}
	line   string // set before done is closed
	err    error
}

func newLineSource(r lineReader, setPrompt func(string)) *lineSource {
	return &lineSource{r: r, setPrompt: setPrompt}
}

// next returns the next line, showing prompt while it waits. If ctx ends
// first it returns ctx.Err() and leaves the read under way: the line it
// gets goes to the next caller, so no line is lost or read twice, and the
// read's goroutine ends with the read.
func (s *lineSource) next(ctx context.Context, prompt string) (string, error) {
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		p := s.read(prompt)
		select {
		case <-p.done:
			if s.take(p) {
				return p.line, p.err
			}
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// read returns the read under way, now showing prompt, or starts one.
func (s *lineSource) read(prompt string) *pendingRead {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pending; p != nil {
		if p.prompt != prompt && s.setPrompt != nil {
			s.setPrompt(prompt)
			p.prompt = prompt
		}
		return p
	}
	p := &pendingRead{prompt: prompt, done: make(chan struct{})}
	s.pending = p
	go func() {
		p.line, p.err = s.r.readLine(prompt)
		close(p.done)
	}()
	return p
}

// take claims the finished read p for the caller; false if another caller
// has.
func (s *lineSource) take(p *pendingRead) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != p {
		return false
	}
	s.pending = nil
	return true
}

// SetInput gives snc -c the lines of r to read (cmd/tapip -c: stdin); nil
// takes it away. Without it, snc -c reads the lines that follow it at the
// terminal (RunInteractive) or in the script (RunScript). The shell reads r
// through one buffered line source: a line that a cancelled snc did not
// take goes to the next command that reads. Set it before running commands.
func (sh *Shell) SetInput(r io.Reader) {
	if r == nil {
		sh.input.Store(nil)
		return
	}
	sh.input.Store(newLineSource(&readerLines{r: bufio.NewReaderSize(r, udp.MaxPayload)}, nil))
}

// lines returns what snc -c reads, or nil if there is nothing.
func (sh *Shell) lines() *lineSource {
	if s := sh.input.Load(); s != nil {
		return s
	}
	return sh.loopInput.Load()
}

// readerLines reads the lines of an io.Reader; a line longer than a
// datagram comes in datagram-sized pieces.
type readerLines struct {
	r    *bufio.Reader
	held error // the error that came with the last line, for the next call
}

func (r *readerLines) readLine(string) (string, error) {
	if err := r.held; err != nil {
		r.held = nil
		return "", err
	}
	line, err := r.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil
	}
	if len(line) > 0 {
		r.held = err
		return string(line), nil
	}
	return "", err
}

// scannerLines reads the lines of a script.
type scannerLines struct{ sc *bufio.Scanner }

func (s scannerLines) readLine(string) (string, error) {
	if s.sc.Scan() {
		return s.sc.Text() + "\n", nil
	}
	if err := s.sc.Err(); err != nil {
		return "", err
	}
	return "", io.EOF
}
