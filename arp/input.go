package arp

import (
	"encoding/binary"
	"net/netip"

	"github.com/gotapip/gotapip/netdev"
)

// Input is the handler netdev calls for EtherType 0x0806. Following RFC 826's
// algorithm: update the sender's entry if we have one; if the packet is for
// our address, create the entry too, and answer a request in place.
func (c *Cache) Input(p *netdev.Packet) {
	defer func() {
		if p != nil {
			p.Free()
		}
	}()
	h, err := Parse(p.Data())
	if err != nil {
		c.Stats.InErrors.Add(1)
		c.Tracer.Drop(netdev.LayerARP, p.Dev, p.Data(), err.Error())
		return
	}
	if h.Op() == OpRequest {
		c.Stats.InRequests.Add(1)
	} else {
		c.Stats.InReplies.Add(1)
	}
	dev := p.Dev
	sha, spa, tpa := h.SenderMAC(), h.SenderIP(), h.TargetIP()
	if sha.IsMulticast() || sha == dev.MAC() {
		c.Stats.InBadSender.Add(1)
		c.Tracer.Drop(netdev.LayerARP, dev, h, "sender MAC is multicast, broadcast or ours")
		return
	}
	c.Tracer.Trace(netdev.LayerARP, netdev.TraceIn, dev, h)
	ours := dev.Addr().IsValid() && tpa == dev.Addr().Addr()
	answer := Answer{MAC: sha, Broadcast: p.Type != netdev.PacketHost}
	if ours {
		c.probes.notify(dev, spa, answer, false)
	}
	if spa.IsUnspecified() { // another host's probe (RFC 5227 2.1.1)
		c.probes.notify(dev, tpa, answer, true)
	} else {
		c.probes.notify(dev, spa, answer, true)
	}
	if dev.Addr().IsValid() && spa == dev.Addr().Addr() {
		c.Stats.InConflicts.Add(1) // someone claims our address (RFC 5227): never learn it
		c.Tracer.Drop(netdev.LayerARP, dev, h, "address conflict: another host claims our address")
		return
	}
	if spa.IsValid() && !spa.IsUnspecified() {
		if reason := notNeighbour(dev.Addr(), spa); reason != "" {
			// Neither learned nor answered: Linux's route check in
			// arp_process refuses such a source too.
			c.Stats.InBadSenderIP.Add(1)
			c.Tracer.Drop(netdev.LayerARP, dev, h, reason)
			return
		}
		// A request aimed at us creates the sender's entry (RFC 826); an
		// unsolicited reply only updates one, as Linux with arp_accept=0,
		// so strangers cannot fill the cache.
		c.update(dev, spa, sha, ours && h.Op() == OpRequest)
	}
	if ours && h.Op() == OpRequest {
		c.replyInPlace(p, h)
		p = nil // consumed
	}
}

// notNeighbour says why sender cannot be a neighbour on a link whose
// subnet is subnet, or "" if it can: it must be a host of that subnet,
// not its network or broadcast address (RFC 919, RFC 922), which only
// exist from /30 down; both addresses of a /31 are hosts (RFC 3021).
func notNeighbour(subnet netip.Prefix, sender netip.Addr) string {
	if !subnet.IsValid() || !subnet.Contains(sender) {
		return "sender IP is not on the device's subnet"
	}
	if subnet.Bits() >= 31 {
		return ""
	}
	a := sender.As4()
	hostMask := uint32(1)<<(32-subnet.Bits()) - 1
	switch binary.BigEndian.Uint32(a[:]) & hostMask {
	case 0:
		return "sender IP is the subnet's network address"
	case hostMask:
		return "sender IP is the subnet's broadcast address"
	}
	return ""
}

// replyInPlace turns the request in p into our reply and sends it back to
// the asker: no allocation.
func (c *Cache) replyInPlace(p *netdev.Packet, h Header) {
	dev := p.Dev
	asker, askerIP := h.SenderMAC(), h.SenderIP()
	h.Encode(Fields{Op: OpReply, SenderMAC: dev.MAC(), SenderIP: dev.Addr().Addr(), TargetMAC: asker, TargetIP: askerIP})
	p.ResetToNetwork()
	p.Trim(HeaderLen)
	c.Stats.OutReplies.Add(1)
	c.Tracer.Trace(netdev.LayerARP, netdev.TraceOut, dev, h)
	dev.Transmit(p, asker, netdev.EtherTypeARP)
}

// sendRequest broadcasts "who has target? tell us".
func (c *Cache) sendRequest(dev *netdev.NetDev, target netip.Addr) {
	c.send(dev, netdev.BroadcastMAC, Fields{Op: OpRequest, SenderMAC: dev.MAC(), SenderIP: dev.Addr().Addr(), TargetIP: target})
}

// sendProbe asks "who has target? tell us" of mac alone: the unicast poll
// of RFC 1122 2.3.2.1, to re-confirm a cached MAC. As in Linux's
// arp_solicit, the target hardware field stays zero (RFC 826: a request
// does not know it); only the Ethernet destination is mac.
func (c *Cache) sendProbe(dev *netdev.NetDev, target netip.Addr, mac netdev.MAC) {
	c.send(dev, mac, Fields{Op: OpRequest, SenderMAC: dev.MAC(), SenderIP: dev.Addr().Addr(), TargetIP: target})
}

// Announce sends a gratuitous ARP for dev's address (RFC 5227 section 3: a
// request with sender and target both our address) so that neighbours
// update stale entries.
func (c *Cache) Announce(dev *netdev.NetDev) {
	a := dev.Addr().Addr()
	if !a.IsValid() || dev.IsLoopback() {
		return
	}
	c.send(dev, netdev.BroadcastMAC, Fields{Op: OpRequest, SenderMAC: dev.MAC(), SenderIP: a, TargetIP: a})
}

// send transmits the ARP packet f to dst.
func (c *Cache) send(dev *netdev.NetDev, dst netdev.MAC, f Fields) {
	if !f.SenderIP.IsValid() {
		f.SenderIP = netip.IPv4Unspecified()
	}
	p := c.pool.Get(HeaderLen)
	h := Header(p.Append(HeaderLen))
	h.Encode(f)
	c.Stats.OutRequests.Add(1)
	c.Tracer.Trace(netdev.LayerARP, netdev.TraceOut, dev, h)
	dev.Transmit(p, dst, netdev.EtherTypeARP)
}
