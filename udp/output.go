package udp

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// SendTo sends b as one datagram to `to`, binding an unbound socket to a
// wildcard ephemeral port first. It returns len(b) or an error: b longer
// than MaxPayload, or than the route's MTU allows while IP cannot fragment
// (both wrap ip.ErrMsgSize, "message too long"); no route; device down. A
// datagram queued for ARP counts as sent. It does not allocate.
func (s *Socket) SendTo(b []byte, to netip.AddrPort) (int, error) {
	if !to.Addr().Is4() || to.Port() == 0 {
		return 0, fmt.Errorf("udp: send to %v: want an IPv4 address and a port from 1 to 65535", to)
	}
	if s.closed.Load() {
		return 0, s.errClosed("send")
	}
	if !s.bound.Load() {
		s.mu.Lock()
		var err error
		if !s.bound.Load() {
			err = s.bindLocked(netip.Addr{}, 0)
		}
		s.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
	src := s.local.Addr() // set before bound became true; never changes after
	if !src.IsValid() {
		var err error
		if src, err = s.u.ip.SourceAddr(to.Addr()); err != nil {
			return 0, fmt.Errorf("udp: send to %v: %w", to, err)
		}
	}
	return s.u.output(b, netip.AddrPortFrom(src, s.local.Port()), to, s.options(), nil)
}

// SendOn sends b as one datagram from src (0.0.0.0 allowed) and the
// socket's bound port, out of dev to `to`, bypassing the routing table
// (ip.OutputOn): what a DHCP client needs before its device has an address
// (RFC 2131 4.1), and a DHCP server to broadcast its answer on the device
// the request came in by. The socket must be bound.
func (s *Socket) SendOn(dev *netdev.NetDev, b []byte, src netip.Addr, to netip.AddrPort) (int, error) {
	if !to.Addr().Is4() || to.Port() == 0 || !src.Is4() {
		return 0, fmt.Errorf("udp: send on %s from %v to %v: want IPv4 addresses and a port from 1 to 65535", dev.Name(), src, to)
	}
	if s.closed.Load() {
		return 0, s.errClosed("send")
	}
	if !s.bound.Load() {
		return 0, fmt.Errorf("udp: send on %s: the socket is not bound (Bind it to the port to send from)", dev.Name())
	}
	return s.u.output(b, netip.AddrPortFrom(src, s.local.Port()), to, s.options(), dev)
}

// Send sends b to the connected peer, from the source address chosen at
// Connect.
func (s *Socket) Send(b []byte) (int, error) {
	var remote netip.AddrPort
	var src netip.Addr
	var port uint16
	s.u.ports.tab.Read(func() { remote, src, port = s.remote, s.src, s.local.Port() })
	if !remote.IsValid() {
		return 0, fmt.Errorf("udp: send: %w (Connect first, or use SendTo)", ErrNotConnected)
	}
	if s.closed.Load() {
		return 0, s.errClosed("send")
	}
	return s.u.output(b, netip.AddrPortFrom(src, port), remote, s.options(), nil)
}

// options are the IP options of the socket's datagrams.
func (s *Socket) options() ip.Options { return ip.Options{TTL: uint8(s.ttl.Load())} }

// output builds the datagram from src to dst around a copy of b and hands
// it to IP: routed, or out of dev if dev is not nil.
func (u *Protocol) output(b []byte, src, dst netip.AddrPort, opt ip.Options, dev *netdev.NetDev) (int, error) {
	if len(b) > MaxPayload {
		return 0, fmt.Errorf("udp: %d bytes to %v: %w (at most %d in one datagram)", len(b), dst, ip.ErrMsgSize, MaxPayload)
	}
	p := u.pool.Get(HeaderLen + len(b))
	h := Header(p.Append(HeaderLen + len(b)))
	copy(h.Payload(), b)
	h.Encode(Fields{SrcPort: src.Port(), DstPort: dst.Port(), Src: src.Addr(), Dst: dst.Addr()})
	u.Tracer.Trace(netdev.LayerUDP, netdev.TraceOut, nil, h)
	var err error
	if dev != nil {
		err = u.ip.OutputOn(dev, p, src.Addr(), dst.Addr(), ip.ProtoUDP, opt)
	} else {
		err = u.ip.Output(p, src.Addr(), dst.Addr(), ip.ProtoUDP, opt)
	}
	if err != nil {
		return 0, fmt.Errorf("udp: send to %v: %w", dst, err)
	}
	u.Stats.OutDatagrams.Add(1)
	return len(b), nil
}

// Echo receives one datagram into buf and sends it back to its sender: an
// echo service's loop body (RFC 862), as udp listen -e runs it. It returns
// what it received. It does not allocate.
func Echo(ctx context.Context, s *Socket, buf []byte) (int, netip.AddrPort, error) {
	n, from, err := s.RecvFrom(ctx, buf)
	if err != nil {
		return 0, from, err
	}
	if from.Port() == 0 { // the sender gave no port (RFC 768): nowhere to answer
		return n, from, nil
	}
	_, err = s.SendTo(buf[:n], from)
	return n, from, err
}
