package main

import (
	"errors"
	"flag"
	"net/netip"
	"testing"

	"github.com/gotapip/gotapip/stack"
)

// Every flag error says which flag, what is wrong and what to give, in
// tapip's words (no Go function names); run prints it with the usage.
func TestParseFlagsErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-poll", "x"}, "-poll x: unknown mode (give auto, sleep or busy)"},
		{[]string{"-dev", "sim", "extra"}, `extra: unexpected argument (commands go in -c "CMD; CMD")`},
		{[]string{"-dev", "wifi:wlan0"}, "-dev wifi:wlan0: unsupported device kind (give tap:NAME, packet:IFACE, macvtap:IFACE, netmap:IFACE or sim)"},
		{[]string{"-dev", "tap:"}, "-dev tap:: bad interface name (give tap:IFACE, IFACE of 1 to 15 characters)"},
		{[]string{"-dev", "sim:x"}, "-dev sim:x: sim takes no interface (give sim)"},
		{[]string{"-addr", "10.0.0.1"}, "-addr 10.0.0.1: not an IPv4 address with prefix (give one like 10.0.0.1/24)"},
		{[]string{"-dev", "sim", "-peer", "10.0.0.5/24"}, "-peer 10.0.0.5/24: only a TAP has a kernel side to address (leave -peer out with -dev sim)"},
		{[]string{"-peer", "x"}, "-peer x: not an IPv4 address with prefix (give one like 10.0.0.2/24, or none)"},
		{[]string{"-hwaddr", "zz:zz"}, "-hwaddr zz:zz: not a MAC address (give six hex octets like 02:00:0a:00:00:01)"},
		{[]string{"-gw", "10.0.0"}, "-gw 10.0.0: not an IPv4 address (give one like 10.0.0.254)"},
		{[]string{"-dns", "ns.lab"}, "-dns ns.lab: not an IPv4 unicast address (give a name server's, like 10.0.0.254)"},
		{[]string{"-dns", "224.0.0.251"}, "-dns 224.0.0.251: not an IPv4 unicast address (give a name server's, like 10.0.0.254)"},
		{[]string{"-mtu", "big"}, "-mtu big: not a number (give bytes, like 1500)"},
		{[]string{"-frob"}, "-frob: unknown flag (tapip -h lists them)"},
		{[]string{"-c"}, "-c: needs a value (tapip -h says which)"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			_, err := parseFlags(c.args)
			if err == nil {
				t.Fatalf("parseFlags(%q) succeeded, want an error", c.args)
			}
			if got := err.Error(); got != c.want {
				t.Errorf("parseFlags(%q) (-want +got):\n-%s\n+%s", c.args, c.want, got)
			}
		})
	}
	if _, err := parseFlags([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

func TestParseFlagsValues(t *testing.T) {
	o, err := parseFlags([]string{"-dev", "tap:lab0", "-addr", "192.168.5.1/24", "-peer", "none", "-gw", "192.168.5.254", "-dns", "192.168.5.53", "-mtu", "9000", "-poll", "busy"})
	if err != nil {
		t.Fatal(err)
	}
	if o.devDefault || o.spec != (stack.DeviceSpec{Kind: "tap", Iface: "lab0"}) || o.dev.Addr != netip.MustParsePrefix("192.168.5.1/24") ||
		o.dev.Peer.IsValid() || o.gw != netip.MustParseAddr("192.168.5.254") || o.dns != netip.MustParseAddr("192.168.5.53") || o.dev.MTU != 9000 || o.dev.BusyPoll != stack.DefaultBusyPoll {
		t.Errorf("parseFlags = %+v", o)
	}
	o, err = parseFlags(nil)
	if err != nil || !o.devDefault || o.spec.String() != "tap:tap0" || o.dev.Peer != netip.MustParsePrefix("10.0.0.2/24") || o.dev.NoOffload || o.dev.BusyPoll != stack.AutoBusyPoll {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	if o, err = parseFlags([]string{"-poll", "sleep"}); err != nil || o.dev.BusyPoll != 0 {
		t.Errorf("-poll sleep: BusyPoll %v, %v; want 0", o.dev.BusyPoll, err)
	}
	for _, off := range []string{"-offload=false", "-offload=0"} {
		if o, err = parseFlags([]string{off}); err != nil || !o.dev.NoOffload {
			t.Errorf("%s: NoOffload %v, %v; want true", off, o.dev.NoOffload, err)
		}
	}
}
