package shell

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
)

// The one output path at a terminal. Everything printed while the prompt
// may be on screen goes through a console: the running command's output,
// debug's traces and the stack's notices (a device that went away). The
// terminal (x/term) prints a write above the prompt and the line being
// typed, then redraws them, so a line is never cut by the prompt; it draws
// the prompt only while a line is read, never while a command runs.
//
// A command may leave an unfinished line on screen (traceroute prints a
// hop probe by probe). A line from the background then steps around it:
// the unfinished line is erased, the background line printed, and the
// unfinished line printed again below it, so neither is torn.

// maxPartial bounds the unfinished line the console remembers; a longer
// one is printed but not repeated after a background line.
const maxPartial = 1024

// console serialises what goes to the terminal.
type console struct {
	mu      sync.Mutex
	screen  io.Writer // the terminal: prints above the prompt if one is shown
	width   func() int
	partial []byte // the command's unfinished line, as it is on screen
}

func newConsole(screen io.Writer, width func() int) *console {
	return &console{screen: screen, width: width}
}

// foreground is the running command's output: written at once.
type foreground struct{ c *console }

func (f foreground) Write(p []byte) (int, error) {
	c := f.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
		c.partial = append(c.partial[:0], p[i+1:]...)
	} else {
		c.partial = append(c.partial, p...)
	}
	if len(c.partial) > maxPartial {
		c.partial = c.partial[:0]
	}
	return c.screen.Write(p)
}

// background prints whole lines from outside the running command (debug
// traces, notices): each Write is one unit, ended with a newline if it
// lacks one.
type background struct{ c *console }

func (b background) Write(p []byte) (int, error) {
	b.c.printLines(p)
	return len(p), nil
}

func (c *console) printLines(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out bytes.Buffer
	partial := c.visiblePartial()
	if partial {
		out.WriteString(c.eraseCurrent())
	}
	out.Write(p)
	if len(p) == 0 || p[len(p)-1] != '\n' {
		out.WriteByte('\n')
	}
	if partial {
		out.Write(c.partial)
	}
	c.screen.Write(out.Bytes())
}

// eraseCurrent returns what moves the cursor to the start of the
// unfinished line, which may have wrapped, and clears it to the end of
// the screen.
func (c *console) eraseCurrent() string {
	up := 0
	if w := c.width(); w > 0 {
		up = (visibleLen(c.partial) - 1) / w
	}
	s := "\r"
	if up > 0 {
		s += fmt.Sprintf("\x1b[%dA", up)
	}
	return s + "\x1b[J"
}

// endCommand ends an unfinished line the command left, so the prompt
// starts a line of its own.
func (c *console) endCommand() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.visiblePartial() {
		c.screen.Write([]byte("\n"))
	}
	c.partial = c.partial[:0]
}

// visiblePartial says whether the command left text on an unfinished
// line (not just escapes: clear's leaves the cursor at the top).
func (c *console) visiblePartial() bool { return visibleLen(c.partial) > 0 }

// visibleLen counts the columns s takes: runes, without colour escapes.
func visibleLen(s []byte) int {
	n, esc := 0, false
	for _, r := range string(s) {
		switch {
		case esc:
			esc = !(r >= '@' && r <= '~' && r != '[')
		case r == '\x1b':
			esc = true
		default:
			n++
		}
	}
	return n
}

// Notice prints msg, one line from outside any command ("tap0: device
// removed"), where a person sees it: at the terminal above the prompt,
// which is redrawn, without cutting the running command's output;
// otherwise on the error stream, whole. It may be called from any
// goroutine at any time (cmd/tapip hooks the stack's device events to it).
func (sh *Shell) Notice(msg string) {
	line := strings.TrimRight(msg, "\n") + "\n"
	if c := sh.console.Load(); c != nil {
		c.printLines([]byte(line))
		return
	}
	sh.noticeMu.Lock()
	defer sh.noticeMu.Unlock()
	io.WriteString(sh.Err, line)
}

// backgroundOut is where output from outside the running command goes:
// the console at a terminal, else Out.
func (sh *Shell) backgroundOut() io.Writer {
	if c := sh.console.Load(); c != nil {
		return background{c}
	}
	return sh.Out
}
