package netmap

import "testing"

// FuzzRegion treats arbitrary bytes as the shared region: whatever the
// kernel (or a bug) left there, parsing and ring walking must not panic,
// and a received frame never exceeds the caller's buffer.
func FuzzRegion(f *testing.F) {
	good := newSynth(f, layout{tx: 1, rx: 2, hostTx: 1, slots: 4, bufSize: 64})
	good.deliver(good.rx[0], []byte("seed frame for the fuzzer......................"))
	f.Add(good.mem, uint16(good.nifOff))   // a well-formed region with a frame
	f.Add(make([]byte, 512), uint16(0))    // all zero: no rings
	f.Add([]byte{1, 2, 3}, uint16(0xffff)) // shorter than netmap_if
	f.Fuzz(func(t *testing.T, mem []byte, nifOff uint16) {
		p, err := newPort(mem, uint64(nifOff))
		if err != nil {
			return
		}
		exercise(t, p)
	})
}

// FuzzRingOps starts from a well-formed region and lets the fuzzer
// overwrite ring headers and slots (as a misbehaving kernel could, at any
// time) between operations.
func FuzzRingOps(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{3, 20, 0, 7, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8})   // head = 7
	f.Add([]byte{2, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0}) // buf_idx max
	f.Add([]byte{2, 4, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0})       // len 65535
	f.Add([]byte{2, 6, 1, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0})          // NS_MOREFRAG
	f.Fuzz(func(t *testing.T, script []byte) {
		s := newSynth(t, layout{tx: 2, rx: 2, slots: 8, bufSize: 64})
		p, err := newPort(s.mem, s.nifOff)
		if err != nil {
			t.Fatal(err)
		}
		rings := append(append([]int(nil), s.tx...), s.rx...)
		buf := make([]byte, 40)
		// Each step: op byte, then operands. Ops: 0 recv, 1 send, 2 corrupt
		// a slot (ring, slot, 8 bytes), 3 corrupt a header word (ring,
		// field, 4 bytes), 4 kernel delivers, 5 kernel transmits.
		for len(script) > 0 {
			op := script[0] % 6
			script = script[1:]
			switch op {
			case 0:
				if n, _, _ := p.recv(buf); n > len(buf) {
					t.Fatalf("recv returned %d bytes into a %d-byte buffer", n, len(buf))
				}
			case 1:
				p.send(make([]byte, len(script)%80))
			case 2:
				if len(script) < 10 {
					return
				}
				ro, i := rings[int(script[0])%len(rings)], uint32(script[1])%8
				copy(s.slot(ro, i), script[2:10])
				script = script[10:]
			case 3:
				if len(script) < 6 {
					return
				}
				ro, field := rings[int(script[0])%len(rings)], int(script[1])%8*4
				copy(s.mem[ro+field:], script[2:6])
				script = script[6:]
			case 4:
				if ro := s.rx[len(script)%2]; s.sane(ro) && s.saneSlot(ro, s.field(ro, ringTail)) {
					s.deliver(ro, []byte("fuzz frame"))
				}
			case 5:
				if k := len(script) % 2; s.sane(s.tx[k]) && s.saneSlots(s.tx[k]) {
					s.transmit(k)
				}
			}
		}
	})
}

// exercise runs receives and sends over p until it stops making progress.
func exercise(t *testing.T, p *port) {
	small, large := make([]byte, 16), make([]byte, 2048)
	for i := range 64 {
		buf := small
		if i%2 == 1 {
			buf = large
		}
		n, _, _ := p.recv(buf)
		if n > len(buf) {
			t.Fatalf("recv returned %d bytes into a %d-byte buffer", n, len(buf))
		}
		p.send(large[:i*30%1600])
	}
}

// The fake kernel side indexes the region without the driver's checks
// (tests only), so it acts only while the ring it touches is intact.
func (s *synth) sane(ro int) bool {
	n := s.field(ro, ringNumSlots)
	return n == 8 && s.field(ro, ringHead) < n && s.field(ro, ringTail) < n &&
		s.field(ro, ringBufSize) == 64 && int64(ne.Uint64(s.mem[ro+ringBufOfs:])) == int64(s.bufArea-ro)
}

func (s *synth) saneSlot(ro int, i uint32) bool {
	idx := uint64(ne.Uint32(s.slot(ro, i)[slotBufIdx:]))
	return uint64(s.bufArea)+idx*64+64 <= uint64(len(s.mem))
}

func (s *synth) saneSlots(ro int) bool {
	for i := range uint32(8) {
		if !s.saneSlot(ro, i) || ne.Uint16(s.slot(ro, i)[slotLen:]) > 64 {
			return false
		}
	}
	return true
}
