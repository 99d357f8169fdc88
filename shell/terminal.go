package shell

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"

	"golang.org/x/term"
)

// terminal is the interactive shell's terminal: golang.org/x/term edits
// the line, and prints output above the prompt while one is shown.
//
// The terminal has two modes. While a line is read it is raw: keys come
// one by one, and Ctrl-C is a key that clears the line. While a command
// runs it is as the shell found it but without echo: Ctrl-C is SIGINT,
// which stops the command, and what is typed meanwhile waits unseen (it
// would cut the command's output) until the next prompt shows it.
type terminal struct {
	fd       int
	out      io.Writer
	modes    *ttyModes // as we found it, and that without echo (tty_*.go)
	keys     *keyReader
	history  *history
	complete func(line string, pos int, key rune) (string, int, bool)
	width    atomic.Int64
	// command says the line read is a command line (it has a prompt), not
	// a line snc -c sends: only command lines are completed and kept.
	command atomic.Bool
	closed  atomic.Bool // a read still under way must not set a mode again
	stopWin func()

	mu     sync.Mutex // held while a line editor is replaced, and by Write
	editor *term.Terminal
}

func openTerminal(in, out *os.File, history *history, complete func(string, int, rune) (string, int, bool)) (*terminal, error) {
	fd := int(in.Fd())
	modes, err := getTTYModes(fd)
	if err != nil {
		return nil, err
	}
	tm := &terminal{fd: fd, out: out, modes: modes, keys: &keyReader{r: in}, history: history, complete: complete}
	tm.keys.command = &tm.command
	tm.stopWin = tm.followSize(int(out.Fd()))
	tm.editor = tm.newEditor()
	if err := tm.commandMode(); err != nil {
		tm.stopWin()
		return nil, err
	}
	return tm, nil
}

// newEditor returns a line editor with nothing on screen.
func (tm *terminal) newEditor() *term.Terminal {
	e := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{tm.keys, tm.out}, "")
	e.History = commandHistory{tm}
	e.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
		if !tm.command.Load() {
			return "", 0, false
		}
		return tm.complete(line, pos, key)
	}
	if w := int(tm.width.Load()); w > 0 {
		e.SetSize(w, 0)
	}
	return e
}

// followSize keeps the terminal's width, now and at each resize signal
// (SIGWINCH; Windows has none: the width is read once), so long lines wrap
// where the terminal wraps them.
func (tm *terminal) followSize(fd int) func() {
	resize := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			tm.width.Store(int64(w))
			tm.mu.Lock()
			if tm.editor != nil {
				tm.editor.SetSize(w, h)
			}
			tm.mu.Unlock()
		}
	}
	resize()
	if len(resizeSignals) == 0 {
		return func() {}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, resizeSignals...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				resize()
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { signal.Stop(sig); close(done) }) }
}

// columns is the terminal's width, 0 if unknown.
func (tm *terminal) columns() int { return int(tm.width.Load()) }

func (tm *terminal) rawMode() error {
	if tm.closed.Load() {
		return errClosedTerminal
	}
	_, err := term.MakeRaw(tm.fd)
	return err
}

func (tm *terminal) commandMode() error {
	if tm.closed.Load() {
		return errClosedTerminal
	}
	return tm.modes.setQuiet()
}

var errClosedTerminal = errors.New("terminal closed")

// close gives the terminal back as it was found.
func (tm *terminal) close() {
	tm.closed.Store(true)
	tm.stopWin()
	tm.modes.restore()
}

// readLine reads a line in raw mode: Ctrl-C gives errInterrupted, Ctrl-D
// on an empty line io.EOF. Either leaves the line on screen, ^C after it,
// and the next read starts below.
func (tm *terminal) readLine(prompt string) (string, error) {
	if err := tm.rawMode(); err != nil {
		return "", err
	}
	defer tm.commandMode()
	tm.mu.Lock()
	e := tm.editor
	tm.mu.Unlock()
	e.SetPrompt(prompt)
	tm.command.Store(prompt != "")
	line, err := e.ReadLine()
	switch {
	case err == io.EOF && tm.keys.interrupted.Swap(false):
		tm.startOver("^C\r\n")
		return "", errInterrupted
	case err == io.EOF:
		tm.startOver("\r\n")
		return "", io.EOF
	case err != nil:
		return "", err
	}
	return line + "\n", nil
}

// startOver ends the line on screen with end and gives the next read a
// fresh editor: x/term keeps the line it was given at Ctrl-C or Ctrl-D.
func (tm *terminal) startOver(end string) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	io.WriteString(tm.out, end)
	tm.editor = tm.newEditor()
}

// showPrompt changes the prompt of a read under way and redraws it.
func (tm *terminal) showPrompt(prompt string) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.editor.SetPrompt(prompt)
	tm.editor.Write(nil)
}

// Write prints p, above the prompt and the line being typed if they are
// on screen.
func (tm *terminal) Write(p []byte) (int, error) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.editor.Write(p)
}

// commandHistory is the history the line editor sees: it keeps command
// lines only.
type commandHistory struct{ tm *terminal }

func (c commandHistory) Add(line string) {
	if c.tm.command.Load() {
		c.tm.history.Add(line)
	}
}
func (c commandHistory) Len() int        { return c.tm.history.Len() }
func (c commandHistory) At(i int) string { return c.tm.history.At(i) }

// keyReader passes the terminal's bytes to the line editor. x/term ends
// ReadLine at Ctrl-C as at Ctrl-D, with io.EOF; so Ctrl-C is remembered,
// to tell the two apart. The keys before it, then End, go first, on their
// own: x/term echoes a read's keys only once all are handled, and a Ctrl-C
// among them would return before its echo.
type keyReader struct {
	r           io.Reader
	pending     []byte
	ctrlCNext   bool // a Ctrl-C follows pending
	interrupted atomic.Bool
	// commandCtrlC is a Ctrl-C read with the Enter before it (keys come
	// fast, pasted or over a slow link): it is for the command that Enter
	// starts, which the tty's SIGINT cannot reach since raw mode read it.
	commandCtrlC atomic.Bool
	// command is the terminal's: the line read is a command's. A line
	// snc -c reads keeps the Ctrl-C after it: it stops snc itself.
	command *atomic.Bool
}

func (k *keyReader) Read(p []byte) (int, error) {
	if len(k.pending) == 0 && k.ctrlCNext {
		k.ctrlCNext = false
		k.interrupted.Store(true)
		p[0] = 0x03
		return 1, nil
	}
	if len(k.pending) == 0 {
		buf := make([]byte, len(p))
		n, err := k.r.Read(buf)
		if n == 0 {
			return 0, err
		}
		buf = buf[:n]
		if i := bytes.IndexByte(buf, 0x03); i >= 0 { // Ctrl-C
			if j := bytes.IndexAny(buf[:i], "\r\n"); j >= 0 && k.command != nil && k.command.Load() {
				// Typed after Enter, as a tty's ^C it stops the command
				// that line starts, and drops what follows.
				buf = buf[:j+1]
				k.commandCtrlC.Store(true)
			} else {
				k.ctrlCNext = true
				buf = append(buf[:i:i], 0x05) // Ctrl-E; what follows is dropped, as a terminal's ^C flushes input
			}
		}
		k.pending = buf
	}
	n := copy(p, k.pending)
	k.pending = k.pending[n:]
	return n, nil
}
