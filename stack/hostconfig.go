package stack

import (
	"net/netip"
	"slices"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// MaxNameservers bounds the resolver's server list, as glibc's MAXNS.
const MaxNameservers = 3

// Clock is the stack's clock: a DHCP client times its lease with it, so
// a test with a fake clock renews and rebinds without sleeping.
func (s *Stack) Clock() Clock { return s.clock }

// RemoveAddress takes dev's address away with its connected route (a DHCP
// lease released or expired). Routes through dev via a gateway stay until
// their owner deletes them.
func (s *Stack) RemoveAddress(dev *netdev.NetDev) {
	s.IP.Routes.DeleteFunc(func(r ip.Route) bool { return r.Dev == dev && r.Connected })
	dev.SetAddr(netip.Prefix{})
}

// SetNameservers sets the DNS servers a resolver over this stack asks, in
// order (what /etc/resolv.conf's nameserver lines are to a host): the DHCP
// client sets them from a lease, and clears them (nil) when it ends. Only
// the first MaxNameservers are kept.
func (s *Stack) SetNameservers(servers []netip.Addr) {
	if len(servers) > MaxNameservers {
		servers = servers[:MaxNameservers]
	}
	list := slices.Clone(servers)
	s.nameservers.Store(&list)
}

// Nameservers returns the DNS servers SetNameservers set, or none.
func (s *Stack) Nameservers() []netip.Addr {
	if p := s.nameservers.Load(); p != nil {
		return slices.Clone(*p)
	}
	return nil
}
