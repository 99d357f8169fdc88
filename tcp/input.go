package tcp

import (
	"net/netip"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// Input is the IP protocol handler for TCP: p's data starts at the TCP
// header. A flat ladder of checks, each with its counter; a segment that
// passes goes to its connection (under the connection's lock), to a
// listener, or is answered with RST. It owns p and never fails. On the
// steady-state data path it does not allocate.
func (p *Protocol) Input(pk *netdev.Packet, iph ip.Header) {
	p.Stats.InSegs.Add(uint64(pk.GSOSegments())) // a super-frame read whole counts its pieces
	h, err := Parse(pk.Data())
	if err != nil {
		p.drop(pk, &p.Stats.InErrs, err.Error())
		return
	}
	src, dst := iph.Src(), iph.Dst()
	// Through a TAP with offloads, the kernel of this host left the
	// checksum partial or checked it: summing 64 KB again finds nothing.
	if !pk.ChecksumVerified() && h.Verify(src, dst) != nil {
		p.Stats.InCsumErrors.Add(1)
		p.drop(pk, &p.Stats.InErrs, "bad checksum")
		return
	}
	if pk.Type != netdev.PacketHost || dst.IsMulticast() || (pk.Dev != nil && ip.IsBroadcast(pk.Dev, dst)) {
		p.drop(pk, &p.Stats.InErrs, "not unicast: TCP ignores broadcasts (RFC 1122 4.2.3.10)")
		return
	}
	var o Options
	if err := o.Parse(h.RawOptions()); err != nil {
		p.drop(pk, &p.Stats.InErrs, "bad option length")
		return
	}
	if p.tracing() {
		p.emit(TraceEvent{Kind: TraceIn, Src: src, Dst: dst, Segment: h, Reason: pk.GSONote()})
	}
	local, remote := netip.AddrPortFrom(dst, h.DstPort()), netip.AddrPortFrom(src, h.SrcPort())
	p.deliver(local, remote, h, &o, pk.ArrivedAfter)
	dev := pk.Dev
	pk.Free()
	if dev != nil {
		dev.YieldAfterReceive()
	}
}

// deliver hands a segment to its connection or listener; arrivedAfter is
// the earliest it can have reached the device (zero: not known).
func (p *Protocol) deliver(local, remote netip.AddrPort, h Header, o *Options, arrivedAfter time.Time) {
	c, l := p.lookup(local, remote)
	if c != nil {
		c.mu.Lock()
		relisten := c.dead
		if !relisten {
			c.arrivedAfter = arrivedAfter
			relisten = c.segmentArrives(h, o)
			c.notify()
		}
		c.mu.Unlock()
		if !relisten {
			return
		}
		if c, l = p.lookup(local, remote); c != nil {
			return // another connection took the tuple meanwhile: let the peer retry
		}
	}
	if l != nil {
		l.input(local, remote, h, o)
		return
	}
	p.Stats.NoConnection.Add(1)
	p.replyReset(local, remote, h)
}

// drop counts a segment under counter, tells the tracer why, and frees it:
// netdev.Tracer.DropPacket's work, but TCP's events go through its own
// hook (SetTrace, which carries connections' state changes too and which
// the stack bridges to its Tracer), so the trace step is TCP's.
func (p *Protocol) drop(pk *netdev.Packet, counter netdev.Counter, reason string) {
	counter.Add(1)
	if p.tracing() {
		p.emit(TraceEvent{Kind: TraceDrop, Segment: Header(pk.Data()), Reason: reason})
	}
	pk.Free()
}

// dropSeg traces a segment a connection ignored.
func (c *Conn) dropSeg(h Header, reason string) {
	if c.p.tracing() {
		c.p.emit(TraceEvent{Kind: TraceDrop, Segment: h, Local: c.local, Remote: c.remote, Reason: reason})
	}
}
