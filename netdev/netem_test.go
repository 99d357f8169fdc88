package netdev

import (
	"bytes"
	"fmt"
	"math/bits"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/fakeclock"
)

// sink collects what a Netem sends.
type sink struct{ frames [][]byte }

func (s *sink) write(f []byte) error {
	s.frames = append(s.frames, append([]byte(nil), f...))
	return nil
}

func (s *sink) names() []string {
	var out []string
	for _, f := range s.frames {
		out = append(out, string(f[EthernetHeaderLen:EthernetHeaderLen+2]))
	}
	return out
}

// netemFrame is a 60-byte frame whose payload starts with name.
func netemFrame(name string) []byte {
	f := make([]byte, 60)
	copy(f[EthernetHeaderLen:], name)
	return f
}

func newTestNetem(f Faults) (*Netem, *sink, *fakeclock.Clock) {
	clk := fakeclock.New(time.Unix(1e9, 0))
	s := &sink{}
	return NewNetem(f, clk, s.write), s, clk
}

// Each fault alone, certain (probability 1): what comes out of three
// frames, and what is counted.
func TestNetemEachFault(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults Faults
		want   string // after the three sends
		later  string // after the clock passes every delay and hold
		count  func(*NetemStats) uint64
		counts uint64
	}{
		{"none", Faults{}, "[f1 f2 f3]", "[f1 f2 f3]", func(s *NetemStats) uint64 { return s.Sent.Load() }, 3},
		{"loss", Faults{Loss: 1}, "[]", "[]", func(s *NetemStats) uint64 { return s.Dropped.Load() }, 3},
		{"duplicate", Faults{Duplicate: 1}, "[f1 f1 f2 f2 f3 f3]", "[f1 f1 f2 f2 f3 f3]", func(s *NetemStats) uint64 { return s.Duplicated.Load() }, 3},
		// f1 is held, f2 overtakes it and releases it; f3 is held and,
		// with nothing behind it, goes after ReorderHold.
		{"reorder", Faults{Reorder: 1}, "[f2 f1]", "[f2 f1 f3]", func(s *NetemStats) uint64 { return s.Reordered.Load() }, 2},
		{"delay", Faults{Delay: 50 * time.Millisecond}, "[]", "[f1 f2 f3]", func(s *NetemStats) uint64 { return s.Delayed.Load() }, 3},
		{"reorder+delay", Faults{Reorder: 1, Delay: 50 * time.Millisecond}, "[]", "[f2 f1 f3]", func(s *NetemStats) uint64 { return s.Reordered.Load() }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, s, clk := newTestNetem(tc.faults)
			for _, name := range []string{"f1", "f2", "f3"} {
				if err := n.Send(netemFrame(name)); err != nil {
					t.Fatal(err)
				}
			}
			if got := fmt.Sprint(s.names()); got != tc.want {
				t.Errorf("at once (-want +got):\n-%s\n+%s", tc.want, got)
			}
			clk.Advance(time.Second)
			if got := fmt.Sprint(s.names()); got != tc.later {
				t.Errorf("in the end (-want +got):\n-%s\n+%s", tc.later, got)
			}
			if got := tc.count(&n.Stats); got != tc.counts {
				t.Errorf("counted %d, want %d", got, tc.counts)
			}
			if n.Backlog() != 0 {
				t.Errorf("backlog %d after every deadline", n.Backlog())
			}
		})
	}
}

// A corrupted frame differs from the one sent in exactly one bit, past the
// Ethernet header; the caller's frame is untouched.
func TestNetemCorrupt(t *testing.T) {
	n, s, _ := newTestNetem(Faults{Corrupt: 1, Seed: 3})
	for i := range 50 {
		orig := netemFrame(fmt.Sprintf("%02d", i))
		sent := bytes.Clone(orig)
		n.Send(sent)
		if !bytes.Equal(sent, orig) {
			t.Fatal("the caller's frame was changed")
		}
		got := s.frames[i]
		diff := 0
		for j := range got {
			diff += bits.OnesCount8(got[j] ^ orig[j])
			if j < EthernetHeaderLen && got[j] != orig[j] {
				t.Errorf("frame %d: the Ethernet header changed at byte %d", i, j)
			}
		}
		if diff != 1 {
			t.Errorf("frame %d: %d bits differ, want 1", i, diff)
		}
	}
	if c := n.Stats.Corrupted.Load(); c != 50 {
		t.Errorf("Corrupted %d, want 50", c)
	}
}

// A fixed seed gives the same faults, frame for frame; another seed other
// ones; and the loss rate over many frames is near the one asked for.
func TestNetemSeededReplay(t *testing.T) {
	run := func(seed uint64) string {
		n, s, clk := newTestNetem(Faults{Loss: 0.1, Duplicate: 0.05, Reorder: 0.1, Corrupt: 0.02, Seed: seed})
		for i := range 400 {
			n.Send(netemFrame(fmt.Sprintf("%c%c", 'A'+i/26%26, 'a'+i%26)))
		}
		clk.Advance(time.Second)
		var b bytes.Buffer
		for _, f := range s.frames {
			b.Write(f)
		}
		return fmt.Sprintf("%x", b.Bytes())
	}
	if run(42) != run(42) {
		t.Error("seed 42 twice: different faults")
	}
	if run(42) == run(43) {
		t.Error("seeds 42 and 43: the same faults")
	}

	n, _, _ := newTestNetem(Faults{Loss: 0.1, Seed: 7})
	const frames = 10000
	for range frames {
		n.Send(netemFrame("xx"))
	}
	// Binomial(10000, 0.1): standard deviation 30; 5 of them either way.
	if d := n.Stats.Dropped.Load(); d < 850 || d > 1150 {
		t.Errorf("10%% loss dropped %d of %d frames", d, frames)
	}
	if d, s := n.Stats.Dropped.Load(), n.Stats.Sent.Load(); d+s != frames {
		t.Errorf("dropped %d + sent %d != %d", d, s, frames)
	}
}

// The frames waiting are bounded: beyond NetemLimit they are dropped and
// counted; the rest still go, in order.
func TestNetemLimit(t *testing.T) {
	n, s, clk := newTestNetem(Faults{Delay: time.Second})
	for i := range NetemLimit + 5 {
		n.Send(netemFrame(fmt.Sprintf("%02x", i%256)))
	}
	if o, b := n.Stats.Overlimits.Load(), n.Backlog(); o != 5 || b != NetemLimit {
		t.Errorf("overlimits %d, backlog %d; want 5, %d", o, b, NetemLimit)
	}
	clk.Advance(time.Second)
	if len(s.frames) != NetemLimit || s.names()[1] != "01" || s.names()[NetemLimit-1] != fmt.Sprintf("%02x", (NetemLimit-1)%256) {
		t.Errorf("sent %d frames, want the first %d in order", len(s.frames), NetemLimit)
	}
}

// Stop discards what waits; later frames go straight through.
func TestNetemStop(t *testing.T) {
	n, s, clk := newTestNetem(Faults{Delay: time.Second, Reorder: 1})
	n.Send(netemFrame("f1"))
	n.Send(netemFrame("f2"))
	n.Stop()
	clk.Advance(2 * time.Second)
	n.Send(netemFrame("f3"))
	if got := fmt.Sprint(s.names()); got != "[f3]" {
		t.Errorf("after Stop sent %s, want [f3]", got)
	}
	if clk.Pending() != 0 {
		t.Errorf("%d timers left after Stop", clk.Pending())
	}
}

// An output that refuses frames: a frame sent at once returns its error,
// one sent later is counted.
func TestNetemOutputErrors(t *testing.T) {
	clk := fakeclock.New(time.Unix(1e9, 0))
	refuse := func([]byte) error { return ErrDown }
	if err := NewNetem(Faults{Duplicate: 1}, clk, refuse).Send(netemFrame("f1")); err != ErrDown {
		t.Errorf("Send = %v, want the output's error", err)
	}
	n := NewNetem(Faults{Delay: time.Millisecond}, clk, refuse)
	n.Send(netemFrame("f1"))
	clk.Advance(time.Millisecond)
	if e := n.Stats.Errors.Load(); e != 1 {
		t.Errorf("Errors %d, want 1", e)
	}
}
