package shell

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/netdev"
)

var arpcacheCommand = &Command{
	Name:  "arpcache",
	Usage: "[add IP MAC [dev IFACE] | del IP | flush]",
	Brief: "show or edit the ARP (neighbour) cache",
	Help: `With no arguments, lists every entry as ip neigh does: address, device,
MAC and state (an empty cache prints nothing). The states:
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
		if err != nil || mac.IsZero() || mac[0]&1 != 0 {
			return fmt.Errorf("%s: not a unicast MAC address (give six hex octets like 02:00:0a:00:00:02)", args[2])
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
		if err := s.ARP.Delete(addr); errors.Is(err, arp.ErrNotFound) {
			return fmt.Errorf("%v: no such entry (arpcache lists them)", addr)
		} else if err != nil {
			return err
		}
		return nil
	case args[0] == "flush" && len(args) == 1:
		n := s.ARP.Flush(nil)
		fmt.Fprintf(sh.Out, "flushed %s\n", plural(n, "entry", "entries"))
		return nil
	}
	return usage("%s: unknown form", strings.Join(args, " "))
}

// printArpcache lists the cache as ip neigh does, one entry a line:
// "10.0.0.2 dev tap0 lladdr 02:00:0a:00:00:02 REACHABLE"; an empty cache
// prints nothing.
func (sh *Shell) printArpcache() {
	for _, e := range sh.Stack.ARP.List() {
		lladdr := " lladdr " + e.MAC.String()
		if e.State == arp.Incomplete {
			lladdr = "" // no MAC yet
		}
		fmt.Fprintf(sh.Out, "%s dev %s%s %s\n", e.IP, e.Dev, lladdr, e.State)
	}
}

// deviceFor picks the device for a neighbour or gateway: the one named by
// "dev IFACE" in rest, or else the one whose connected subnet holds addr.
func (sh *Shell) deviceFor(addr netip.Addr, rest []string) (*netdev.NetDev, error) {
	if len(rest) == 2 && rest[0] == "dev" {
		return sh.Stack.Device(rest[1])
	}
	if d := sh.deviceOn(addr); d != nil {
		return d, nil
	}
	return nil, fmt.Errorf("%v: on no device's subnet (give dev IFACE)", addr)
}

// deviceOn is the device whose connected subnet holds addr, or nil.
func (sh *Shell) deviceOn(addr netip.Addr) *netdev.NetDev {
	for _, d := range sh.Stack.Devices() {
		if d.Addr().Contains(addr) {
			return d
		}
	}
	return nil
}

func parseIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%s: not an IPv4 address (give one like 10.0.0.2)", s)
	}
	return a, nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%s: not an IPv4 prefix (give one like 10.0.0.1/24)", s)
	}
	return p, nil
}
