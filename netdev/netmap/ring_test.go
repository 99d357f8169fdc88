package netmap

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func frame(i int) []byte {
	return []byte(fmt.Sprintf("frame %03d ......................................", i))
}

// Frames keep coming through one 4-slot rx ring: head and tail wrap
// around several times and every frame comes out once, in order.
func TestRxWrapAround(t *testing.T) {
	m, s, _ := newTestNetmap(t, layout{tx: 1, rx: 1, slots: 4, bufSize: 128})
	ro := s.rx[0]
	buf := make([]byte, 128)
	next := 0
	for sent := 0; sent < 20; {
		for batch := 0; batch < 3; batch++ { // at most slots-1 in flight
			if !s.deliver(ro, frame(sent)) {
				t.Fatalf("ring full after %d frames", sent)
			}
			sent++
		}
		for next < sent {
			n, err := m.ReadFrame(buf)
			if err != nil {
				t.Fatal(err)
			}
			if want := frame(next); !bytes.Equal(buf[:n], want) {
				t.Fatalf("frame %d: got %q, want %q", next, buf[:n], want)
			}
			next++
		}
	}
	if h, tl := s.field(ro, ringHead), s.field(ro, ringTail); h != tl || h != uint32(next%4) {
		t.Fatalf("after %d frames head=%d tail=%d, want both %d", next, h, tl, next%4)
	}
	if c := s.field(ro, ringCur); c != s.field(ro, ringHead) {
		t.Fatalf("cur=%d does not follow head=%d", c, s.field(ro, ringHead))
	}
}

// Several rx rings are served in turn; host rings (in the ring_ofs table
// between the NIC tx and NIC rx rings) are not read.
func TestRxRingsAndHostRings(t *testing.T) {
	m, s, _ := newTestNetmap(t, layout{tx: 2, hostTx: 1, rx: 2, hostRx: 1, slots: 8, bufSize: 128})
	if got := len(m.port.rx); got != 2 {
		t.Fatalf("port has %d rx rings, want the 2 NIC rings", got)
	}
	if m.port.rx[0].off != s.rx[0] || m.port.rx[1].off != s.rx[1] {
		t.Fatalf("rx rings at %d,%d, want %d,%d (index ni_tx_rings+ni_host_tx_rings)",
			m.port.rx[0].off, m.port.rx[1].off, s.rx[0], s.rx[1])
	}
	s.deliver(s.hostRx[0], []byte("host ring frame: not for us"))
	for i := range 6 {
		s.deliver(s.rx[i%2], frame(i))
	}
	got := map[string]bool{}
	buf := make([]byte, 128)
	for range 6 {
		n, _, err := m.port.recv(buf)
		if err != nil {
			t.Fatal(err)
		}
		got[string(buf[:n])] = true
	}
	for i := range 6 {
		if !got[string(frame(i))] {
			t.Errorf("frame %d not received", i)
		}
	}
	if _, ok, _ := m.port.recv(buf); ok || !m.port.rxEmpty() {
		t.Fatal("a frame remained: the host rx ring was read")
	}
}

func TestRxTruncates(t *testing.T) {
	m, s, _ := newTestNetmap(t, layout{tx: 1, rx: 1, slots: 4, bufSize: 128})
	s.deliver(s.rx[0], frame(7))
	buf := make([]byte, 5)
	n, err := m.ReadFrame(buf)
	if err != nil || n != 5 || string(buf) != "frame" {
		t.Fatalf("ReadFrame into 5 bytes = %d %q %v, want 5 \"frame\"", n, buf[:n], err)
	}
}

// Corrupt slots are dropped and counted; the next good frame still comes.
func TestRxBadSlots(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(slot []byte)
		count   func(*Stats) uint64
		want    int // the first frame that survives
	}{
		{"buf_idx past region", func(sl []byte) { ne.PutUint32(sl[slotBufIdx:], 1<<20) }, func(s *Stats) uint64 { return s.RxBadSlot.Load() }, 1},
		{"buf_idx max", func(sl []byte) { ne.PutUint32(sl[slotBufIdx:], ^uint32(0)) }, func(s *Stats) uint64 { return s.RxBadSlot.Load() }, 1},
		{"len past buffer", func(sl []byte) { ne.PutUint16(sl[slotLen:], 129) }, func(s *Stats) uint64 { return s.RxBadSlot.Load() }, 1},
		{"NS_MOREFRAG", func(sl []byte) { ne.PutUint16(sl[slotFlags:], nsMoreFrag) }, func(s *Stats) uint64 { return s.RxFragmented.Load() }, 2}, // frame 1 ends the chain
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, s, _ := newTestNetmap(t, layout{tx: 1, rx: 1, slots: 4, bufSize: 128})
			ro := s.rx[0]
			s.deliver(ro, frame(0))
			tc.corrupt(s.slot(ro, 0))
			s.deliver(ro, frame(1))
			s.deliver(ro, frame(2))
			buf := make([]byte, 256)
			n, err := m.ReadFrame(buf)
			if err != nil || !bytes.Equal(buf[:n], frame(tc.want)) {
				t.Fatalf("ReadFrame = %q, %v; want the good frame after the bad slot", buf[:n], err)
			}
			if c := tc.count(m.Stats()); c != 1 {
				t.Fatalf("drop counter = %d, want 1", c)
			}
		})
	}
}

// A ring whose pointers are out of range is counted and waited on (the
// kernel repairs it on the next sync), never indexed.
func TestRxBadRing(t *testing.T) {
	m, s, k := newTestNetmap(t, layout{tx: 1, rx: 1, slots: 4, bufSize: 128})
	ro := s.rx[0]
	s.deliver(ro, frame(0))
	s.setField(ro, ringHead, 4) // == num_slots: out of range
	k.onWaitRx = func() bool {  // the kernel's sync resets the ring
		s.setField(ro, ringHead, 0)
		s.setField(ro, ringCur, 0)
		return true
	}
	buf := make([]byte, 128)
	n, err := m.ReadFrame(buf)
	if err != nil || !bytes.Equal(buf[:n], frame(0)) {
		t.Fatalf("ReadFrame = %q, %v", buf[:n], err)
	}
	if c := m.Stats().BadRing.Load(); c != 1 {
		t.Fatalf("BadRing = %d, want 1", c)
	}
}

func TestTxSends(t *testing.T) {
	m, _, k := newTestNetmap(t, layout{tx: 1, rx: 1, slots: 4, bufSize: 128})
	for i := range 10 { // more than the ring holds: wraps around
		if err := m.WriteFrame(frame(i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(k.sent) != 10 {
		t.Fatalf("kernel sent %d frames, want 10", len(k.sent))
	}
	for i, f := range k.sent {
		if !bytes.Equal(f, frame(i)) {
			t.Errorf("frame %d: got %q, want %q", i, f, frame(i))
		}
	}
}

// A NIC that sends nothing: the 3 free slots of a 4-slot ring fill up and
// the next WriteFrame fails with ErrRingFull after the wait.
func TestTxRingFull(t *testing.T) {
	m, s, k := newTestNetmap(t, layout{tx: 1, rx: 1, slots: 4, bufSize: 128})
	k.stuck = true
	for i := range 3 {
		if err := m.WriteFrame(frame(i)); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	err := m.WriteFrame(frame(3))
	if !errors.Is(err, ErrRingFull) || !strings.Contains(err.Error(), "is the link up") {
		t.Fatalf("WriteFrame on a full ring: %v, want ErrRingFull with advice", err)
	}
	if c := m.Stats().TxFull.Load(); c != 1 {
		t.Fatalf("TxFull = %d, want 1", c)
	}
	// The NIC frees slots while we wait: the write goes through.
	k.onWaitTx = func() { k.stuck = false }
	if err := m.WriteFrame(frame(3)); err != nil {
		t.Fatalf("WriteFrame once the NIC drains: %v", err)
	}
	if len(k.sent) != 4 || !bytes.Equal(k.sent[3], frame(3)) {
		t.Fatalf("sent %d frames, want 4 ending with frame 3", len(k.sent))
	}
	if h := s.field(s.tx[0], ringHead); h != 0 {
		t.Fatalf("tx head = %d after 4 frames on 4 slots, want 0 (wrapped)", h)
	}
}

func TestTxBadInput(t *testing.T) {
	m, s, _ := newTestNetmap(t, layout{tx: 1, rx: 1, slots: 4, bufSize: 128})
	if err := m.WriteFrame(make([]byte, 129)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("129-byte frame into 128-byte buffers: %v, want ErrFrameTooLarge", err)
	}
	ne.PutUint32(s.slot(s.tx[0], 0)[slotBufIdx:], ^uint32(0))
	before := append([]byte(nil), s.mem...)
	if err := m.WriteFrame(frame(0)); !errors.Is(err, ErrBadSlot) {
		t.Fatalf("tx slot with a bad buf_idx: %v, want ErrBadSlot", err)
	}
	if !bytes.Equal(before, s.mem) {
		t.Fatal("a refused frame changed the shared region")
	}
	if c := m.Stats().TxBadSlot.Load(); c != 1 {
		t.Fatalf("TxBadSlot = %d, want 1", c)
	}
}
