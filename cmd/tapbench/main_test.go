//go:build linux

package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseFlagsTargets(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"kernel", "gotapip", "gotapip-nooffload", "gotapip-packet", "gvisor"}; !slices.Equal(o.targets, want) {
		t.Errorf("default targets %q, want %q", o.targets, want)
	}
	if o, err = parseFlags([]string{"-targets", "gotapip-packet,kernel"}); err != nil || !slices.Equal(o.targets, []string{"gotapip-packet", "kernel"}) {
		t.Errorf("-targets gotapip-packet,kernel: %q, %v", o.targets, err)
	}
	if _, err = parseFlags([]string{"-targets", "kernel,gotapip-af"}); err == nil || !strings.Contains(err.Error(), "gotapip-af") {
		t.Errorf("-targets with an unknown name: err %v", err)
	}
}

func TestOrder(t *testing.T) {
	o := options{scenarios: []string{scICMPEcho, scUDPEcho}, windows: []int{1, 64}}
	var rs []result
	// Measured target by target, the packet target first.
	for _, tg := range []string{"gotapip-packet", "kernel", "gotapip"} {
		for _, sc := range o.scenarios {
			for _, w := range o.windows {
				rs = append(rs, result{Scenario: sc, Target: tg, Window: w})
			}
		}
	}
	var got []string
	for _, r := range order(rs, o) {
		got = append(got, r.Scenario+"/"+r.Target)
	}
	want := []string{
		"icmp-echo/kernel", "icmp-echo/gotapip", "icmp-echo/gotapip-packet", // W=1
		"icmp-echo/kernel", "icmp-echo/gotapip", "icmp-echo/gotapip-packet", // W=64
		"udp-echo/kernel", "udp-echo/gotapip", "udp-echo/gotapip-packet",
		"udp-echo/kernel", "udp-echo/gotapip", "udp-echo/gotapip-packet",
	}
	if !slices.Equal(got, want) {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
}

func TestClientDev(t *testing.T) {
	for _, tt := range []struct{ dst, dev string }{
		{kernelAddr, "tbv0"}, {stackAddr, tapName}, {packetStackAddr, packetClientDev},
	} {
		if got := clientDev(ip4(tt.dst)); got != tt.dev {
			t.Errorf("clientDev(%s) = %s, want %s", tt.dst, got, tt.dev)
		}
	}
	// Each target's subnet is its own: the flow sources stay on it.
	if a := flowSource(ip4(packetStackAddr), 3); a != [4]byte{10, 77, 2, 103} {
		t.Errorf("flowSource(packet, 3) = %v", a)
	}
}
