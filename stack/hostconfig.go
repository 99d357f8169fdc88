package stack

import (
	"net/netip"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

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
