package arp

import (
	"net/netip"
	"testing"

	"github.com/gotapip/gotapip/netdev"
)

// TestConflictProbe: an RFC 5227 probe goes out with sender IP 0.0.0.0;
// it hears any host using the address (a reply, a request, an
// announcement) and another host's probe for it, but not what concerns
// other addresses; arping's probes hear none of it.
func TestConflictProbe(t *testing.T) {
	target := netip.MustParseAddr("10.0.0.50")
	other := netip.MustParseAddr("10.0.0.51")
	cases := []struct {
		name string
		f    Fields
		want bool
	}{
		{"reply from it", Fields{Op: OpReply, SenderMAC: macB, SenderIP: target, TargetMAC: macA, TargetIP: netip.IPv4Unspecified()}, true},
		{"request from it", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: target, TargetIP: other}, true},
		{"announcement", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: target, TargetIP: target}, true},
		{"another's probe", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: netip.IPv4Unspecified(), TargetIP: target}, true},
		{"about another address", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: other, TargetIP: other}, false},
		{"a probe for another", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: netip.IPv4Unspecified(), TargetIP: other}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			p, err := h.cache.NewConflictProbe(h.dev, target)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			arping, _ := h.cache.NewProbe(target)
			defer arping.Close()
			p.SendProbe(h.dev)
			s := h.sent()
			if len(s) != 1 || s[0].dst != netdev.BroadcastMAC || s[0].arp.SenderIP() != netip.IPv4Unspecified() || s[0].arp.TargetIP() != target {
				t.Fatalf("sent %v, want one broadcast probe 0.0.0.0 -> %v", s, target)
			}
			h.receive(netdev.BroadcastMAC, macB, c.f)
			select {
			case a := <-p.Answers():
				if !c.want {
					t.Errorf("heard %v", a)
				} else if a.MAC != macB {
					t.Errorf("answer from %v, want %v", a.MAC, macB)
				}
			default:
				if c.want {
					t.Error("the conflict went unheard")
				}
			}
			select {
			case a := <-arping.Answers():
				t.Errorf("arping's probe heard %v (nothing was sent to our address)", a)
			default:
			}
		})
	}
}
