package pipe

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"testing"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// read returns the next frame at e, failing the test if none arrives.
func read(t *testing.T, e *End) string {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	c := make(chan result, 1)
	go func() {
		buf := make([]byte, 128)
		n, err := e.ReadFrame(buf)
		c <- result{string(buf[:n]), err}
	}()
	select {
	case r := <-c:
		if r.err != nil {
			t.Fatalf("ReadFrame: %v", r.err)
		}
		return r.s
	case <-time.After(5 * time.Second):
		t.Fatal("no frame within 5 s")
	}
	return ""
}

// drain returns every frame waiting at e without blocking.
func drain(e *End) []string {
	var out []string
	buf := make([]byte, 128)
	for e.rx.Len() > 0 {
		n, _ := e.ReadFrame(buf)
		out = append(out, string(buf[:n]))
	}
	return out
}

func TestPipeBothDirections(t *testing.T) {
	a, b := New(1)
	var _ netdev.Driver = a
	if a.Kind() != "pipe" {
		t.Errorf("Kind() = %q, want %q", a.Kind(), "pipe")
	}
	a.WriteFrame([]byte("a->b"))
	b.WriteFrame([]byte("b->a"))
	if got := read(t, b); got != "a->b" {
		t.Errorf("b read %q, want %q", got, "a->b")
	}
	if got := read(t, a); got != "b->a" {
		t.Errorf("a read %q, want %q", got, "b->a")
	}
}

func TestPipeImpairments(t *testing.T) {
	tests := []struct {
		name string
		imp  Impairments
		want []string // what b sees after a sends f1, f2, f3
	}{
		{"clean", Impairments{}, []string{"f1", "f2", "f3"}},
		{"loss", Impairments{Loss: 1}, nil},
		{"duplicate", Impairments{Duplicate: 1}, []string{"f1", "f1", "f2", "f2", "f3", "f3"}},
		// Every frame is held back behind the next one: f1 is held, f2 goes
		// out and releases f1; f3 is held again (and goes after
		// netdev.ReorderHold, TestPipeReorderHoldEnds).
		{"reorder", Impairments{Reorder: 1}, []string{"f2", "f1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := New(7)
			a.SetImpairments(tt.imp)
			for _, f := range []string{"f1", "f2", "f3"} {
				if err := a.WriteFrame([]byte(f)); err != nil {
					t.Fatal(err)
				}
			}
			got := drain(b)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("b received (-want +got):\n-%q\n+%q", tt.want, got)
			}
			if n := a.rx.Len(); n != 0 {
				t.Errorf("a's own queue holds %d frames, want 0", n)
			}
		})
	}
}

// TestPipeLossIsRepeatable checks that a seed fixes which frames are lost.
func TestPipeLossIsRepeatable(t *testing.T) {
	run := func() []string {
		a, b := New(42)
		a.SetImpairments(Impairments{Loss: 0.5})
		for i := range 50 {
			a.WriteFrame([]byte(fmt.Sprint(i)))
		}
		return drain(b)
	}
	first, second := run(), run()
	if fmt.Sprint(first) != fmt.Sprint(second) {
		t.Errorf("same seed, different losses:\n%v\n%v", first, second)
	}
	if len(first) == 0 || len(first) == 50 {
		t.Errorf("50%% loss delivered %d of 50 frames", len(first))
	}
}

func TestPipeWriteCopies(t *testing.T) {
	a, b := New(1)
	f := []byte("orig")
	a.WriteFrame(f)
	copy(f, "XXXX")
	if got := read(t, b); got != "orig" {
		t.Errorf("b read %q, want %q", got, "orig")
	}
	// A held (reordered) frame is copied too.
	a.SetImpairments(Impairments{Reorder: 1})
	g := []byte("held")
	a.WriteFrame(g)
	copy(g, "YYYY")
	a.WriteFrame([]byte("next")) // overtakes the held frame and releases it
	if got := drain(b); fmt.Sprint(got) != "[next held]" {
		t.Errorf("b received %q, want [next held]", got)
	}
}

// A frame held back with nothing behind it goes after netdev.ReorderHold.
func TestPipeReorderHoldEnds(t *testing.T) {
	a, b := New(1)
	a.SetImpairments(Impairments{Reorder: 1})
	a.WriteFrame([]byte("alone"))
	if got := read(t, b); got != "alone" {
		t.Errorf("b read %q, want the held frame", got)
	}
	if r := a.Netem().Stats.Reordered.Load(); r != 1 {
		t.Errorf("Reordered %d, want 1", r)
	}
}

// Corrupt flips one bit of each frame, past its Ethernet header, in the
// direction set; SetImpairments on one end sets both directions.
func TestPipeCorrupt(t *testing.T) {
	a, b := New(9)
	b.SetImpairments(Impairments{Corrupt: 1})
	for dir, ends := range [][2]*End{{a, b}, {b, a}} {
		orig := make([]byte, 60)
		ends[0].WriteFrame(orig)
		got := []byte(read(t, ends[1]))
		diff := 0
		for i := range got {
			diff += bits.OnesCount8(got[i] ^ orig[i])
		}
		if len(got) != 60 || diff != 1 || !bytes.Equal(got[:netdev.EthernetHeaderLen], orig[:netdev.EthernetHeaderLen]) {
			t.Errorf("direction %d: %d bits differ (want 1, past the header)", dir, diff)
		}
		if c := ends[0].Netem().Stats.Corrupted.Load(); c != 1 {
			t.Errorf("direction %d: Corrupted %d, want 1", dir, c)
		}
	}
}

func TestPipeDelay(t *testing.T) {
	const delay = 30 * time.Millisecond
	a, b := New(1)
	a.SetImpairments(Impairments{Delay: delay})
	start := time.Now()
	a.WriteFrame([]byte("late"))
	if n := b.rx.Len(); n != 0 {
		t.Errorf("a delayed frame is queued at once (%d)", n)
	}
	if got := read(t, b); got != "late" {
		t.Errorf("b read %q, want %q", got, "late")
	}
	if el := time.Since(start); el < delay {
		t.Errorf("frame arrived after %v, want at least %v", el, delay)
	}
}

func TestPipeClose(t *testing.T) {
	a, b := New(1)
	b.Close()
	if _, err := b.ReadFrame(make([]byte, 8)); !errors.Is(err, netdev.ErrClosed) {
		t.Errorf("ReadFrame after Close = %v, want ErrClosed", err)
	}
	if err := a.WriteFrame([]byte("lost")); err != nil {
		t.Errorf("WriteFrame to a closed peer = %v, want nil (lost silently)", err)
	}
}

func TestPipeFullQueueDropsSilently(t *testing.T) {
	a, b := New(1)
	for i := range QueueLen + 10 {
		if err := a.WriteFrame([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.rx.Len(); n != QueueLen {
		t.Errorf("b holds %d frames, want QueueLen=%d", n, QueueLen)
	}
	if n := a.Overflows.Load(); n != 10 {
		t.Errorf("a counted %d overflows, want 10", n)
	}
}

// TestPipeTwoDevices joins two NetDevs over a pipe and checks a frame sent
// by one is delivered to the other's handler.
func TestPipeTwoDevices(t *testing.T) {
	ea, eb := New(1)
	macA, macB := netdev.MAC{2, 0, 0, 0, 0, 1}, netdev.MAC{2, 0, 0, 0, 0, 2}
	pool := netdev.NewPool()
	da, err := netdev.New(netdev.Config{Name: "a", MAC: macA}, ea, &netdev.Demux{}, pool)
	if err != nil {
		t.Fatal(err)
	}
	demuxB := &netdev.Demux{}
	got := make(chan string, 1)
	demuxB.Register(netdev.EtherTypeIPv4, func(p *netdev.Packet) {
		got <- string(p.Data()[:5])
		p.Free()
	})
	db, err := netdev.New(netdev.Config{Name: "b", MAC: macB}, eb, demuxB, pool)
	if err != nil {
		t.Fatal(err)
	}
	da.SetUp(true)
	db.SetUp(true)
	db.Start()
	p := pool.Get(5)
	copy(p.Append(5), "hello")
	if err := da.Transmit(p, macB, netdev.EtherTypeIPv4); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "hello" {
			t.Errorf("b got %q, want %q", s, "hello")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b got nothing within 5 s")
	}
	da.Close(false)
	db.Close(true)
	if n := pool.InUse(); n != 0 {
		t.Errorf("pool InUse = %d, want 0", n)
	}
}
