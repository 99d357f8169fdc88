package dhcp

import (
	"fmt"
	"net/netip"
	"time"
)

var broadcastTo = netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), ServerPort)

// paramList is what the client asks servers for (option 55).
var paramList = []byte{OptSubnetMask, OptRouter, OptDNS, OptDomainName, OptLeaseTime, OptServerID,
	OptRenewalTime, OptRebindingTime, OptClasslessRoute}

// build makes a request of type t; ciaddr is the address held (renewing,
// rebinding, releasing) or the zero Addr.
func (c *Client) build(t MessageType, ciaddr netip.Addr, opts func(*Builder)) []byte {
	var b Builder
	b.AddType(t)
	mac := c.dev.MAC()
	b.Add(OptClientID, append([]byte{htypeEthernet}, mac[:]...))
	if t == Discover || t == Request {
		b.Add(OptParamList, paramList)
		mtu := max(c.dev.MTU(), 576)
		b.Add(OptMaxMessageSize, []byte{byte(mtu >> 8), byte(mtu)})
	}
	if opts != nil {
		opts(&b)
	}
	secs := min(c.clock.Now().Sub(c.begun)/time.Second, 0xffff)
	f := Fields{Op: OpRequest, XID: c.xid, Secs: uint16(secs), ClientIP: ciaddr, ClientMAC: mac}
	if !ciaddr.IsValid() {
		f.Flags = FlagBroadcast // we cannot take unicast before we have the address
	}
	return Append(nil, f, b)
}

// broadcast sends msg to 255.255.255.255:67 out of the device, from src
// (0.0.0.0 before we hold an address, RFC 2131 4.1).
func (c *Client) broadcast(msg []byte, src netip.Addr) bool {
	if _, err := c.sock.SendOn(c.dev, msg, src, broadcastTo); err != nil {
		c.m.Stats.OutErrors.Add(1)
		c.logf("dhclient: send on %s: %v", c.dev.Name(), err)
		return false
	}
	return true
}

// unicast sends msg to the server through the routing table.
func (c *Client) unicast(msg []byte, server netip.Addr) bool {
	if _, err := c.sock.SendTo(msg, netip.AddrPortFrom(server, ServerPort)); err != nil {
		c.m.Stats.OutErrors.Add(1)
		c.logf("dhclient: send to %v: %v", server, err)
		return false
	}
	return true
}

func (c *Client) sendDiscover() {
	wait := Backoff(c.attempt, c.m.rand)
	c.logf("DHCPDISCOVER on %s to 255.255.255.255 port 67 interval %d", c.dev.Name(), int(wait.Round(time.Second)/time.Second))
	c.m.Stats.OutDiscovers.Add(1)
	c.arm(wait)
	c.broadcast(c.build(Discover, netip.Addr{}, nil), netip.IPv4Unspecified())
}

// sendRequest asks for the offered address (SELECTING).
func (c *Client) sendRequest() {
	c.sentAt = c.clock.Now()
	c.arm(Backoff(c.attempt, c.m.rand)) // armed before the line: tests move their clock on it
	c.logf("DHCPREQUEST for %v on %s to 255.255.255.255 port 67", c.offered, c.dev.Name())
	c.m.Stats.OutRequests.Add(1)
	c.broadcast(c.build(Request, netip.Addr{}, func(b *Builder) {
		b.AddAddrs(OptRequestedIP, c.offered)
		b.AddAddrs(OptServerID, c.server)
	}), netip.IPv4Unspecified())
}

// sendRenew asks the lease's server to extend it (RENEWING, at T1).
func (c *Client) sendRenew() {
	if c.attempt == 0 {
		c.xid, c.begun, c.explained = c.m.rand.Uint32(), c.clock.Now(), map[string]bool{}
	}
	addr := c.lease.Addr.Addr()
	c.sentAt = c.clock.Now()
	c.arm(halfway(c.lease.Rebind().Sub(c.sentAt)))
	c.publish()
	c.logf("DHCPREQUEST for %v on %s to %v port 67", addr, c.dev.Name(), c.lease.Server)
	c.m.Stats.OutRequests.Add(1)
	c.unicast(c.build(Request, addr, nil), c.lease.Server)
}

// sendRebind asks any server to extend the lease (REBINDING, at T2).
func (c *Client) sendRebind() {
	addr := c.lease.Addr.Addr()
	c.sentAt = c.clock.Now()
	c.arm(halfway(c.lease.Expire().Sub(c.sentAt)))
	c.publish()
	c.logf("DHCPREQUEST for %v on %s to 255.255.255.255 port 67", addr, c.dev.Name())
	c.m.Stats.OutRequests.Add(1)
	c.broadcast(c.build(Request, addr, nil), addr)
}

// renewTimeout retransmits while renewing or rebinding, moves on to
// rebinding at T2, and lets the lease go when it ends.
func (c *Client) renewTimeout() {
	now := c.clock.Now()
	switch {
	case !now.Before(c.lease.Expire()):
		c.logf("dhclient: lease of %v on %s expired", c.lease.Addr.Addr(), c.dev.Name())
		c.unconfigure()
		c.restart(fmt.Errorf("dhclient: %s: lease expired", c.dev.Name()))
	case c.state == stateRenewing && !now.Before(c.lease.Rebind()):
		c.state, c.attempt = stateRebinding, 0
		c.sendRebind()
	case c.state == stateRenewing:
		c.sendRenew()
	default:
		c.sendRebind()
	}
}

// sendDecline tells the server the address is in use (RFC 2131 3.1 step 5).
func (c *Client) sendDecline(addr netip.Addr) {
	c.logf("DHCPDECLINE of %v on %s to 255.255.255.255 port 67", addr, c.dev.Name())
	c.m.Stats.OutDeclines.Add(1)
	c.broadcast(c.build(Decline, netip.Addr{}, func(b *Builder) {
		b.AddAddrs(OptRequestedIP, addr)
		b.AddAddrs(OptServerID, c.lease.Server)
	}), netip.IPv4Unspecified())
}

// sendRelease gives the lease back (RFC 2131 4.4.6).
func (c *Client) sendRelease() {
	addr := c.lease.Addr.Addr()
	c.logf("DHCPRELEASE of %v on %s to %v port 67", addr, c.dev.Name(), c.lease.Server)
	c.m.Stats.OutReleases.Add(1)
	c.xid = c.m.rand.Uint32()
	c.unicast(c.build(Release, addr, func(b *Builder) { b.AddAddrs(OptServerID, c.lease.Server) }), c.lease.Server)
}
