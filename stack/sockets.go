package stack

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
)

// DialContext connects to addr ("10.0.0.2:80") over network "tcp" or
// "tcp4" (a *tcp.Conn), "udp" or "udp4" (a connected *udp.Conn, see
// DialUDP), as net.Dialer.DialContext: errors are *net.OpError with
// errors.Is matching the errno (syscall.ECONNREFUSED, ETIMEDOUT, ...).
// Names are not resolved (Resolver does that).
func (s *Stack) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4":
	case "udp", "udp4":
		return s.dialUDP(ctx, network, addr)
	default:
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("address %q: want IPv4:PORT, such as 10.0.0.2:80 (names are not resolved)", addr)}
	}
	c, err := s.TCP.Dial(ctx, ap)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Listen listens on addr (":8080" for every address, "10.0.0.1:8080" for
// one; port 0 for an ephemeral one) over network "tcp" or "tcp4", as
// net.Listen; the listener is a net.Listener (a *tcp.Listener).
func (s *Stack) Listen(network, addr string) (net.Listener, error) {
	switch network {
	case "tcp", "tcp4":
	default:
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	ap, err := s.listenAddr(network, addr, "8080")
	if err != nil {
		return nil, err
	}
	l, err := s.TCP.Listen(ap, 0)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: net.TCPAddrFromAddrPort(ap), Err: wrapSyscall("bind", err)}
	}
	return l, nil
}

// listenAddr parses a local address to listen on, as net.Listen and
// net.ListenPacket take it: "[IPv4]:PORT", an empty host meaning any, the
// address one of the stack's. example is a port for the message.
func (s *Stack) listenAddr(network, addr, example string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	var ap netip.AddrPort
	if err == nil {
		if host == "" {
			host = "0.0.0.0"
		}
		ap, err = netip.ParseAddrPort(net.JoinHostPort(host, port))
	}
	if err != nil || !ap.Addr().Is4() {
		return ap, &net.OpError{Op: "listen", Net: network,
			Err: fmt.Errorf("address %q: want [IPv4]:PORT, such as :%s or 10.0.0.1:%s", addr, example, example)}
	}
	if !ap.Addr().IsUnspecified() && s.IP.LocalDevice(ap.Addr()) == nil {
		return ap, &net.OpError{Op: "listen", Net: network, Addr: addrOf(network, ap), Err: errAddrNotAvail}
	}
	return ap, nil
}

// addrOf is ap as the net.Addr of network.
func addrOf(network string, ap netip.AddrPort) net.Addr {
	if network == "udp" || network == "udp4" {
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

var errAddrNotAvail = wrapSyscall("bind", syscall.EADDRNOTAVAIL)

// wrapSyscall wraps an errno as the os package does ("bind: address
// already in use").
func wrapSyscall(call string, err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		return os.NewSyscallError(call, errno)
	}
	return err
}
