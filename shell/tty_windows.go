package shell

import (
	"os"

	"golang.org/x/term"
)

// ttyModes are the console's modes as the shell found them: restored at
// the end and while a command runs (Ctrl-C is then os.Interrupt, which
// stops the command). Unlike on Unix, what is typed during a command is
// echoed.
type ttyModes struct {
	fd    int
	saved *term.State
}

func getTTYModes(fd int) (*ttyModes, error) {
	saved, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	return &ttyModes{fd: fd, saved: saved}, nil
}

func (m *ttyModes) setQuiet() error { return term.Restore(m.fd, m.saved) }

func (m *ttyModes) restore() { term.Restore(m.fd, m.saved) }

// resizeSignals: Windows has none; the width is read once, at the start.
var resizeSignals []os.Signal
