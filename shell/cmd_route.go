package shell

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/gotapip/gotapip/ip"
)

var routeCommand = &Command{
	Name:  "route",
	Usage: "[add PREFIX|default [via GW] [dev IFACE] | del PREFIX|default]",
	Brief: "show or edit the routing table",
	Help: `With no arguments, lists the routes as route -n does, most specific first.
add needs a gateway, a device, or both; with only a gateway the device is
the one whose subnet holds it. Connected routes come and go with ifconfig.`,
	Run: runRoute,
}

func runRoute(ctx context.Context, sh *Shell, args []string) error {
	if len(args) == 0 {
		sh.printRoutes()
		return nil
	}
	if len(args) < 2 || (args[0] != "add" && args[0] != "del") {
		return usage("%s: unknown form", strings.Join(args, " "))
	}
	prefix, err := parseRoutePrefix(args[1])
	if err != nil {
		return err
	}
	if args[0] == "del" {
		if len(args) != 2 {
			return usage("del takes only the prefix")
		}
		return sh.Stack.IP.Routes.Delete(prefix)
	}
	r := ip.Route{Prefix: prefix} // unmasked: host bits set are refused
	rest := args[2:]
	if len(rest) >= 2 && rest[0] == "via" {
		if r.Gateway, err = parseIPv4(rest[1]); err != nil {
			return err
		}
		rest = rest[2:]
	}
	switch {
	case len(rest) == 2 && rest[0] == "dev":
		if r.Dev, err = sh.Stack.Device(rest[1]); err != nil {
			return err
		}
	case len(rest) != 0:
		return usage("add: %s: unknown form (give via GW and/or dev IFACE)", strings.Join(rest, " "))
	case !r.Gateway.IsValid():
		return usage("add %v: give a gateway (via GW) or a device (dev IFACE)", prefix)
	default:
		if r.Dev = sh.deviceOn(r.Gateway); r.Dev == nil {
			return fmt.Errorf("via %v: %w (on no device's subnet: a gateway must be on a connected subnet)", r.Gateway, ip.ErrInvalidGateway)
		}
	}
	return sh.Stack.AddRoute(r)
}

func parseRoutePrefix(s string) (netip.Prefix, error) {
	if s == "default" {
		return netip.MustParsePrefix("0.0.0.0/0"), nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return netip.PrefixFrom(a, 32), nil // a host route
	}
	return parseCIDR(s)
}

func (sh *Shell) printRoutes() {
	// net-tools route -n's own layout, so the table reads as engineers know
	// it; titled for this stack, whose table it is, not the kernel's.
	fmt.Fprintln(sh.Out, "gotapip IP routing table")
	fmt.Fprintln(sh.Out, "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface")
	for _, r := range sh.Stack.IP.Routes.List() {
		gw := "0.0.0.0"
		if r.Gateway.IsValid() {
			gw = r.Gateway.String()
		}
		mask := net.IP(net.CIDRMask(r.Prefix.Bits(), 32)).String()
		fmt.Fprintf(sh.Out, "%-15s %-15s %-15s %-5s %-6d %-2d %7d %s\n", r.Prefix.Addr(), gw, mask, r.Flags(), 0, 0, 0, r.Dev)
	}
}
