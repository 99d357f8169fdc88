package counters_test

import (
	"testing"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/internal/counters"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// TestLayerStats walks the real counter structs: every layer's Stats must
// expose its counters (stat prints them) and Reset must zero them all.
func TestLayerStats(t *testing.T) {
	tests := []struct {
		name    string
		stats   any
		atLeast int
		first   string
	}{
		{"netdev", &netdev.Stats{}, 12, "RxPackets"},
		{"ip", &ip.Stats{}, 12, "InReceives"},
		{"arp", &arp.Stats{}, 10, "InRequests"},
		{"icmp", &icmp.Stats{}, 8, "InMsgs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := counters.Of(tt.stats)
			if len(cs) < tt.atLeast {
				t.Fatalf("%d counters, want at least %d", len(cs), tt.atLeast)
			}
			if cs[0].Name != tt.first {
				t.Errorf("first counter %q, want %q", cs[0].Name, tt.first)
			}
			seen := map[string]bool{}
			for i, c := range cs {
				if seen[c.Name] {
					t.Errorf("counter %q listed twice", c.Name)
				}
				seen[c.Name] = true
				c.Value.Add(uint64(i + 1))
			}
			counters.Reset(tt.stats)
			for _, c := range cs {
				if v := c.Value.Load(); v != 0 {
					t.Errorf("%s = %d after Reset, want 0", c.Name, v)
				}
			}
		})
	}
}
