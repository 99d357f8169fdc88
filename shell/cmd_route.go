package shell

import (
	"context"
	"fmt"
	"net"
	"net/netip"

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
		return usage("route %s: unknown form", args[0])
	}
	prefix, err := parseRoutePrefix(args[1])
	if err != nil {
		return err
	}
	if args[0] == "del" {
		if len(args) != 2 {
			return usage("route del takes only the prefix")
		}
		return sh.Stack.IP.Routes.Delete(prefix)
	}
	r := ip.Route{Prefix: prefix.Masked()}
	rest := args[2:]
	if len(rest) >= 2 && rest[0] == "via" {
		if r.Gateway, err = parseIPv4(rest[1]); err != nil {
			return err
		}
		rest = rest[2:]
	}
	if len(rest) != 0 && (len(rest) != 2 || rest[0] != "dev") {
		return usage("route add: expected via GW and/or dev IFACE, got %q", rest)
	}
	if !r.Gateway.IsValid() && len(rest) == 0 {
		return usage("route add %v: give a gateway (via GW) or a device (dev IFACE)", prefix)
	}
	if r.Dev, err = sh.deviceFor(r.Gateway, rest); err != nil {
		return err
	}
	return sh.Stack.IP.Routes.Add(r)
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
	// net-tools route -n's own layout, so the table reads as engineers know it.
	fmt.Fprintln(sh.Out, "Kernel IP routing table")
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
