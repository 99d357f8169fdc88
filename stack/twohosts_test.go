package stack_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
)

// twoHosts joins two stacks, A (10.0.0.1) and B (10.0.0.2), with a pipe.
func twoHosts(t *testing.T, seed uint64) (a, b *stack.Stack, wire *pipe.End) {
	t.Helper()
	a, b, wire, _ = stacktest.Pair(t, seed, stack.Config{}, stack.Config{})
	return a, b, wire
}

// pingN sends count echo requests, one every 20 ms as ping -i does, and
// returns the distinct sequence numbers answered before ctx ends.
func pingN(t *testing.T, ctx context.Context, s *stack.Stack, dst string, count int) map[uint16]bool {
	t.Helper()
	pg, err := s.ICMP.NewPinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	got := map[uint16]bool{}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for seq := 1; len(got) < count; {
		select {
		case r := <-pg.Replies():
			if r.Err == nil {
				got[r.Seq] = true
			}
		case <-tick.C:
			if seq <= count {
				if err := pg.Send(netip.MustParseAddr(dst), uint16(seq), icmp.SendOptions{Size: 56}); err != nil {
					t.Fatalf("send seq %d: %v", seq, err)
				}
				seq++
			}
		case <-ctx.Done():
			return got
		}
	}
	return got
}

func TestPingOverPipe(t *testing.T) {
	a, b, _ := twoHosts(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if got := pingN(t, ctx, a, "10.0.0.2", 5); len(got) != 5 {
		t.Fatalf("A->B: %d of 5 replies", len(got))
	}
	if got := pingN(t, ctx, b, "10.0.0.1", 5); len(got) != 5 {
		t.Fatalf("B->A: %d of 5 replies", len(got))
	}
	if mac, ok := a.ARP.Lookup(netip.MustParseAddr("10.0.0.2")); !ok || mac != stack.MACFor(netip.MustParseAddr("10.0.0.2")) {
		t.Errorf("A's ARP entry for B = %v, %v; want 02:00:00:00:00:02", mac, ok)
	}
}

// arpFast retries every 50 ms, so a test of ARP giving up takes 200 ms.
func arpFast() arp.Config { return arp.Config{RetryInterval: 50 * time.Millisecond} }
