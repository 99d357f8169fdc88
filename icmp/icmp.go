package icmp

import (
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// Protocol is one stack's ICMP.
type Protocol struct {
	Stats Stats

	// IgnoreBroadcastEcho drops echo requests sent to a broadcast or
	// multicast address (Linux icmp_echo_ignore_broadcasts, on by default).
	IgnoreBroadcastEcho atomic.Bool

	// Tracer, if set, sees ICMP messages in, out and dropped (debug icmp).
	Tracer *netdev.Tracer

	// Now is the clock of the error rate limit; tests may replace it.
	Now func() time.Time

	ip          *ip.Layer
	pool        *netdev.Pool
	pings       pingTable
	errorBucket tokenBucket
}

// New returns ICMP over the IP layer l; register p.Input with l for
// protocol 1.
func New(l *ip.Layer, pool *netdev.Pool) *Protocol {
	p := &Protocol{ip: l, pool: pool, Now: time.Now}
	p.IgnoreBroadcastEcho.Store(true)
	p.pings.init()
	return p
}

// Input is the IP protocol handler for ICMP.
func (c *Protocol) Input(p *netdev.Packet, iph ip.Header) {
	c.Stats.InMsgs.Add(1)
	h, err := Parse(p.Data())
	if err != nil {
		c.Stats.InErrors.Add(1)
		if len(p.Data()) >= HeaderLen {
			c.Stats.InCsumErrors.Add(1)
		}
		c.Tracer.Drop(netdev.LayerICMP, p.Dev, p.Data(), err.Error())
		p.Free()
		return
	}
	c.Stats.InType[h.Type()].Add(1)
	c.Tracer.Trace(netdev.LayerICMP, netdev.TraceIn, p.Dev, h)
	switch h.Type() {
	case TypeEchoRequest:
		c.echoReply(p, iph, h)
	case TypeEchoReply:
		c.pings.deliverReply(c, p, iph, h)
	case TypeDestUnreach, TypeTimeExceeded, TypeParamProblem:
		c.errorInput(p, iph, h)
	default:
		c.Tracer.Drop(netdev.LayerICMP, p.Dev, h, "message type not handled")
		p.Free()
	}
}
