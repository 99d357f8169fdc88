package netmap

// A synthetic shared region laid out as the netmap ABI specifies (see
// abi.go), with a fake kernel side: tests deliver frames into rx rings and
// collect frames from tx rings the way the netmap module does on sync.

import (
	"sync"
	"testing"
	"time"
)

type layout struct {
	tx, rx         int // NIC rings
	hostTx, hostRx int // host rings (present in the table, filled with a ring)
	slots, bufSize int
}

type synth struct {
	mem     []byte
	nifOff  uint64
	tx, rx  []int    // NIC ring offsets
	hostRx  []int    // host rx ring offsets
	txHwcur []uint32 // kernel's view: first tx slot not yet transmitted
	bufArea int      // offset of buffer 0
}

func align(v, a int) int { return (v + a - 1) / a * a }

// newSynth lays out netmap_if at offset 64, the rings, then the buffers;
// buffers 0 and 1 are reserved as in netmap.
func newSynth(t testing.TB, l layout) *synth {
	t.Helper()
	nrings := l.tx + l.hostTx + l.rx + l.hostRx
	nifOff := 64
	off := align(nifOff+ifRingOfs+8*nrings, 256)
	ringSize := align(ringSlots+l.slots*slotSize, 64)
	ringOffs := make([]int, nrings)
	for i := range ringOffs {
		ringOffs[i] = off
		off += ringSize
	}
	bufArea := align(off, l.bufSize)
	nbufs := 2 + nrings*l.slots
	s := &synth{mem: make([]byte, bufArea+nbufs*l.bufSize), nifOff: uint64(nifOff), bufArea: bufArea}

	nif := s.mem[nifOff:]
	copy(nif, "synth0")
	ne.PutUint32(nif[16:], apiVersion)
	ne.PutUint32(nif[ifTxRings:], uint32(l.tx))
	ne.PutUint32(nif[ifRxRings:], uint32(l.rx))
	ne.PutUint32(nif[ifHostTxRings:], uint32(l.hostTx))
	ne.PutUint32(nif[ifHostRxRings:], uint32(l.hostRx))
	for i, ro := range ringOffs {
		ne.PutUint64(nif[ifRingOfs+8*i:], uint64(ro-nifOff))
		isTx := i < l.tx+l.hostTx
		r := s.mem[ro:]
		ne.PutUint64(r[ringBufOfs:], uint64(int64(bufArea-ro)))
		ne.PutUint32(r[ringNumSlots:], uint32(l.slots))
		ne.PutUint32(r[ringBufSize:], uint32(l.bufSize))
		if isTx {
			ne.PutUint32(r[ringTail:], uint32(l.slots-1)) // all free but one
		} else {
			ne.PutUint16(r[18:], 1) // dir rx
		}
		for j := range l.slots {
			ne.PutUint32(r[ringSlots+j*slotSize+slotBufIdx:], uint32(2+i*l.slots+j))
		}
		switch {
		case i < l.tx:
			s.tx = append(s.tx, ro)
			s.txHwcur = append(s.txHwcur, 0)
		case i < l.tx+l.hostTx:
		case i < l.tx+l.hostTx+l.rx:
			s.rx = append(s.rx, ro)
		default:
			s.hostRx = append(s.hostRx, ro)
		}
	}
	return s
}

func (s *synth) field(ro, f int) uint32       { return ne.Uint32(s.mem[ro+f:]) }
func (s *synth) setField(ro, f int, v uint32) { ne.PutUint32(s.mem[ro+f:], v) }
func (s *synth) slot(ro int, i uint32) []byte {
	return s.mem[ro+ringSlots+int(i)*slotSize:][:slotSize]
}
func (s *synth) buf(ro int, i uint32) []byte {
	bufOfs := int64(ne.Uint64(s.mem[ro+ringBufOfs:]))
	size := int(s.field(ro, ringBufSize))
	idx := int(ne.Uint32(s.slot(ro, i)[slotBufIdx:]))
	start := ro + int(bufOfs) + idx*size
	return s.mem[start : start+size]
}

// deliver is the kernel receiving frame on the rx ring at ro: it fills the
// slot at tail and advances tail. It reports false when the ring is full.
func (s *synth) deliver(ro int, frame []byte) bool {
	n := s.field(ro, ringNumSlots)
	tail := s.field(ro, ringTail)
	if (tail+1)%n == s.field(ro, ringHead) {
		return false
	}
	copy(s.buf(ro, tail), frame)
	ne.PutUint16(s.slot(ro, tail)[slotLen:], uint16(len(frame)))
	ne.PutUint16(s.slot(ro, tail)[slotFlags:], 0)
	s.setField(ro, ringTail, (tail+1)%n)
	return true
}

// transmit is the kernel's txsync on NIC tx ring k: it sends the slots
// from its hwcur up to head and frees them (tail = head-1).
func (s *synth) transmit(k int) [][]byte {
	ro := s.tx[k]
	n := s.field(ro, ringNumSlots)
	head := s.field(ro, ringHead)
	var out [][]byte
	for i := s.txHwcur[k]; i != head; i = (i + 1) % n {
		l := ne.Uint16(s.slot(ro, i)[slotLen:])
		out = append(out, append([]byte(nil), s.buf(ro, i)[:l]...))
	}
	s.txHwcur[k] = head
	s.setField(ro, ringTail, (head+n-1)%n)
	return out
}

// fakeKernel is the kernel interface over a synth region.
type fakeKernel struct {
	s        *synth
	stuck    bool          // the NIC sends nothing: tx slots are never freed
	onWaitRx func() bool   // runs in waitRx; false: block until wake
	onWaitTx func()        // runs in waitTx before it decides
	sent     [][]byte      // frames transmitted, in order
	txSyncs  int           //
	wakeOnce sync.Once     //
	woken    chan struct{} //
	closes   int           //
}

func newFake(s *synth) *fakeKernel { return &fakeKernel{s: s, woken: make(chan struct{})} }

func (k *fakeKernel) txSync() error {
	k.txSyncs++
	if !k.stuck {
		for i := range k.s.tx {
			k.sent = append(k.sent, k.s.transmit(i)...)
		}
	}
	return nil
}

func (k *fakeKernel) waitRx() error {
	if k.onWaitRx != nil && k.onWaitRx() {
		return nil
	}
	<-k.woken
	return nil
}

func (k *fakeKernel) waitTx(d time.Duration) (bool, error) {
	if k.onWaitTx != nil {
		k.onWaitTx()
	}
	if !k.stuck {
		k.txSync()
		return false, nil
	}
	select {
	case <-k.woken:
		return false, nil
	case <-time.After(d):
		return true, nil
	}
}

func (k *fakeKernel) wake()        { k.wakeOnce.Do(func() { close(k.woken) }) }
func (k *fakeKernel) close() error { k.closes++; return nil }

// newTestNetmap builds a driver over a fresh synthetic region.
func newTestNetmap(t testing.TB, l layout) (*Netmap, *synth, *fakeKernel) {
	t.Helper()
	s := newSynth(t, l)
	p, err := newPort(s.mem, s.nifOff)
	if err != nil {
		t.Fatalf("newPort on a well-formed region: %v", err)
	}
	k := newFake(s)
	m := newNetmap("synth0", [6]byte{2, 0, 0, 0, 0, 1}, k, p)
	m.txWait = 20 * time.Millisecond
	return m, s, k
}
