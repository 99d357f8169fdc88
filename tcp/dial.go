package tcp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

var _ net.Listener = (*Listener)(nil)

// Dial opens a connection to remote (RFC 9293's active OPEN) and waits
// for the handshake, until ctx ends. Errors are *net.OpError as the net
// package's: "dial tcp 10.0.0.1:49152->10.0.0.2:80: connect: connection
// refused", errors.Is matching syscall.ECONNREFUSED, ETIMEDOUT (after
// tcp_syn_retries), EHOSTUNREACH, ENETUNREACH.
func (p *Protocol) Dial(ctx context.Context, remote netip.AddrPort) (*Conn, error) {
	dialErr := func(local netip.AddrPort, err error) error {
		if errno, ok := err.(syscall.Errno); ok {
			err = os.NewSyscallError("connect", errno)
		}
		var src net.Addr
		if local.IsValid() {
			src = net.TCPAddrFromAddrPort(local)
		}
		return &net.OpError{Op: "dial", Net: "tcp", Source: src, Addr: net.TCPAddrFromAddrPort(remote), Err: err}
	}
	if !remote.Addr().Is4() || remote.Port() == 0 || remote.Addr().IsUnspecified() || remote.Addr().IsMulticast() {
		return nil, dialErr(netip.AddrPort{}, errors.New("want a unicast IPv4 address and a port from 1 to 65535"))
	}
	src, err := p.ip.SourceAddr(remote.Addr())
	if err != nil {
		return nil, dialErr(netip.AddrPort{}, syscall.ENETUNREACH)
	}
	mtu, err := p.ip.RouteMTU(remote.Addr())
	if err != nil {
		return nil, dialErr(netip.AddrPort{}, syscall.ENETUNREACH)
	}
	c, err := p.newActive(src, remote)
	if err != nil {
		return nil, dialErr(netip.AddrPort{}, err)
	}
	c.mu.Lock()
	c.connect(mtu)
	c.mu.Unlock()
	select {
	case <-c.established:
	case <-ctx.Done():
		c.Abort()
		return nil, dialErr(c.local, ctx.Err())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil && c.state == Closed {
		err := c.err
		c.appClosed = true
		c.freeBuffers()
		return nil, dialErr(c.local, err)
	}
	return c, nil
}

// newActive makes a connection from src on a free ephemeral port to
// remote, with its buffers, in the table.
func (p *Protocol) newActive(src netip.Addr, remote netip.AddrPort) (*Conn, error) {
	for range 8 { // a port found free can be taken before insert: try another
		port, ok := p.ports.Ephemeral(src, remote, func(port uint16) bool {
			return p.tupleFree(netip.AddrPortFrom(src, port), remote)
		})
		if !ok {
			return nil, syscall.EADDRNOTAVAIL
		}
		c := p.newConn(netip.AddrPortFrom(src, port), remote)
		if !c.allocBuffers() {
			return nil, syscall.ENOBUFS
		}
		err := p.insert(c)
		if err == nil {
			return c, nil
		}
		c.freeBuffers()
		if errors.Is(err, syscall.ENOBUFS) {
			return nil, err
		}
	}
	return nil, syscall.EADDRNOTAVAIL
}

// Accept waits for the next connection (net.Listener).
func (l *Listener) Accept() (net.Conn, error) { return l.AcceptTCP() }

// AcceptTCP is Accept returning the connection's own type.
func (l *Listener) AcceptTCP() (*Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.closed {
			return nil, l.opError(net.ErrClosed)
		}
		if len(l.acceptq) > 0 {
			c := l.acceptq[0]
			l.acceptq = append(l.acceptq[:0], l.acceptq[1:]...)
			return c, nil
		}
		if l.wake == nil {
			l.wake = make(chan struct{})
		}
		if !waitOn(&l.mu, l.wake, l.deadline) {
			return nil, l.opError(os.ErrDeadlineExceeded)
		}
	}
}

func (l *Listener) opError(err error) error {
	return &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: err}
}

// SetDeadline bounds Accept (as *net.TCPListener's).
func (l *Listener) SetDeadline(t time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deadline = t
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
	return nil
}

// Addr is the listening address.
func (l *Listener) Addr() net.Addr { return net.TCPAddrFromAddrPort(l.addr) }

// Close stops listening: the port is free again, connections not yet
// accepted are reset (as Linux does), Accept returns net.ErrClosed.
func (l *Listener) Close() error {
	l.p.mu.Lock()
	if l.p.listeners[l.addr] == l {
		delete(l.p.listeners, l.addr)
	}
	l.p.mu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.opError(net.ErrClosed)
	}
	l.closed = true
	l.p.ports.Unbind(l, l.addr.Port())
	pending := l.acceptq
	l.acceptq = nil
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
	l.mu.Unlock()
	for _, c := range pending {
		c.Abort()
	}
	return nil
}
