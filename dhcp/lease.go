package dhcp

import (
	"net/netip"
	"slices"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/stack"
)

// Lease is what a server granted a device, as dhclient's lease file
// records it.
type Lease struct {
	Dev     string
	Addr    netip.Prefix // address and subnet (options 1 and yiaddr)
	Server  netip.Addr   // option 54
	Routers []netip.Addr // option 3
	DNS     []netip.Addr // option 6
	Routes  []Route      // option 121 (RFC 3442): used instead of Routers
	Domain  string       // option 15
	// Duration, T1 and T2 count from Start, when the REQUEST was sent.
	Duration, T1, T2 time.Duration
	Start            time.Time
	State            string // BOUND, RENEWING, REBINDING (SELECTING... before)
}

// Renew, Rebind and Expire are the lease's times.
func (l Lease) Renew() time.Time  { return l.Start.Add(l.T1) }
func (l Lease) Rebind() time.Time { return l.Start.Add(l.T2) }
func (l Lease) Expire() time.Time { return l.Start.Add(l.Duration) }

// applied is what the client put into the stack, to take out again.
type applied struct {
	addr   netip.Prefix
	want   []ip.Route // the lease's routes, to see a renewal change them
	routes []ip.Route // of want, those added (not there before)
	dns    []netip.Addr
}

// bind puts the lease into effect and sleeps until T1.
func (c *Client) bind() {
	c.configure()
	c.state = stateBound
	c.publish()
	c.restarts = 0
	if c.lease.Duration == Infinite {
		c.logf("bound to %v -- infinite lease.", c.lease.Addr.Addr())
		c.report(nil)
		return
	}
	wait := c.lease.Renew().Sub(c.clock.Now())
	c.arm(wait) // before Start returns: a test's clock may move at once
	c.logf("bound to %v -- renewal in %d seconds.", c.lease.Addr.Addr(), int(wait.Round(time.Second)/time.Second))
	c.report(nil)
}

// configure applies the lease: the address and its subnet route, the
// routes (option 121, else a default route via the first router), the DNS
// servers. A renewal that changes nothing changes nothing. A route the
// stack refuses (one there already) is told and skipped.
func (c *Client) configure() {
	want := c.lease.Addr
	if c.applied.addr == want && slices.Equal(c.applied.dns, c.lease.DNS) && slices.Equal(c.applied.want, c.routes()) {
		return
	}
	c.unconfigure()
	s := c.m.stack
	if err := s.SetAddress(c.dev, want); err != nil {
		c.logf("dhclient: %s: address %v: %v", c.dev.Name(), want, err)
		return
	}
	c.applied.addr, c.applied.want = want, c.routes()
	have := s.IP.Routes.List()
	for _, r := range c.applied.want {
		if slices.Contains(have, r) {
			continue // there already (tapip -gw): not ours to take out
		}
		if err := s.AddRoute(r); err != nil {
			c.logf("dhclient: route %v via %v: %v (kept what is there)", r.Prefix, r.NextHop(netip.IPv4Unspecified()), err)
			continue
		}
		c.applied.routes = append(c.applied.routes, r)
	}
	if dns := usableDNS(c.lease.DNS); len(dns) > 0 {
		if err := s.SetDNSServers(dns); err != nil {
			c.logf("dhclient: name servers %v: %v (kept what is there)", dns, err)
		} else {
			c.applied.dns = dns
		}
	}
}

// usableDNS is the lease's name servers a resolver can ask: IPv4 unicast
// addresses, the first stack.MaxDNSServers (as glibc's MAXNS).
func usableDNS(servers []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range servers {
		if a.Is4() && !a.IsUnspecified() && !a.IsMulticast() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255}) && len(out) < stack.MaxDNSServers {
			out = append(out, a)
		}
	}
	return out
}

// routes are the lease's routes on the device.
func (c *Client) routes() []ip.Route {
	var out []ip.Route
	if len(c.lease.Routes) > 0 {
		for _, r := range c.lease.Routes {
			out = append(out, ip.Route{Prefix: r.Dst, Gateway: gatewayOrLink(r.Gateway), Dev: c.dev})
		}
		return out
	}
	if len(c.lease.Routers) > 0 {
		out = append(out, ip.Route{Prefix: netip.PrefixFrom(netip.IPv4Unspecified(), 0), Gateway: c.lease.Routers[0], Dev: c.dev})
	}
	return out
}

// gatewayOrLink turns RFC 3442's 0.0.0.0 router (on the link) into a
// route without a gateway.
func gatewayOrLink(gw netip.Addr) netip.Addr {
	if gw.IsUnspecified() {
		return netip.Addr{}
	}
	return gw
}

// unconfigure takes out what configure put in, if still there.
func (c *Client) unconfigure() {
	s := c.m.stack
	for _, r := range c.applied.routes {
		s.IP.Routes.DeleteFunc(func(have ip.Route) bool { return have == r })
	}
	if c.applied.addr.IsValid() && c.dev.Addr() == c.applied.addr {
		s.RemoveAddress(c.dev)
	}
	if c.applied.dns != nil && slices.Equal(s.DNSServers(), c.applied.dns) {
		s.SetDNSServers(nil)
	}
	c.applied = applied{}
}
