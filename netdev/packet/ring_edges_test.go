//go:build linux

package packet

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/netdev"
)

// Kernel-peer tests of the driver's edges: Close, oversized frames, the
// interface going down.

// Close wakes a reader blocked on an empty rx ring and a writer blocked on
// a full tx ring (a token bucket of 1 kB/s holds the frames in veth0's
// queue); both return ErrClosed.
func TestCloseWakesReaderAndWriter(t *testing.T) {
	us, _, _ := kernelPeer(t, netip.MustParsePrefix("10.77.1.2/24"))
	nstest.Run(t, us, "tc", "qdisc", "add", "dev", "veth0", "root", "tbf", "rate", "8kbit", "burst", "1600", "limit", "1000000")
	p := openIn(t, us, "veth0", defaultFeatures())
	rerr, werr := make(chan error, 1), make(chan error, 1)
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, err := p.ReadFrame(buf); err != nil {
				rerr <- err
				return
			}
		}
	}()
	go func() {
		for i := range uint32(10 * p.rings.tx.g.frameNr) {
			if err := p.WriteFrame(testFrame(benchType, 4, i, 60)); err != nil {
				werr <- err
				return
			}
		}
		werr <- errors.New("wrote every frame: the tx ring never filled")
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]chan error{"ReadFrame": rerr, "WriteFrame": werr} {
		select {
		case err := <-c:
			if !errors.Is(err, netdev.ErrClosed) {
				t.Errorf("%s after Close: %v, want netdev.ErrClosed", name, err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("Close did not wake the blocked %s", name)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v to wake reader and writer", d)
	}
	if err := p.WriteFrame(make([]byte, 60)); !errors.Is(err, netdev.ErrClosed) {
		t.Fatalf("WriteFrame after Close: %v, want netdev.ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A frame beyond the MTU is refused before queuing: 1514 bytes at MTU
// 1500, 1518 with an 802.1Q tag. A frame the kernel refuses at send (with
// a virtio_net_hdr, the kernel checks no MTU: here a header the test
// spoils after queuing) is dropped and counted, its error returned, and
// its slot reused: the frames after it go out.
func TestWriteTooLarge(t *testing.T) {
	us, peer, _ := kernelPeer(t, netip.MustParsePrefix("10.77.5.2/24"))
	p := openIn(t, us, "veth0", defaultFeatures())
	fd := peerSocket(t, peer, "veth1")
	if p.MaxFrame() != 1518 {
		t.Errorf("MaxFrame() = %d at MTU 1500, want 1518", p.MaxFrame())
	}
	tagged := func(size int) []byte {
		f := testFrame(benchType, 5, 0, size)
		binary.BigEndian.PutUint16(f[12:], etherType8021Q)
		return f
	}
	for _, tc := range []struct {
		frame []byte
		ok    bool
	}{
		{testFrame(benchType, 5, 0, 1514), true},
		{testFrame(benchType, 5, 0, 1515), false},
		{tagged(1518), true},
		{tagged(1519), false},
		{testFrame(benchType, 5, 0, p.rings.tx.room()+1), false},
	} {
		err := p.WriteFrame(tc.frame)
		if tc.ok && err != nil {
			t.Errorf("WriteFrame(%d bytes, 802.1Q %v) = %v", len(tc.frame), tc.frame[12] == 0x81, err)
		}
		if !tc.ok && (!errors.Is(err, ErrFrameTooLarge) || !errors.Is(err, unix.EMSGSIZE) || !strings.Contains(err.Error(), "1514 bytes, 1518 with an 802.1Q tag")) {
			t.Errorf("WriteFrame(%d bytes, 802.1Q %v) = %v, want ErrFrameTooLarge naming 1514 and 1518", len(tc.frame), tc.frame[12] == 0x81, err)
		}
	}
	if got := peerRecv(fd, benchType, 1, 2*time.Second); len(got) != 1 || len(got[0]) != 1514 {
		t.Errorf("peer received %d frames, want the 1514-byte one", len(got))
	}

	if !p.rings.tx.vnet {
		return // no header to spoil
	}
	p.txMu.Lock()
	slot := p.rings.tx.frame(p.rings.tx.cur)
	p.rings.tx.queue(testFrame(benchType, 5, 1, 200), nil)
	slot[txData+1] = 0x7f // the virtio_net_hdr's gso_type: no such type
	err := p.flushLocked()
	p.txMu.Unlock()
	if !errors.Is(err, unix.EINVAL) || p.Stats().TxWrongFormat.Load() != 1 {
		t.Errorf("flush of a frame with a bad virtio_net_hdr: %v, TxWrongFormat %d; want EINVAL, 1", err, p.Stats().TxWrongFormat.Load())
	}
	for seq := range uint32(3) {
		if err := p.WriteFrame(testFrame(benchType, 5, 2+seq, 200)); err != nil {
			t.Fatal(err)
		}
	}
	got := peerRecv(fd, benchType, 3, 2*time.Second)
	for i, f := range got {
		if _, seq, err := parseTestFrame(f, 200); err != nil || seq != uint32(2+i) {
			t.Errorf("frame %d after the refused one: seq %d, %v", i, seq, err)
		}
	}
	if len(got) != 3 {
		t.Fatalf("peer received %d of the 3 frames written after the refused one", len(got))
	}
}

// While the interface is down a write fails with ENETDOWN and the reader
// sleeps (the socket error is cleared, not polled in a loop); once it is
// up again frames flow both ways.
func TestInterfaceDownAndUp(t *testing.T) {
	us, peer, _ := kernelPeer(t, netip.MustParsePrefix("10.77.7.2/24"))
	p := openIn(t, us, "veth0", defaultFeatures())
	fd := peerSocket(t, peer, "veth1")
	frames := readFrames(p)
	nstest.Run(t, us, "ip", "link", "set", "veth0", "down")
	if err := p.WriteFrame(testFrame(benchType, 7, 0, 60)); !errors.Is(err, unix.ENETDOWN) || !strings.Contains(err.Error(), "down") {
		t.Errorf("WriteFrame on a down interface: %v, want ENETDOWN", err)
	}
	cpu0 := cpuTime()
	time.Sleep(200 * time.Millisecond)
	if used := time.Duration(cpuTime() - cpu0); used > 100*time.Millisecond {
		t.Errorf("%v of CPU in 200 ms with the interface down: the reader spins", used)
	}
	nstest.Run(t, us, "ip", "link", "set", "veth0", "up")
	deadline := time.Now().Add(3 * time.Second)
	for seq := uint32(1); ; seq++ { // until the link has carrier again
		peerSend(t, fd, testFrame(benchType, 7, seq, 60))
		select {
		case <-frames:
		case <-time.After(100 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no frame read after the interface came back up")
			}
			continue
		}
		break
	}
	if err := p.WriteFrame(testFrame(benchType, 8, 0, 60)); err != nil {
		t.Fatal(err)
	}
	if got := peerRecv(fd, benchType, 1, 2*time.Second); len(got) != 1 {
		t.Fatal("peer received nothing written after the interface came back up")
	}
}
