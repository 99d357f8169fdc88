package arp

import (
	"net/netip"
	"testing"

	"github.com/gotapip/gotapip/netdev"
)

// A sender that is not a host of the device's subnet (10.0.0.0/24 here) is
// neither learned nor answered, whether it asks for us, answers us or
// announces itself; the drop is counted and traced with its reason.
func TestSenderNotOnSubnetNotLearned(t *testing.T) {
	senders := []struct {
		name, ip, reason string
	}{
		{"network address", "10.0.0.0", "sender IP is the subnet's network address"},
		{"broadcast address", "10.0.0.255", "sender IP is the subnet's broadcast address"},
		{"off the subnet", "192.168.7.9", "sender IP is not on the device's subnet"},
		{"limited broadcast", "255.255.255.255", "sender IP is not on the device's subnet"},
	}
	for _, s := range senders {
		spa := netip.MustParseAddr(s.ip)
		for _, pkt := range []struct {
			kind string
			f    Fields
		}{
			{"request for us", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: spa, TargetIP: ipA}},
			{"reply to us", Fields{Op: OpReply, SenderMAC: macB, SenderIP: spa, TargetMAC: macA, TargetIP: ipA}},
			{"gratuitous", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: spa, TargetIP: spa}},
		} {
			t.Run(s.name+"/"+pkt.kind, func(t *testing.T) {
				h := newHarness(t, Config{})
				var reasons []string
				h.cache.Tracer = &netdev.Tracer{}
				h.cache.Tracer.Set(1<<netdev.LayerARP, func(e netdev.TraceEvent) {
					if e.Dir == netdev.TraceDrop {
						reasons = append(reasons, e.Reason)
					}
				})
				if pkt.f.Op == OpReply { // a pending entry a reply would complete
					h.resolve(spa, "x")
					h.sent()
				}
				h.receive(netdev.BroadcastMAC, macB, pkt.f)
				if got := h.sent(); len(got) != 0 {
					t.Errorf("sent %d frames in answer to %v", len(got), spa)
				}
				if e, ok := h.entry(spa); ok && e.State != Incomplete {
					t.Errorf("%v learned as %v", spa, e.State)
				}
				if n := h.cache.Stats.InBadSenderIP.Load(); n != 1 {
					t.Errorf("InBadSenderIP = %d, want 1", n)
				}
				if len(reasons) != 1 || reasons[0] != s.reason {
					t.Errorf("drop reasons %q, want [%q]", reasons, s.reason)
				}
			})
		}
	}
}

// A host of the subnet is still learned (the control for the test above).
func TestSenderOnSubnetLearned(t *testing.T) {
	h := newHarness(t, Config{})
	h.learn(macB, ipB)
	h.wantState(ipB, Reachable)
	if n := h.cache.Stats.InBadSenderIP.Load(); n != 0 {
		t.Errorf("InBadSenderIP = %d, want 0", n)
	}
}

func TestNotNeighbour(t *testing.T) {
	tests := []struct {
		subnet, sender string
		ok             bool
	}{
		{"10.0.0.1/24", "10.0.0.2", true},
		{"10.0.0.1/24", "10.0.0.254", true},
		{"10.0.0.1/24", "10.0.0.0", false},
		{"10.0.0.1/24", "10.0.0.255", false},
		{"10.0.0.1/24", "10.0.1.2", false},
		{"10.0.0.5/30", "10.0.0.6", true},
		{"10.0.0.5/30", "10.0.0.4", false},
		{"10.0.0.5/30", "10.0.0.7", false},
		{"10.0.0.0/31", "10.0.0.1", true}, // RFC 3021: no network or broadcast address
		{"10.0.0.1/31", "10.0.0.0", true},
		{"10.0.0.1/32", "10.0.0.2", false},
		{"10.0.0.1/8", "10.255.0.1", true},
		{"10.0.0.1/8", "10.255.255.255", false},
	}
	for _, tt := range tests {
		reason := notNeighbour(netip.MustParsePrefix(tt.subnet), netip.MustParseAddr(tt.sender))
		if (reason == "") != tt.ok {
			t.Errorf("notNeighbour(%s, %s) = %q, want a neighbour: %v", tt.subnet, tt.sender, reason, tt.ok)
		}
	}
	if reason := notNeighbour(netip.Prefix{}, netip.MustParseAddr("10.0.0.2")); reason == "" {
		t.Error("a device without an address took a neighbour")
	}
}
