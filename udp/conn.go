package udp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gotapip/gotapip/ip"
)

var (
	_ net.Conn       = (*Conn)(nil)
	_ net.PacketConn = (*Conn)(nil)
)

// Conn is a Socket as the net package's interfaces see it, as
// *net.UDPConn is: a net.PacketConn (ReadFrom, WriteTo) and, once
// connected, a net.Conn (Read, Write), with deadlines. Errors are
// *net.OpError as the net package gives them ("read udp
// 10.0.0.1:49152->10.0.0.2:9: read: connection refused"): errors.Is
// matches the errno (syscall.ECONNREFUSED after an ICMP port unreachable
// on a connected socket, syscall.ENETUNREACH with no route), a deadline is
// a net.Error whose Timeout is true, and a closed Conn gives net.ErrClosed.
type Conn struct {
	s             *Socket
	writeDeadline atomic.Int64 // UnixNano; 0: none
	closed        atomic.Bool
}

// NewConn wraps s; closing the Conn closes s.
func NewConn(s *Socket) *Conn { return &Conn{s: s} }

// Socket is the socket underneath (for SetTTL, Info, RecvError).
func (c *Conn) Socket() *Socket { return c.s }

// ReadFromUDPAddrPort reads one datagram into b, as
// net.UDPConn.ReadFromUDPAddrPort: a longer datagram is cut to len(b).
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	n, from, err := c.s.RecvFrom(context.Background(), b)
	if err != nil {
		return 0, from, c.opError("read", "recvfrom", c.remote(), err)
	}
	return n, from, nil
}

// ReadFrom reads one datagram into b and says who sent it.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// Read reads one datagram (from the peer, once connected).
func (c *Conn) Read(b []byte) (int, error) {
	n, _, err := c.s.RecvFrom(context.Background(), b)
	if err != nil {
		return 0, c.opError("read", "read", c.remote(), err)
	}
	return n, nil
}

// WriteToUDPAddrPort sends b as one datagram to addr.
func (c *Conn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if err := c.writable(); err != nil {
		return 0, c.opError("write", "sendto", net.UDPAddrFromAddrPort(addr), err)
	}
	n, err := c.s.SendTo(b, addr)
	if err != nil {
		return 0, c.opError("write", "sendto", net.UDPAddrFromAddrPort(addr), err)
	}
	return n, nil
}

// WriteTo sends b as one datagram to addr, a *net.UDPAddr with an IPv4
// address.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	var ap netip.AddrPort
	if ok {
		ap = ua.AddrPort()
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if !ok || !ap.Addr().Is4() {
		return 0, &net.OpError{Op: "write", Net: "udp", Source: c.LocalAddr(), Addr: addr, Err: syscall.EINVAL}
	}
	return c.WriteToUDPAddrPort(b, ap)
}

// Write sends b as one datagram to the peer. An ICMP error that came back
// since the last read or write is returned, once, instead (Linux's
// sock_error on the send path).
func (c *Conn) Write(b []byte) (int, error) {
	err := c.writable()
	if err == nil && c.s.RemoteAddr().IsValid() {
		err = c.s.q.takeError()
	}
	if err != nil {
		return 0, c.opError("write", "write", c.remote(), err)
	}
	n, err := c.s.Send(b)
	if err != nil {
		return 0, c.opError("write", "write", c.remote(), err)
	}
	return n, nil
}

// writable says why a send cannot start: closed, or past the deadline.
func (c *Conn) writable() error {
	if c.closed.Load() {
		return net.ErrClosed
	}
	if dl := c.writeDeadline.Load(); dl != 0 && time.Now().UnixNano() >= dl {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// Close closes the socket; blocked reads return net.ErrClosed.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return c.opError("close", "close", c.remote(), net.ErrClosed)
	}
	return c.s.Close()
}

// LocalAddrPort is the local address and port: once connected, the source
// address chosen for the peer (as getsockname(2) says after connect);
// else the bound one, 0.0.0.0 for any.
func (c *Conn) LocalAddrPort() netip.AddrPort {
	local := c.s.LocalAddr()
	var src netip.Addr
	c.s.u.ports.tab.Read(func() { src = c.s.src })
	if local.Addr().IsUnspecified() && src.IsValid() {
		return netip.AddrPortFrom(src, local.Port())
	}
	return local
}

// LocalAddr is LocalAddrPort as a *net.UDPAddr.
func (c *Conn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.LocalAddrPort()) }

// RemoteAddr is the peer as a *net.UDPAddr, or nil if not connected.
func (c *Conn) RemoteAddr() net.Addr { return c.remote() }

func (c *Conn) remote() net.Addr {
	if r := c.s.RemoteAddr(); r.IsValid() {
		return net.UDPAddrFromAddrPort(r)
	}
	return nil
}

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.SetWriteDeadline(t)
	return c.SetReadDeadline(t)
}

// SetReadDeadline bounds reads, those waiting now included; the zero
// Time means none.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.s.SetReadDeadline(t) }

// SetWriteDeadline bounds writes. A send never waits for room (the
// datagram is sent or dropped at once), so only a deadline already past
// fails one.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if t.IsZero() {
		c.writeDeadline.Store(0)
	} else {
		c.writeDeadline.Store(t.UnixNano())
	}
	return nil
}

// opError wraps err as the net package does: the errno Linux would give
// in a *os.SyscallError, deadlines and closing as the sentinels net.Error
// users test for.
func (c *Conn) opError(op, call string, addr net.Addr, err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = os.ErrDeadlineExceeded
	case errors.Is(err, net.ErrClosed):
		err = net.ErrClosed
	default:
		if errno, ok := Errno(err); ok {
			err = os.NewSyscallError(call, errno)
		}
	}
	return &net.OpError{Op: op, Net: "udp", Source: c.LocalAddr(), Addr: addr, Err: err}
}

// Errno is the errno Linux's sockets give for err, if it has one.
func Errno(err error) (syscall.Errno, bool) {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno): // an ICMP error unwraps to its errno
		return errno, true
	case errors.Is(err, ip.ErrNoRoute):
		return syscall.ENETUNREACH, true
	case errors.Is(err, ip.ErrMsgSize):
		return syscall.EMSGSIZE, true
	case errors.Is(err, ErrAddrInUse):
		return syscall.EADDRINUSE, true
	case errors.Is(err, ErrAddrNotAvail), errors.Is(err, ip.ErrAddrNotAvail):
		return syscall.EADDRNOTAVAIL, true
	case errors.Is(err, ErrNotConnected):
		return syscall.EDESTADDRREQ, true
	case errors.Is(err, ErrTooManySockets):
		return syscall.EMFILE, true
	}
	return 0, false
}
