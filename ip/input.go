package ip

import (
	"errors"

	"github.com/gotapip/gotapip/netdev"
)

// Input is the handler netdev calls for EtherType 0x0800. It is a flat
// ladder of checks (as tapip's ip_in.c): each failure counts its reason and
// drops; a datagram that passes is delivered to its protocol's handler.
func (l *Layer) Input(p *netdev.Packet) {
	l.Stats.InReceives.Add(1)
	h, err := Parse(p.Data())
	if err != nil {
		l.countHeaderError(err)
		l.drop(p, nil, err.Error())
		return
	}
	p.Trim(h.TotalLen()) // strip Ethernet padding
	if l.isMartian(p.Dev, h) {
		l.drop(p, &l.Stats.InAddrErrors, "martian address") // RFC 1122 3.2.1.3, RFC 1812 5.3.7
		return
	}
	l.Tracer.Trace(netdev.LayerIP, netdev.TraceIn, p.Dev, p.Data())
	if !l.isForUs(p.Dev, h) {
		if l.Forwarding.Load() {
			l.forward(p, h)
		} else {
			l.drop(p, &l.Stats.InAddrErrors, "not for us, and forwarding is off (ipfwd on)")
		}
		return
	}
	if h.IsFragment() {
		if p = l.Reasm.Add(p, h, l.Now()); p == nil {
			return // held until the rest arrives, or dropped and counted
		}
		h = Header(p.Data()[:Header(p.Data()).IHL()])
	}
	l.deliver(p, h)
}

// deliver hands a whole datagram for us to its protocol handler.
func (l *Layer) deliver(p *netdev.Packet, h Header) {
	handler := l.handlers[h.Protocol()]
	if handler == nil {
		l.Stats.InUnknownProtos.Add(1) // count, then report: the sender may look
		l.ReportError(p, ProtoUnreachable, 0)
		l.drop(p, nil, "no handler for the protocol")
		return
	}
	l.Stats.InDelivers.Add(1)
	p.Pull(h.IHL())
	p.MarkTransport()
	handler(p, h)
}

// isMartian reports addresses no datagram from a wire may carry: a
// multicast or broadcast source; on a device that is not lo, 127/8 either
// way or one of our own addresses as the source (Linux: "martian source").
func (l *Layer) isMartian(dev *netdev.NetDev, h Header) bool {
	src, dst := h.Src(), h.Dst()
	if src.IsMulticast() || IsBroadcast(dev, src) {
		return true
	}
	if dev.IsLoopback() {
		return false
	}
	return src.IsLoopback() || dst.IsLoopback() || l.LocalDevice(src) != nil
}

// isForUs reports whether the datagram's destination is one of our
// addresses, the receiving device's broadcast, or multicast it accepted.
func (l *Layer) isForUs(dev *netdev.NetDev, h Header) bool {
	dst := h.Dst()
	return l.LocalDevice(dst) != nil || IsBroadcast(dev, dst) || dst.IsMulticast()
}

func (l *Layer) countHeaderError(err error) {
	l.Stats.InHdrErrors.Add(1)
	switch {
	case errors.Is(err, ErrBadChecksum):
		l.Stats.InCsumErrors.Add(1)
	case errors.Is(err, ErrBadLength), errors.Is(err, ErrTruncated):
		l.Stats.InTruncatedPkts.Add(1)
	}
}

// drop counts a datagram under counter (unless nil: already counted),
// tells the tracer why, and frees it.
func (l *Layer) drop(p *netdev.Packet, counter netdev.Counter, reason string) {
	l.Tracer.DropPacket(netdev.LayerIP, p, counter, reason)
}
