package dhcp

import (
	"fmt"
	"net/netip"
	"time"
)

// receive takes a parsed reply with this client's hardware address: a flat
// ladder of checks, each counted and told once, then the state's step.
func (c *Client) receive(m Message, o Options) {
	st := &c.m.Stats
	if m.XID() != c.xid {
		st.InWrongXID.Add(1)
		c.explain("xid", "xid 0x%08x is not ours (0x%08x)", m.XID(), c.xid)
		return
	}
	switch o.Type {
	case Offer:
		st.InOffers.Add(1)
	case Ack:
		st.InAcks.Add(1)
	case Nak:
		st.InNaks.Add(1)
	}
	switch {
	case c.state == stateSelecting && o.Type == Offer:
		c.takeOffer(m, o)
	case c.state == stateRequesting && (o.Type == Ack || o.Type == Nak) && o.ServerID == c.server,
		(c.state == stateRenewing || c.state == stateRebinding) && (o.Type == Ack || o.Type == Nak):
		if o.Type == Nak {
			c.nak(o)
		} else {
			c.ack(m, o)
		}
	default:
		st.InUnexpected.Add(1)
		c.explain("unexpected", "%v from %v while %v", o.Type, o.ServerID, c.state)
	}
}

// takeOffer answers the first usable OFFER with a REQUEST for it.
func (c *Client) takeOffer(m Message, o Options) {
	if why := unusable(m.YourIP()); why != "" || !o.ServerID.IsValid() {
		if why == "" {
			why = "no server identifier (option 54)"
		}
		c.m.Stats.InUnexpected.Add(1)
		c.explain("offer", "DHCPOFFER of %v: %s", m.YourIP(), why)
		return
	}
	c.logf("DHCPOFFER of %v from %v", m.YourIP(), o.ServerID)
	c.server, c.offered = o.ServerID, m.YourIP()
	c.state, c.attempt = stateRequesting, 0
	c.sendRequest()
}

// unusable says why addr cannot be a host's address, or "".
func unusable(addr netip.Addr) string {
	switch {
	case !addr.Is4() || addr.IsUnspecified():
		return "no address (yiaddr 0.0.0.0)"
	case addr.IsMulticast(), addr.IsLoopback(), addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "not a host address"
	}
	return ""
}

// nak drops what the client has and starts over (RFC 2131 3.1 step 5).
func (c *Client) nak(o Options) {
	msg := ""
	if o.Message != "" {
		msg = " (" + sanitize(o.Message) + ")"
	}
	c.logf("DHCPNAK from %v%s", o.ServerID, msg)
	c.unconfigure()
	c.restart(fmt.Errorf("dhclient: %s: DHCPNAK from %v%s", c.dev.Name(), o.ServerID, msg))
}

// ack checks the lease an ACK gives. A new address is probed first (RFC
// 5227); a renewal of the one held is applied at once.
func (c *Client) ack(m Message, o Options) {
	l, why := leaseFrom(c.dev.Name(), m, o, c.sentAt)
	if why != "" {
		c.m.Stats.InUnexpected.Add(1)
		c.explain("ack", "DHCPACK of %v: %s", m.YourIP(), why)
		return
	}
	c.logf("DHCPACK of %v from %v", l.Addr.Addr(), o.ServerID)
	if (c.state == stateRenewing || c.state == stateRebinding) && l.Addr == c.lease.Addr {
		c.lease = l
		c.bind()
		return
	}
	c.unconfigure()
	c.lease = l
	c.startProbe()
}

// leaseFrom builds the lease an ACK grants, or says why it cannot. The
// lease runs from the REQUEST (RFC 2131 4.4.1). Missing T1 and T2 default
// to 1/2 and 7/8 of the lease (RFC 2131 4.4.5); so do ones out of order.
func leaseFrom(dev string, m Message, o Options, from time.Time) (Lease, string) {
	if why := unusable(m.YourIP()); why != "" {
		return Lease{}, why
	}
	if o.Lease == 0 {
		return Lease{}, "no lease time (option 51)"
	}
	bits := o.MaskBits
	if bits < 0 {
		bits = classfulBits(m.YourIP())
	}
	if bits > 30 || bits < 1 {
		return Lease{}, "a subnet mask that leaves no room for a host"
	}
	l := Lease{Dev: dev, Addr: netip.PrefixFrom(m.YourIP(), bits), Server: o.ServerID, Routers: o.Routers,
		DNS: o.DNS, Routes: o.Routes, Domain: sanitize(o.DomainName), Duration: o.Lease, T1: o.T1, T2: o.T2, Start: from}
	if l.T1 == 0 || l.T2 == 0 || l.T1 > l.T2 || l.T2 > l.Duration {
		l.T1, l.T2 = l.Duration/2, l.Duration*7/8
	}
	return l, ""
}

// classfulBits is the mask of addr's class (RFC 2131 says a client
// without option 1 may fall back on it).
func classfulBits(addr netip.Addr) int {
	switch a := addr.As4(); {
	case a[0] < 128:
		return 8
	case a[0] < 192:
		return 16
	}
	return 24
}

// sanitize keeps printable ASCII of a server's text, at most 64 bytes.
func sanitize(s string) string {
	out := make([]byte, 0, min(len(s), 64))
	for i := 0; i < len(s) && len(out) < 64; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			out = append(out, s[i])
		}
	}
	return string(out)
}
