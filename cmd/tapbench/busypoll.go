//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/songgao/water"
	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
)

// busyTAP is an experiment for the profiling harness only (-busy-poll): the
// TAP driver of netdev/tap, except that ReadFrame spins on a non-blocking
// read(2) for up to spin after the last frame before it sleeps in poll(2).
// It measures what busy-polling would save; the real driver is netdev/tap.
type busyTAP struct {
	file   *os.File
	fd     int
	spin   time.Duration
	closed atomic.Bool
}

func openBusyTAP(name string, spin time.Duration) (*busyTAP, error) {
	cfg := water.Config{DeviceType: water.TAP}
	cfg.Name = name
	ifc, err := water.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("tap %s: %w", name, err)
	}
	f, ok := ifc.ReadWriteCloser.(*os.File)
	if !ok {
		ifc.Close()
		return nil, errors.New("tap: water returned no file")
	}
	sc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	fd := -1
	sc.Control(func(u uintptr) { fd = int(u) })
	return &busyTAP{file: f, fd: fd, spin: spin}, nil
}

func (t *busyTAP) Kind() string { return "tap" }

func (t *busyTAP) ReadFrame(buf []byte) (int, error) {
	var until time.Time
	for !t.closed.Load() {
		n, err := unix.Read(t.fd, buf)
		switch err {
		case nil:
			return n, nil
		case unix.EAGAIN, unix.EINTR:
		default:
			return 0, err
		}
		if until.IsZero() {
			until = time.Now().Add(t.spin)
		}
		if time.Now().Before(until) {
			continue // spin: the next frame is usually microseconds away
		}
		fds := [1]unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLIN}}
		unix.Poll(fds[:], 100) // bounded, so Close is seen within 100 ms
		until = time.Time{}
	}
	return 0, netdev.ErrClosed
}

func (t *busyTAP) WriteFrame(frame []byte) error {
	for {
		_, err := unix.Write(t.fd, frame)
		if err != unix.EINTR {
			return err
		}
	}
}

func (t *busyTAP) Close() error {
	t.closed.Store(true)
	time.Sleep(150 * time.Millisecond) // the reader leaves its poll(2)
	return t.file.Close()
}
