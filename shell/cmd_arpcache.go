package shell

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/gotapip/gotapip/netdev"
)

var arpcacheCommand = &Command{
	Name:  "arpcache",
	Usage: "[add IP MAC [dev IFACE] | del IP | flush]",
	Brief: "show or edit the ARP (neighbour) cache",
	Help: `With no arguments, lists every entry: address, MAC, state, device and the
time since it was last confirmed. States, as ip neigh names them:
INCOMPLETE (asked by broadcast, no answer yet), REACHABLE (confirmed
recently), STALE (unconfirmed for base_reachable_time; probed at its next
use), PROBE (in use while stale: still used, asked by unicast every
retrans_time; removed after ucast_solicit unanswered), PERMANENT.
add makes a permanent entry (on the device whose subnet holds IP unless dev
is given); del removes one; flush removes every dynamic entry.`,
	Run: runArpcache,
}

func runArpcache(ctx context.Context, sh *Shell, args []string) error {
	if len(args) == 0 {
		sh.printArpcache()
		return nil
	}
	s := sh.Stack
	switch {
	case args[0] == "add" && (len(args) == 3 || len(args) == 5 && args[3] == "dev"):
		addr, err := parseIPv4(args[1])
		if err != nil {
			return err
		}
		mac, err := netdev.ParseMAC(args[2])
		if err != nil {
			return err
		}
		dev, err := sh.deviceFor(addr, args[3:])
		if err != nil {
			return err
		}
		return s.ARP.AddPermanent(dev, addr, mac)
	case args[0] == "del" && len(args) == 2:
		addr, err := parseIPv4(args[1])
		if err != nil {
			return err
		}
		return s.ARP.Delete(addr)
	case args[0] == "flush" && len(args) == 1:
		n := s.ARP.Flush(nil)
		fmt.Fprintf(sh.Out, "flushed %d entries\n", n)
		return nil
	}
	return usage("arpcache %s: unknown form", args[0])
}

func (sh *Shell) printArpcache() {
	entries := sh.Stack.ARP.List()
	if len(entries) == 0 {
		fmt.Fprintln(sh.Out, "arp cache is empty")
		return
	}
	w := sh.table()
	fmt.Fprintln(w, "Address\tHWaddress\tState\tIface\tAge")
	for _, e := range entries {
		mac, age := e.MAC.String(), fmt.Sprintf("%.1fs", e.Age.Seconds())
		switch e.State.String() {
		case "INCOMPLETE":
			mac = "(incomplete)"
		case "PERMANENT":
			age = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.IP, mac, e.State, e.Dev, age)
	}
	w.Flush()
}

// deviceFor picks the device for a neighbour or gateway: the one named by
// "dev IFACE" in rest, or else the one whose connected subnet holds addr.
func (sh *Shell) deviceFor(addr netip.Addr, rest []string) (*netdev.NetDev, error) {
	if len(rest) == 2 && rest[0] == "dev" {
		return sh.Stack.Device(rest[1])
	}
	for _, d := range sh.Stack.Devices() {
		if d.Addr().Contains(addr) {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%v is on no device's subnet: say which with dev IFACE", addr)
}

func parseIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address (like 10.0.0.2)", s)
	}
	return a, nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 prefix (like 10.0.0.1/24)", s)
	}
	return p, nil
}
