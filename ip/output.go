package ip

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/gotapip/gotapip/netdev"
)

// ErrAddrNotAvail is wrapped when no source address can be had: the stack
// holds no address outside lo.
var ErrAddrNotAvail = errors.New("no source address")

// ErrMsgSize is wrapped when a datagram cannot be sent at its size: over
// the IPv4 limit, or over the MTU with DF set.
var ErrMsgSize = errors.New("message too long")

// Options are the per-datagram choices of a sender.
type Options struct {
	TTL uint8 // 0 means DefaultTTL
	TOS uint8
	DF  bool
}

// Output prepends an IPv4 header to p (whose data is the transport payload)
// and sends it to dst. src may be the zero Addr: the outgoing device's
// address is used. It owns p, and returns an error the sender should see
// (no route, message too long, device down).
func (l *Layer) Output(p *netdev.Packet, src, dst netip.Addr, proto uint8, opt Options) error {
	l.Stats.OutRequests.Add(1)
	dev, nextHop, err := l.route(dst)
	if err != nil {
		p.Free()
		return err
	}
	if !src.IsValid() {
		if src, err = l.sourceFor(dev, dst); err != nil {
			p.Free()
			return err
		}
	}
	return l.encodeAndTransmit(p, dev, nextHop, src, dst, proto, opt)
}

// OutputOn is Output out of dev, without the routing table: the next hop
// is dst itself, and src is used as given, 0.0.0.0 included. A DHCP client
// broadcasts so before its device has an address (RFC 2131 4.1: source
// 0.0.0.0), and a DHCP server answers so on the device a request came in
// by. It owns p.
func (l *Layer) OutputOn(dev *netdev.NetDev, p *netdev.Packet, src, dst netip.Addr, proto uint8, opt Options) error {
	l.Stats.OutRequests.Add(1)
	if !src.Is4() || !dst.Is4() {
		p.Free()
		return fmt.Errorf("ip: send on %s from %v to %v: want IPv4 addresses", dev.Name(), src, dst)
	}
	return l.encodeAndTransmit(p, dev, dst, src, dst, proto, opt)
}

// encodeAndTransmit prepends the IPv4 header from src to dst and sends p
// out of dev towards nextHop.
func (l *Layer) encodeAndTransmit(p *netdev.Packet, dev *netdev.NetDev, nextHop, src, dst netip.Addr, proto uint8, opt Options) error {
	if opt.TTL == 0 {
		opt.TTL = DefaultTTL
	}
	total := p.Len() + HeaderLen
	if total > MaxDatagram {
		l.Stats.OutDiscards.Add(1)
		p.Free()
		return fmt.Errorf("ip: %d-byte datagram to %v: %w (the IPv4 limit is %d)", total, dst, ErrMsgSize, MaxDatagram)
	}
	h := Header(p.Push(HeaderLen))
	p.MarkNetwork()
	h.Encode(Fields{TOS: opt.TOS, TotalLen: total, ID: l.NextID(), DF: opt.DF, TTL: opt.TTL, Protocol: proto, Src: src, Dst: dst})
	return l.transmit(p, dev, nextHop)
}

// SendDatagram sends p, whose data is a complete IPv4 datagram with a valid
// header (a reply built in place). It owns p.
func (l *Layer) SendDatagram(p *netdev.Packet) error {
	l.Stats.OutRequests.Add(1)
	dst := Header(p.Data()).Dst()
	dev, nextHop, err := l.route(dst)
	if err != nil {
		p.Free()
		return err
	}
	return l.transmit(p, dev, nextHop)
}

// route picks the outgoing device and next hop for dst. Our own addresses
// go through the loopback device and never touch the wire.
func (l *Layer) route(dst netip.Addr) (*netdev.NetDev, netip.Addr, error) {
	if l.LocalDevice(dst) != nil {
		if lo := l.loopback(); lo != nil {
			return lo, dst, nil
		}
	}
	r, ok := l.Routes.Lookup(dst)
	if !ok {
		l.Stats.OutNoRoutes.Add(1)
		return nil, netip.Addr{}, fmt.Errorf("ip: %v: %w (add one with: route add PREFIX [via GW] dev IFACE)", dst, ErrNoRoute)
	}
	if IsBroadcast(r.Dev, dst) {
		return r.Dev, dst, nil // a broadcast goes to the link, never via a gateway (RFC 1122 3.3.6)
	}
	return r.Dev, r.NextHop(dst), nil
}

// sourceFor picks the source address for a datagram to dst leaving by dev:
// dev's address, or (dev has none) the first address the stack holds
// outside lo, as Linux's inet_select_addr does.
func (l *Layer) sourceFor(dev *netdev.NetDev, dst netip.Addr) (netip.Addr, error) {
	if dev.IsLoopback() && l.LocalDevice(dst) != nil && !dev.Addr().Contains(dst) {
		return dst, nil // to one of our other addresses: from it, as Linux does
	}
	if a := dev.Addr(); a.IsValid() {
		return a.Addr(), nil
	}
	for _, d := range l.Devices() {
		if a := d.Addr(); a.IsValid() && !d.IsLoopback() {
			return a.Addr(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("ip: to %v via %s: %w (give a device an address: ifconfig %s CIDR)", dst, dev.Name(), ErrAddrNotAvail, dev.Name())
}

// transmit hands a built datagram to the link, in fragments if it is larger
// than the device's MTU (RFC 791); with DF set that fails. A GSO
// super-frame is never fragmented: it may exceed the MTU up to the
// device's GSO limit, for the kernel to cut into segments that fit, and
// is cut into segments here for a device that cannot (gso.go).
func (l *Layer) transmit(p *netdev.Packet, dev *netdev.NetDev, nextHop netip.Addr) error {
	p.Dev = dev
	if p.Len() <= dev.MTU() || p.GSOSize() > 0 && p.Len() <= dev.Offloads().GSOMaxSize {
		return l.transmitFits(p, dev, nextHop)
	}
	if p.GSOSize() > 0 { // a device without TSO: cut here, never fragment (gso.go)
		return l.segmentGSO(p, func(q *netdev.Packet) error { return l.transmitFits(q, dev, nextHop) })
	}
	err := Fragment(l.pool, p, dev.MTU(), &l.FragStats, func(f *netdev.Packet) error {
		return l.transmitFits(f, dev, nextHop)
	})
	var fe *FragNeededError
	if errors.As(err, &fe) {
		l.Stats.OutDiscards.Add(1)
		return fmt.Errorf("ip: %w: %d-byte datagram with DF set, %s MTU is %d (send without DF: ping -M dont): %w",
			ErrMsgSize, fe.Len, dev.Name(), fe.MTU, ErrFragNeeded)
	}
	return err
}

// transmitFits sends a datagram that fits the MTU: broadcast and loopback
// directly, everything else through the resolver.
func (l *Layer) transmitFits(p *netdev.Packet, dev *netdev.NetDev, nextHop netip.Addr) error {
	p.Dev = dev
	l.Tracer.Trace(netdev.LayerIP, netdev.TraceOut, dev, p.Data())
	switch {
	case dev.IsLoopback():
		return dev.Transmit(p, netdev.MAC{}, netdev.EtherTypeIPv4)
	case IsBroadcast(dev, nextHop):
		return dev.Transmit(p, netdev.BroadcastMAC, netdev.EtherTypeIPv4)
	}
	return l.resolver.Resolve(dev, nextHop, p)
}
