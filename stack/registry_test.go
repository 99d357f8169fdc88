package stack_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/fakeclock"
	"github.com/gotapip/gotapip/stack"
)

// A protocol wired in after New registers its counters and its periodic
// job: stat lists the group after the built-in ones and before the
// devices, and Tick runs the job with the clock's time, after ARP's and
// reassembly's.
func TestRegistrations(t *testing.T) {
	clk := fakeclock.New(time.Unix(1000, 0))
	s := stack.New(stack.Config{Clock: clk, TickInterval: -1})
	defer s.Close()
	var stats struct{ InSegs atomic.Uint64 }
	s.RegisterCounters("Proto", &stats)
	var ran []time.Time
	s.RegisterTick("proto", func(now time.Time) { ran = append(ran, now) })

	var names []string
	for _, g := range s.CounterGroups() {
		names = append(names, g.Prefix)
	}
	want := []string{"Arp", "Ip", "Ip", "Ip", "Icmp", "Udp", "Tcp", "Proto", "lo."}
	if len(names) != len(want) {
		t.Fatalf("groups %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("groups %v, want %v", names, want)
		}
	}
	groups := s.CounterGroups()
	if groups[7].Stats != any(&stats) {
		t.Errorf("group Proto holds %p, want %p", groups[7].Stats, &stats)
	}
	groups[0].Prefix = "changed" // the caller's copy
	if s.CounterGroups()[0].Prefix != "Arp" {
		t.Error("a caller's change to CounterGroups' result reached the stack")
	}

	s.Tick(clk.Advance(time.Second))
	s.Tick(clk.Advance(time.Second))
	if len(ran) != 2 || !ran[1].Equal(time.Unix(1002, 0)) {
		t.Errorf("job ran at %v, want twice, the second at %v", ran, time.Unix(1002, 0))
	}
}
