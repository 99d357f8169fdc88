//go:build linux

package tap

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/netdev"
)

// Asked to (EndBatches), ReadFrame reports the end of a batch once when
// the frames the kernel queued are all read: never before a frame, never
// twice in a row. The frames come from a packet socket on the kernel's
// side of the TAP.
func TestTAPReportsBatchEnds(t *testing.T) {
	tp, ns := openIn(t, "gtbatch0")
	nstest.Run(t, ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	nstest.Run(t, ns, "ip", "link", "set", "gtbatch0", "up")
	var fd int
	var err error
	nstest.Do(t, ns, func() {
		var ifc *net.Interface
		if ifc, err = net.InterfaceByName("gtbatch0"); err != nil {
			return
		}
		if fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0); err != nil {
			return
		}
		err = unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifc.Index})
	})
	if err != nil {
		t.Fatalf("packet socket: %v", err)
	}
	defer unix.Close(fd)
	send := func(marker byte) {
		frame := make([]byte, 60)
		copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 9, 0x88, 0xb5}) // local experimental EtherType
		frame[14] = marker
		if _, err := unix.Write(fd, frame); err != nil {
			t.Fatalf("write a frame to the TAP: %v", err)
		}
	}
	tp.EndBatches()
	buf := make([]byte, 2048)
	// readUntil reads until the frames marked want have come and a batch
	// end follows them, checking the ends come only after a frame. A TAP
	// that never reports the end would block in poll(2): after 10 s the
	// TAP is closed, which wakes it.
	readUntil := func(want ...byte) {
		t.Helper()
		done := make(chan string, 1)
		go func() {
			seen, last := 0, error(netdev.ErrBatchEnd) // as if a batch just ended
			for {
				n, err := tp.ReadFrame(buf)
				switch {
				case err == netdev.ErrBatchEnd && last == netdev.ErrBatchEnd:
					done <- "a batch end with no frame since the last one"
					return
				case err == netdev.ErrBatchEnd && seen == len(want):
					done <- ""
					return
				case err == netdev.ErrBatchEnd:
				case err != nil:
					done <- fmt.Sprintf("%d of the %d frames sent, then %v", seen, len(want), err)
					return
				case n >= 15 && bytes.Equal(buf[12:14], []byte{0x88, 0xb5}) && seen < len(want) && buf[14] == want[seen]:
					seen++
				}
				last = err
			}
		}()
		select {
		case msg := <-done:
			if msg != "" {
				t.Fatal(msg)
			}
		case <-time.After(10 * time.Second):
			tp.Close()
			t.Fatalf("no batch end after the frames: %s", <-done)
		}
	}
	send(1)
	send(2)
	send(3)
	readUntil(1, 2, 3)
	send(4)
	readUntil(4)
}
