package netdev

import (
	"slices"
	"testing"
)

// Registered once per process (go test -count=2 runs the test twice).
var testLayer = RegisterLayer("testproto")

// A protocol registers its layer without netdev naming it: the layer
// prints, parses, is in Layers and AllLayers, and traces.
func TestRegisterLayer(t *testing.T) {
	l := testLayer
	if l.String() != "testproto" {
		t.Errorf("String %q, want testproto", l)
	}
	if got, ok := ParseLayer("testproto"); !ok || got != l {
		t.Errorf("ParseLayer: %v %v, want %v true", got, ok, l)
	}
	if !slices.Contains(Layers(), l) || AllLayers()&(1<<l) == 0 {
		t.Errorf("layer %d missing from Layers %v or AllLayers %b", l, Layers(), AllLayers())
	}
	if _, ok := ParseLayer("nosuch"); ok {
		t.Error("ParseLayer accepted an unregistered name")
	}
	var tr Tracer
	var got []TraceEvent
	tr.Set(1<<l, func(e TraceEvent) { got = append(got, e) })
	tr.Trace(LayerUDP, TraceIn, nil, []byte{1}) // not switched on
	tr.Trace(l, TraceOut, nil, []byte{2})
	if len(got) != 1 || got[0].Layer != l || got[0].Data[0] != 2 {
		t.Errorf("events %+v, want the one of layer %v", got, l)
	}
	for _, bad := range []string{"testproto", "udp", "all", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterLayer(%q) did not refuse", bad)
				}
			}()
			RegisterLayer(bad)
		}()
	}
}

// Built-in layers keep their names and order (debug's selectors).
func TestBuiltinLayers(t *testing.T) {
	want := []string{"dev", "l2", "arp", "ip", "icmp", "udp"}
	for i, name := range want {
		if got := Layer(i).String(); got != name {
			t.Errorf("layer %d is %q, want %q", i, got, name)
		}
	}
	if l := Layer(MaxLayers); l.String() != "layer?" {
		t.Errorf("unregistered layer prints %q", l)
	}
}
