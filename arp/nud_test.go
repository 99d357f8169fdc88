package arp

import (
	"fmt"
	"testing"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// The neighbour unreachability detection of a stale entry in use (Linux's
// NUD, DELAY folded into PROBE): a unicast probe per RetryInterval, then
// failure; any ARP packet from the neighbour meanwhile confirms it.

// staleB is a harness whose cache holds 10.0.0.2 at macB, stale.
func staleB(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := newHarness(t, cfg)
	h.learn(macB, ipB)
	h.tick(30 * time.Second)
	h.wantState(ipB, Stale)
	return h
}

// isProbe says whether s is a probe for ipB: an ARP request from us, in a
// frame to macB alone, its target MAC zero (as Linux's).
func isProbe(s sent) bool {
	return s.arp != nil && s.arp.Op() == OpRequest && s.dst == macB && s.src == macA && s.arp.SenderMAC() == macA &&
		s.arp.SenderIP() == ipA && s.arp.TargetIP() == ipB && s.arp.TargetMAC().IsZero()
}

// wantProbes checks that exactly n frames went out, each a probe for ipB.
func (h *harness) wantProbes(n int) {
	h.t.Helper()
	got := h.sent()
	if len(got) != n {
		h.t.Fatalf("sent %d frames, want %d probes of %v", len(got), n, ipB)
	}
	for _, s := range got {
		if !isProbe(s) {
			h.t.Errorf("sent %v > %v: % x, want a request who-has %v tell %v to %v alone, target MAC zero", s.src, s.dst, s.payload, ipB, ipA, macB)
		}
	}
}

// TestStaleUseProbesByUnicast: the first use of a stale entry sends one
// probe to the cached MAC alone (RFC 1122 2.3.2.1), then the packet to that
// MAC; the entry is PROBE, still used, and later uses send no probe.
func TestStaleUseProbesByUnicast(t *testing.T) {
	h := staleB(t, Config{})
	h.resolve(ipB, "s1")
	got := h.sent()
	if len(got) != 2 {
		t.Fatalf("sent %d frames, want a probe and the packet", len(got))
	}
	if s := got[0]; !isProbe(s) {
		t.Errorf("first frame %v > %v: % x, want a request who-has %v tell %v to %v alone, target MAC zero", s.src, s.dst, s.payload, ipB, ipA, macB)
	}
	if s := got[1]; s.typ != netdev.EtherTypeIPv4 || s.dst != macB {
		t.Errorf("second frame to %v as %s, want the packet, IPv4 to %v", s.dst, netdev.EtherTypeName(s.typ), macB)
	}
	h.wantState(ipB, Probing)
	if mac, ok := h.cache.Lookup(ipB); !ok || mac != macB {
		t.Errorf("Lookup of a probing entry = %v, %v; want %v, true", mac, ok, macB)
	}
	h.resolve(ipB, "s2")
	h.resolve(ipB, "s3")
	h.wantIP(macB, "s2", "s3")
	if n := h.cache.Stats.OutRequests.Load(); n != 1 {
		t.Errorf("OutRequests = %d, want 1", n)
	}
}

// TestProbeUnansweredFails: a used stale entry whose neighbour is gone gets
// UnicastProbes (3) probes a RetryInterval (1 s) apart, packets still going
// to the cached MAC; a RetryInterval after the last it fails and leaves the
// cache. The next packet starts over as for an unknown neighbour: a new
// INCOMPLETE entry, broadcast requests, then Unresolved (host unreachable).
func TestProbeUnansweredFails(t *testing.T) {
	h := staleB(t, Config{})
	var unresolved []string
	h.cache.Unresolved = func(p *netdev.Packet) {
		unresolved = append(unresolved, string(p.Data()))
		p.Free()
	}
	h.resolve(ipB, "p1")
	if ip, probes, other := h.count(macB, ipB, macB); ip != 1 || probes != 1 || other != 0 {
		t.Fatalf("first use sent %d packets, %d probes, %d other; want 1, 1, 0", ip, probes, other)
	}
	h.tick(999 * time.Millisecond)
	h.wantProbes(0)
	h.tick(time.Millisecond)
	h.wantProbes(1) // 1 s: second
	h.resolve(ipB, "p2")
	h.wantIP(macB, "p2") // still sent to the cached MAC, as Linux
	h.tick(time.Second)
	h.wantProbes(1) // 2 s: third
	h.wantState(ipB, Probing)
	h.tick(999 * time.Millisecond)
	h.wantProbes(0)
	h.wantState(ipB, Probing)
	h.tick(time.Millisecond) // 3 s: failed
	h.wantProbes(0)
	h.wantNoEntry(ipB)
	if _, ok := h.cache.Lookup(ipB); ok {
		t.Error("Lookup of a failed neighbour succeeded")
	}
	if n := h.cache.Stats.Failed.Load(); n != 1 {
		t.Errorf("Failed = %d, want 1", n)
	}
	if len(unresolved) != 0 {
		t.Errorf("Unresolved got %q: packets sent while probing are not held", unresolved)
	}

	h.resolve(ipB, "p3") // as to an unknown neighbour
	h.wantRequests(1, ipB)
	h.wantState(ipB, Incomplete)
	for range 3 { // Retries
		h.tick(time.Second)
	}
	h.wantRequests(2, ipB)
	h.wantNoEntry(ipB)
	if fmt.Sprint(unresolved) != "[p3]" {
		t.Errorf("Unresolved got %q, want [p3]", unresolved)
	}
	if n := h.cache.Stats.Failed.Load(); n != 2 {
		t.Errorf("Failed = %d, want 2", n)
	}
}

// TestProbeAnswered: whatever ARP packet the neighbour sends while its
// entry is PROBE makes it REACHABLE again at the MAC it gives, and ends the
// probes.
func TestProbeAnswered(t *testing.T) {
	tests := []struct {
		name   string
		after  int        // probes sent before the answer
		mac    netdev.MAC // the neighbour's MAC in the answer
		answer Fields
	}{
		{"reply to the first probe", 1, macB, Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA}},
		{"reply to the third probe", 3, macB, Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA}},
		{"reply from a new MAC", 2, macC, Fields{Op: OpReply, SenderMAC: macC, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA}},
		{"gratuitous ARP from a new MAC", 1, macC, Fields{Op: OpRequest, SenderMAC: macC, SenderIP: ipB, TargetIP: ipB}},
		{"its own request for us", 2, macB, Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipB, TargetIP: ipA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := staleB(t, Config{})
			h.resolve(ipB, "before")
			if ip, req, other := h.count(macB, ipB, macB); ip != 1 || req != 1 || other != 0 {
				t.Fatalf("first use sent %d packets, %d probes, %d other; want 1, 1, 0", ip, req, other)
			}
			for range tt.after - 1 {
				h.tick(time.Second)
			}
			h.wantProbes(tt.after - 1)
			h.wantState(ipB, Probing)
			dst := macA
			if tt.answer.TargetIP == ipB {
				dst = netdev.BroadcastMAC
			}
			h.receive(dst, tt.mac, tt.answer)
			h.sent() // our reply to its request, if it was one
			h.wantState(ipB, Reachable)
			if e, _ := h.entry(ipB); e.MAC != tt.mac || e.Age != 0 {
				t.Errorf("entry at %v, age %v; want %v, 0s", e.MAC, e.Age, tt.mac)
			}
			h.resolve(ipB, "after")
			h.wantIP(tt.mac, "after")
			for range 5 {
				h.tick(time.Second)
			}
			h.wantRequests(0, ipB) // no more probes, no failure
			h.wantState(ipB, Reachable)
			if n := h.cache.Stats.Failed.Load(); n != 0 {
				t.Errorf("Failed = %d, want 0", n)
			}
		})
	}
}

// TestUnicastProbesConfig: UnicastProbes sets how many probes go out
// before the entry fails, and SetTimers changes it.
func TestUnicastProbesConfig(t *testing.T) {
	for _, n := range []int{1, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			h := staleB(t, Config{UnicastProbes: 7, RetryInterval: 100 * time.Millisecond})
			h.cache.SetTimers(Config{UnicastProbes: n, MaxEntries: 1}) // MaxEntries is not a timer: ignored
			if c := h.cache.Config(); c.UnicastProbes != n || c.MaxEntries != 512 || c.RetryInterval != 100*time.Millisecond {
				t.Errorf("after SetTimers: UnicastProbes %d, MaxEntries %d, RetryInterval %v; want %d, 512, 100ms",
					c.UnicastProbes, c.MaxEntries, c.RetryInterval, n)
			}
			h.resolve(ipB, "x")
			h.sent()
			for range n - 1 {
				h.tick(100 * time.Millisecond)
			}
			h.wantProbes(n - 1)
			h.wantState(ipB, Probing)
			h.tick(100 * time.Millisecond)
			h.wantProbes(0)
			h.wantNoEntry(ipB)
		})
	}
}

// TestPermanentNeverProbes: a permanent entry in use for a day never goes
// stale, never probes, never fails.
func TestPermanentNeverProbes(t *testing.T) {
	h := newHarness(t, Config{})
	if err := h.cache.AddPermanent(h.dev, ipB, macB); err != nil {
		t.Fatal(err)
	}
	for i := range 24 * 60 {
		h.tick(time.Minute)
		h.resolve(ipB, fmt.Sprint(i%10))
	}
	if ip, req, other := h.count(macB, ipB, macB); ip != 24*60 || req != 0 || other != 0 {
		t.Errorf("a day of use sent %d packets, %d probes, %d other frames; want %d, 0, 0", ip, req, other, 24*60)
	}
	h.wantState(ipB, Permanent)
	if n := h.cache.Stats.OutRequests.Load(); n != 0 {
		t.Errorf("OutRequests = %d, want 0", n)
	}
}

// TestProbingEntryEvictable: an entry being probed is resolved and holds no
// packets, so a full cache may evict it like a stale one.
func TestProbingEntryEvictable(t *testing.T) {
	h := staleB(t, Config{MaxEntries: 1})
	h.resolve(ipB, "x")
	h.sent()
	h.wantState(ipB, Probing)
	h.learn(macC, ipC)
	h.wantNoEntry(ipB)
	h.wantState(ipC, Reachable)
	if n := h.cache.Stats.Evictions.Load(); n != 1 {
		t.Errorf("Evictions = %d, want 1", n)
	}
}
