//go:build linux

package macvtap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/netdev"
)

// Kernel tests of the driver: a veth pair, mv0 in namespace ours (the
// macvtap's parent) and mv1 in theirs, where a raw packet socket plays the
// other host.

var (
	ourMAC   = netdev.MAC{0x02, 0, 0x0a, 0, 0x08, 0x01}
	testType = uint16(0x88b5) // IEEE 802 local experimental EtherType
)

type testLAN struct {
	ours, theirs string
	peer         int // raw socket on mv1
}

func newTestLAN(t *testing.T) *testLAN {
	t.Helper()
	nstest.RequireRoot(t)
	l := &testLAN{ours: nstest.NewNetns(t, "gtmvd"), theirs: nstest.NewNetns(t, "gtmvd")}
	nstest.Run(t, l.ours, "ip", "link", "add", "mv0", "type", "veth", "peer", "name", "mv1", "netns", l.theirs)
	nstest.Run(t, l.ours, "ip", "link", "set", "mv0", "up")
	nstest.Run(t, l.theirs, "ip", "link", "set", "mv1", "up")
	var err error
	nstest.Do(t, l.theirs, func() {
		l.peer, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err == nil {
			var ifi int
			ifi, err = ifindex("mv1")
			if err == nil {
				err = unix.Bind(l.peer, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi})
			}
		}
	})
	if err != nil {
		t.Fatalf("peer socket: %v", err)
	}
	t.Cleanup(func() { unix.Close(l.peer) })
	tv := unix.Timeval{Sec: 3}
	unix.SetsockoptTimeval(l.peer, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return l
}

func ifindex(name string) (int, error) {
	r, err := newRtnl() // in the calling thread's namespace

	if err != nil {
		return 0, err
	}
	defer r.close()
	l, err := r.getLink(name, 0)
	return l.index, err
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// open opens the driver on iface inside ours.
func (l *testLAN) open(t *testing.T, iface string, opt Options) (*Macvtap, error) {
	t.Helper()
	var m *Macvtap
	var err error
	nstest.Do(t, l.ours, func() { m, err = Open(iface, opt) })
	if err == nil {
		t.Cleanup(func() { m.Close() })
	}
	return m, err
}

// frame is a testType frame from src to dst carrying text.
func frame(dst, src netdev.MAC, text string) []byte {
	f := make([]byte, 14, 60)
	copy(f, dst[:])
	copy(f[6:], src[:])
	binary.BigEndian.PutUint16(f[12:], testType)
	f = append(f, text...)
	return append(f, make([]byte, 60-len(f))...)
}

type readResult struct {
	frame []byte
	err   error
}

// reader reads frames from m until an error, and hands them over.
func reader(m *Macvtap) <-chan readResult {
	c := make(chan readResult, 16)
	go func() {
		for {
			buf := make([]byte, 1514)
			n, err := m.ReadFrame(buf)
			c <- readResult{buf[:n], err}
			if err != nil {
				return
			}
		}
	}()
	return c
}

// next waits for the next testType frame or error.
func next(t *testing.T, c <-chan readResult) readResult {
	t.Helper()
	for deadline := time.After(5 * time.Second); ; {
		select {
		case r := <-c:
			if r.err != nil || binary.BigEndian.Uint16(r.frame[12:]) == testType {
				return r
			}
		case <-deadline:
			t.Fatal("nothing read within 5s")
		}
	}
}

// nextErr waits for the reader's error, skipping frames still queued.
func nextErr(t *testing.T, c <-chan readResult) readResult {
	t.Helper()
	for {
		if r := next(t, c); r.err != nil {
			return r
		}
	}
}

// peerRecv reads the peer socket until a testType frame comes.
func (l *testLAN) peerRecv(t *testing.T) []byte {
	t.Helper()
	buf := make([]byte, 2048)
	for {
		n, _, err := unix.Recvfrom(l.peer, buf, 0)
		if err != nil {
			t.Fatalf("peer saw no test frame: %v", err)
		}
		if n >= 14 && binary.BigEndian.Uint16(buf[12:]) == testType {
			return buf[:n]
		}
	}
}

// Where /dev has no node for the macvtap (here: an empty directory), the
// driver makes one, opens it and removes it at once; frames cross both
// ways; Close deletes the macvtap it made.
func TestMakesNodeAndMovesFrames(t *testing.T) {
	l := newTestLAN(t)
	dir := t.TempDir()
	m, err := l.open(t, "mv0", Options{Default: ourMAC, devDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !m.madeNode || !m.Created() || m.HardwareAddr() != ourMAC || m.Parent() != "mv0" {
		t.Errorf("made node %v, created %v, MAC %v, parent %q; want true, true, %v, mv0", m.madeNode, m.Created(), m.HardwareAddr(), m.Parent(), ourMAC)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the node made is still there: %v", ents)
	}
	frames := reader(m)
	in := frame(ourMAC, netdev.MAC{2, 0, 0, 0, 0, 0x99}, "to the macvtap")
	if _, err := unix.Write(l.peer, in); err != nil {
		t.Fatal(err)
	}
	if r := next(t, frames); r.err != nil || !bytes.Equal(r.frame, in) {
		t.Errorf("read %x, %v; want the peer's frame", r.frame, r.err)
	}
	out := frame(netdev.BroadcastMAC, ourMAC, "from the macvtap")
	if err := m.WriteFrame(out); err != nil {
		t.Fatal(err)
	}
	if got := l.peerRecv(t); !bytes.Equal(got, out) {
		t.Errorf("peer read %x, want %x", got, out)
	}
	name := m.Name()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if r := next(t, frames); !errors.Is(r.err, netdev.ErrClosed) {
		t.Errorf("read after Close: %v, want ErrClosed", r.err)
	}
	if _, err := nstest.Exec(l.ours, "ip", "link", "show", name); err == nil {
		t.Errorf("%s still exists after Close", name)
	}
}

// An existing macvtap is attached to with its own MAC and left in place;
// a different MAC asked for is refused.
func TestAttachesToExisting(t *testing.T) {
	l := newTestLAN(t)
	theirMAC := netdev.MAC{0x02, 0, 0, 0, 0x77, 0x01}
	nstest.Run(t, l.ours, "ip", "link", "add", "link", "mv0", "name", "mvx0", "address", theirMAC.String(), "type", "macvtap", "mode", "bridge")
	if _, err := l.open(t, "mvx0", Options{MAC: ourMAC}); err == nil || !strings.Contains(err.Error(), "has MAC "+theirMAC.String()) {
		t.Errorf("attach with another MAC: %v, want a refusal naming its MAC", err)
	}
	m, err := l.open(t, "mvx0", Options{Default: ourMAC})
	if err != nil {
		t.Fatal(err)
	}
	if m.Created() || m.HardwareAddr() != theirMAC || m.Name() != "mvx0" {
		t.Errorf("created %v, MAC %v, name %s; want false, %v, mvx0", m.Created(), m.HardwareAddr(), m.Name(), theirMAC)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	nstest.Run(t, l.ours, "ip", "link", "show", "mvx0") // still there
}

// The parent goes down: one ErrParentDown, then frames flow again once it
// is back up. The parent is deleted (and the macvtap with it): reads and
// writes return ErrGone, and Close is still clean.
func TestParentDownThenGone(t *testing.T) {
	l := newTestLAN(t)
	m, err := l.open(t, "mv0", Options{Default: ourMAC})
	if err != nil {
		t.Fatal(err)
	}
	frames := reader(m)
	nstest.Run(t, l.ours, "ip", "link", "set", "mv0", "down")
	if r := next(t, frames); !errors.Is(r.err, ErrParentDown) {
		t.Fatalf("read with the parent down: %v, want ErrParentDown", r.err)
	}
	frames = reader(m)
	nstest.Run(t, l.ours, "ip", "link", "set", "mv0", "up")
	in := frame(ourMAC, netdev.MAC{2, 0, 0, 0, 0, 0x99}, "after the outage")
	got := make(chan readResult, 1)
	go func() { got <- next(t, frames) }()
	for resend := time.NewTicker(100 * time.Millisecond); ; <-resend.C {
		unix.Write(l.peer, in) // until the carrier is back, the veth drops it
		select {
		case r := <-got:
			resend.Stop()
			if r.err != nil || !bytes.Equal(r.frame, in) {
				t.Fatalf("after the parent came back: read %x, %v", r.frame, r.err)
			}
		default:
			continue
		}
		break
	}

	nstest.Run(t, l.ours, "ip", "link", "del", "mv0")
	r := nextErr(t, frames)
	if errors.Is(r.err, ErrParentDown) { // the carrier went first, in events read apart
		r = nextErr(t, reader(m))
	}
	if !errors.Is(r.err, netdev.ErrGone) {
		t.Fatalf("read with the parent deleted: %v, want ErrGone", r.err)
	}
	if err := m.WriteFrame(frame(netdev.BroadcastMAC, ourMAC, "into the void")); !errors.Is(err, netdev.ErrGone) {
		t.Errorf("write with the parent deleted: %v, want ErrGone", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close after the macvtap went: %v", err)
	}
}

// The data path allocates nothing per frame.
func TestFrameAllocs(t *testing.T) {
	l := newTestLAN(t)
	m, err := l.open(t, "mv0", Options{Default: ourMAC})
	if err != nil {
		t.Fatal(err)
	}
	out := frame(netdev.BroadcastMAC, ourMAC, "counted")
	if a := testing.AllocsPerRun(100, func() { m.WriteFrame(out) }); a != 0 {
		t.Errorf("WriteFrame: %v allocations per frame", a)
	}
	in := frame(ourMAC, netdev.MAC{2, 0, 0, 0, 0, 0x99}, "counted")
	buf := make([]byte, 1514)
	if a := testing.AllocsPerRun(100, func() {
		unix.Write(l.peer, in)
		m.ReadFrame(buf)
	}); a != 0 {
		t.Errorf("ReadFrame: %v allocations per frame", a)
	}
}
