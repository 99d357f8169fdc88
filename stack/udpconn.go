package stack

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/gotapip/gotapip/udp"
)

// ListenPacket opens a UDP socket on addr (":5353" for every address,
// "10.0.0.1:5353" for one; port 0 for an ephemeral one) over network "udp"
// or "udp4", as net.ListenPacket: the socket is a net.PacketConn (a
// *udp.Conn) with deadlines, errors are *net.OpError with errors.Is
// matching the errno (syscall.EADDRINUSE, EADDRNOTAVAIL, ...).
func (s *Stack) ListenPacket(network, addr string) (net.PacketConn, error) {
	switch network {
	case "udp", "udp4":
	default:
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	ap, err := s.listenAddr(network, addr, "5353")
	if err != nil {
		return nil, err
	}
	sock, err := s.UDP.Listen(ap)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: net.UDPAddrFromAddrPort(ap), Err: udpSyscallError("bind", err)}
	}
	return udp.NewConn(sock), nil
}

// DialUDP opens a UDP socket connected to raddr from an ephemeral port, as
// net.DialUDP: a net.Conn and net.PacketConn (*udp.Conn) that sends to and
// hears only raddr. After an ICMP port unreachable from raddr, the next
// read or write fails with an error matching syscall.ECONNREFUSED, as
// Linux's connected sockets do.
func (s *Stack) DialUDP(raddr netip.AddrPort) (*udp.Conn, error) {
	sock, err := s.UDP.Dial(raddr)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "udp", Addr: net.UDPAddrFromAddrPort(raddr), Err: udpSyscallError("connect", err)}
	}
	return udp.NewConn(sock), nil
}

// dialUDP is DialContext's "udp": DialUDP with the address as a string.
// It never waits, so ctx only matters if it has ended already.
func (s *Stack) dialUDP(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("address %q: want IPv4:PORT, such as 10.0.0.2:53 (names are not resolved)", addr)}
	}
	c, err := s.DialUDP(ap)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// udpSyscallError wraps a udp error in the errno Linux gives for it, if
// one ("bind: address already in use").
func udpSyscallError(call string, err error) error {
	if errno, ok := udp.Errno(err); ok {
		return wrapSyscall(call, errno)
	}
	return err
}
