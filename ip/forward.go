package ip

import (
	"net/netip"

	"github.com/gotapip/gotapip/netdev"
)

// forward routes a datagram that is not for us onward, as a router does
// (RFC 1812 5.2, tapip's ip_forward): never a link-layer broadcast; the
// route first (no route: ICMP net unreachable), then the TTL (1: time
// exceeded), as Linux orders them; the TTL decremented with an incremental
// checksum update. It owns p.
func (l *Layer) forward(p *netdev.Packet, h Header) {
	if p.Type != netdev.PacketHost {
		l.drop(p, &l.Stats.InAddrErrors, "link-layer broadcast: not forwarded")
		return
	}
	if thisNetwork(h.Src()) || thisNetwork(h.Dst()) {
		l.drop(p, &l.Stats.InAddrErrors, "forward: 0.0.0.0/8 is not routed") // RFC 1812 5.3.7
		return
	}
	r, ok := l.Routes.Lookup(h.Dst())
	if !ok {
		l.Stats.OutNoRoutes.Add(1)
		l.Stats.InAddrErrors.Add(1) // count, then report: the sender may look
		l.ReportError(p, NetUnreachable, 0)
		l.drop(p, nil, "forward: no route")
		return
	}
	if IsBroadcast(r.Dev, h.Dst()) {
		// A directed broadcast would go out as a link broadcast: never, or
		// we amplify smurf attacks (RFC 2644; Linux bc_forwarding=0).
		l.drop(p, &l.Stats.InAddrErrors, "forward: directed broadcasts are not forwarded")
		return
	}
	if h.TTL() <= 1 {
		l.Stats.InHdrErrors.Add(1)
		l.ReportError(p, TTLExceeded, 0)
		l.drop(p, nil, "forward: TTL exceeded")
		return
	}
	if p.Len() > r.Dev.MTU() && h.DF() {
		l.Stats.OutDiscards.Add(1)
		l.ReportError(p, FragNeeded, r.Dev.MTU())
		l.drop(p, nil, "forward: DF set and larger than the next MTU")
		return
	}
	h.DecrementTTL()
	l.Stats.ForwDatagrams.Add(1)
	l.transmit(p, r.Dev, r.NextHop(h.Dst()))
}

// thisNetwork reports whether a is in 0.0.0.0/8 ("this network", RFC 1122
// 3.2.1.3), which a router never forwards.
func thisNetwork(a netip.Addr) bool { return a.Is4() && a.As4()[0] == 0 }
