package stack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/internal/fakeclock"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
)

// A neighbour that goes silent: A pings B, B is unplugged (the pipe drops
// every frame), and A's entry for B, stale, is probed by unicast on the
// next ping, which goes to B's old MAC and is lost, as on Linux. After
// three unanswered probes the entry fails; the next ping resolves afresh by
// broadcast, and when that fails too ping says Destination Host
// Unreachable. A's timers run on a fake clock, by hand.
func TestPingSilentNeighbourUnreachable(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a, _, ea, _ := stacktest.Pair(t, 5, stack.Config{Clock: clk, TickInterval: -1}, stack.Config{})
	addrB := stacktest.AddrB.Addr()
	tick := func(d time.Duration) { a.Tick(clk.Advance(d)) }
	state := func() (arp.State, bool) {
		for _, e := range a.ARP.List() {
			if e.IP == addrB {
				return e.State, true
			}
		}
		return 0, false
	}

	if out, err := shellPing(t, a, "-c 1 -W 2 10.0.0.2"); err != nil {
		t.Fatalf("ping B: %v\n%s", err, out)
	}
	tick(30 * time.Second)
	if s, _ := state(); s != arp.Stale {
		t.Fatalf("A's entry for B is %v 30 s after the reply, want STALE", s)
	}

	ea.SetImpairments(pipe.Impairments{Loss: 1}) // B is unplugged
	requests := a.ARP.Stats.OutRequests.Load()
	out, err := shellPing(t, a, "-c 1 -W 0.2 10.0.0.2")
	if err == nil || !strings.Contains(out, "1 packets transmitted, 0 received, 100% packet loss") || strings.Contains(out, "Unreachable") {
		t.Errorf("ping while probing: %v\n%s\nwant the echo lost, no error", err, out)
	}
	if s, _ := state(); s != arp.Probing {
		t.Fatalf("A's entry for B is %v after a use while stale, want PROBE", s)
	}
	for range 3 { // the second and third probes, then failure
		tick(time.Second)
	}
	if s, ok := state(); ok {
		t.Fatalf("A's entry for B is %v after 3 unanswered probes, want none", s)
	}
	if n := a.ARP.Stats.Failed.Load(); n != 1 {
		t.Errorf("ARP Failed = %d, want 1", n)
	}

	// The next ping is as to an unknown neighbour: run its broadcast
	// requests' timers once it has queued the echo request.
	done := make(chan string)
	go func() {
		out, _ := shellPing(t, a, "-c 1 -W 5 10.0.0.2")
		done <- out
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if s, ok := state(); ok && s == arp.Incomplete {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the ping after the failure made no INCOMPLETE entry")
		}
	}
	for range 3 { // arp.Config.Retries
		tick(time.Second)
	}
	out = <-done
	if !strings.Contains(out, "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable") {
		t.Errorf("ping once B's entry failed:\n%s\nwant Destination Host Unreachable", out)
	}
	if n := a.ARP.Stats.Failed.Load(); n != 2 {
		t.Errorf("ARP Failed = %d, want 2", n)
	}
	if n := a.ARP.Stats.OutRequests.Load() - requests; n != 3+3 { // probes, then broadcast requests
		t.Errorf("A sent %d ARP requests after unplugging B, want 6", n)
	}
}
