//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package shell

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ttyModes are the terminal's modes as the shell found them, restored at
// the end, and those without echo, for while a command runs: Ctrl-C stays
// SIGINT, and what is typed waits unseen for the next prompt.
type ttyModes struct {
	fd           int
	saved, quiet *unix.Termios
}

func getTTYModes(fd int) (*ttyModes, error) {
	saved, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	quiet := *saved
	quiet.Lflag &^= unix.ECHO | unix.ECHONL
	return &ttyModes{fd: fd, saved: saved, quiet: &quiet}, nil
}

func (m *ttyModes) setQuiet() error { return unix.IoctlSetTermios(m.fd, ioctlSetTermios, m.quiet) }

func (m *ttyModes) restore() { unix.IoctlSetTermios(m.fd, ioctlSetTermios, m.saved) }

// resizeSignals tell that the terminal's size changed.
var resizeSignals = []os.Signal{syscall.SIGWINCH}
