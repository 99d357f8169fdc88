package netmap

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

func TestDriverBasics(t *testing.T) {
	m, _, _ := newTestNetmap(t, layout{tx: 1, rx: 1, slots: 4, bufSize: 128})
	if m.Kind() != "netmap" || m.Name() != "synth0" {
		t.Fatalf("Kind, Name = %q, %q", m.Kind(), m.Name())
	}
	if m.HardwareAddr() != (netdev.MAC{2, 0, 0, 0, 0, 1}) {
		t.Fatalf("HardwareAddr = %v", m.HardwareAddr())
	}
}

func TestCloseWakesReaderAndWriter(t *testing.T) {
	m, _, k := newTestNetmap(t, layout{tx: 1, rx: 1, slots: 2, bufSize: 128})
	m.txWait = time.Hour
	k.stuck = true
	if err := m.WriteFrame(frame(0)); err != nil { // fills the only free slot
		t.Fatal(err)
	}
	errc := make(chan error, 2)
	go func() { _, err := m.ReadFrame(make([]byte, 128)); errc <- err }()
	go func() { errc <- m.WriteFrame(frame(1)) }()
	time.Sleep(20 * time.Millisecond)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case err := <-errc:
			if !errors.Is(err, netdev.ErrClosed) {
				t.Fatalf("blocked call after Close: %v, want netdev.ErrClosed", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Close did not wake a blocked ReadFrame/WriteFrame")
		}
	}
	m.Close()
	if k.closes != 1 {
		t.Fatalf("kernel closed %d times, want 1", k.closes)
	}
	if _, err := m.ReadFrame(make([]byte, 64)); !errors.Is(err, netdev.ErrClosed) {
		t.Fatalf("ReadFrame after Close: %v", err)
	}
}

// newPort refuses regions whose offsets or geometry would take it outside
// the mapping.
func TestNewPortRejects(t *testing.T) {
	base := layout{tx: 1, rx: 1, slots: 4, bufSize: 128}
	for _, tc := range []struct {
		name   string
		nifOff func(s *synth) uint64
		edit   func(s *synth)
		want   string
	}{
		{"netmap_if past the end", func(s *synth) uint64 { return uint64(len(s.mem)) - 10 }, nil, "netmap_if at offset"},
		{"netmap_if far past the end", func(s *synth) uint64 { return ^uint64(0) }, nil, "netmap_if at offset"},
		{"absurd ring count", nil, func(s *synth) { ne.PutUint32(s.mem[s.nifOff+ifRxRings:], 1<<30) }, "claims"},
		{"ring table past the end", nil, func(s *synth) { ne.PutUint32(s.mem[s.nifOff+ifRxRings:], 1000) }, "runs past"},
		{"ring_ofs outside", nil, func(s *synth) { ne.PutUint64(s.mem[s.nifOff+ifRingOfs:], 1<<40) }, "outside the region"},
		{"ring_ofs negative", nil, func(s *synth) { ne.PutUint64(s.mem[s.nifOff+ifRingOfs:], uint64(1<<63)) }, "outside the region"},
		{"ring header past the end", nil, func(s *synth) { ne.PutUint64(s.mem[s.nifOff+ifRingOfs:], uint64(len(s.mem))-s.nifOff-100) }, "outside"},
		{"zero slots", nil, func(s *synth) { s.setField(s.rx[0], ringNumSlots, 0) }, "0 slots"},
		{"slots past the end", nil, func(s *synth) { s.setField(s.rx[0], ringNumSlots, 1<<19) }, "run past"},
		{"tiny buffers", nil, func(s *synth) { s.setField(s.tx[0], ringBufSize, 8) }, "buffer size"},
		{"huge buffers", nil, func(s *synth) { s.setField(s.tx[0], ringBufSize, 1<<20) }, "buffer size"},
		{"buffers before the region", nil, func(s *synth) { ne.PutUint64(s.mem[s.tx[0]+ringBufOfs:], uint64(1<<63)) }, "buffers at"},
		{"no rx ring bound", nil, func(s *synth) { ne.PutUint64(s.mem[s.nifOff+ifRingOfs+8:], 0) }, "no NIC rx or tx ring"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSynth(t, base)
			off := s.nifOff
			if tc.nifOff != nil {
				off = tc.nifOff(s)
			}
			if tc.edit != nil {
				tc.edit(s)
			}
			_, err := newPort(s.mem, off)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("newPort = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
