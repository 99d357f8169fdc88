//go:build linux

package tap

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/netdev"
)

// openIn opens TAP name inside a fresh namespace and closes it at the end.
func openIn(t *testing.T, name string) (*TAP, string) {
	t.Helper()
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gttap")
	var tp *TAP
	var err error
	nstest.Do(t, ns, func() { tp, err = Open(name, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Close() })
	return tp, ns
}

// A TAP deleted from outside (ip link del) wakes a reader blocked in
// poll(2); the read and every write after it fail with EBADFD, which the
// driver reports as netdev.ErrGone.
func TestDeletedTAPIsGone(t *testing.T) {
	tp, ns := openIn(t, "gtgone0")
	nstest.Run(t, ns, "ip", "link", "set", "gtgone0", "up")
	read := make(chan error, 1)
	go func() { // frames the kernel sent before the deletion come first
		buf := make([]byte, 2048)
		var err error
		for err == nil {
			_, err = tp.ReadFrame(buf)
		}
		read <- err
	}()
	nstest.Run(t, ns, "ip", "link", "del", "gtgone0")
	if err := <-read; !errors.Is(err, netdev.ErrGone) || !errors.Is(err, unix.EBADFD) {
		t.Errorf("read after ip link del: %v, want netdev.ErrGone wrapping EBADFD", err)
	}
	if err := tp.WriteFrame(make([]byte, 60)); !errors.Is(err, netdev.ErrGone) {
		t.Errorf("write after ip link del: %v, want netdev.ErrGone", err)
	}
}

// A TAP whose kernel side is down is still there: a write fails (EIO) but
// is not taken for a removed device, and works once the link is up.
func TestDownTAPIsNotGone(t *testing.T) {
	tp, ns := openIn(t, "gtdown0")
	frame := make([]byte, 60)
	frame[0] = 0xff // broadcast
	err := tp.WriteFrame(frame)
	if err == nil || errors.Is(err, netdev.ErrGone) {
		t.Errorf("write with the link down: %v, want an error that is not netdev.ErrGone", err)
	}
	nstest.Run(t, ns, "ip", "link", "set", "gtdown0", "up")
	if err := tp.WriteFrame(frame); err != nil {
		t.Errorf("write with the link up: %v", err)
	}
}
