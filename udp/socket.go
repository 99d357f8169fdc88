package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/ip"
)

// ErrNotConnected is returned by Send and Recv on a socket that has no
// remote address (use SendTo and RecvFrom, or Connect first).
var ErrNotConnected = errors.New("socket is not connected")

// Socket is a UDP endpoint, in Go's idiom of net.UDPConn over the calls of
// BSD sockets: Open, Bind, Connect, SendTo/RecvFrom (Send/Recv once
// connected), Close. Its methods are safe for concurrent use: several
// goroutines may send and receive at once, each datagram going to one
// receiver.
type Socket struct {
	u *Protocol

	mu     sync.Mutex // serialises Bind, Connect and Close
	local  netip.AddrPort
	remote netip.AddrPort // valid once connected
	src    netip.Addr     // source address chosen at Connect
	bound  atomic.Bool

	q            recvQueue
	done         chan struct{} // closed by Close
	closed       atomic.Bool
	readDeadline atomic.Int64 // UnixNano; 0: none
	// deadlineMu guards deadlineSet, which is closed and replaced when the
	// read deadline changes, so a waiting receive takes up the new one.
	deadlineMu  sync.Mutex
	deadlineSet chan struct{}

	ttl        atomic.Uint32 // SetTTL; 0: the default
	recvErrors atomic.Bool   // SetRecvErrors (IP_RECVERR)
	errq       errQueue
}

// Open returns a new, unbound socket. It is bound to a wildcard ephemeral
// port when it first sends or connects, or explicitly with Bind.
func (u *Protocol) Open() (*Socket, error) {
	s := &Socket{u: u, done: make(chan struct{}), deadlineSet: make(chan struct{})}
	s.q.init()
	s.errq.init()
	if err := u.ports.add(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Listen opens a socket bound to laddr (see Bind), like net.ListenUDP.
func (u *Protocol) Listen(laddr netip.AddrPort) (*Socket, error) {
	s, err := u.Open()
	if err != nil {
		return nil, err
	}
	if err := s.Bind(laddr); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dial opens a socket connected to raddr from a wildcard ephemeral port,
// like net.DialUDP.
func (u *Protocol) Dial(raddr netip.AddrPort) (*Socket, error) {
	s, err := u.Open()
	if err != nil {
		return nil, err
	}
	if err := s.Connect(raddr); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Bind gives the socket its local address: laddr's address must be one of
// the stack's, or unspecified (0.0.0.0, or the zero Addr) for any; port 0
// picks a free ephemeral port (49152-65535). A socket binds once.
func (s *Socket) Bind(laddr netip.AddrPort) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return s.errClosed("bind")
	}
	if s.bound.Load() {
		return fmt.Errorf("udp: bind %v: socket already bound to %v", laddr, s.LocalAddr())
	}
	return s.bindLocked(laddr.Addr(), laddr.Port())
}

func (s *Socket) bindLocked(addr netip.Addr, port uint16) error {
	if addr.IsValid() && addr.IsUnspecified() {
		addr = netip.Addr{}
	}
	if addr.IsValid() && (!addr.Is4() || s.u.ip.LocalDevice(addr) == nil) {
		return fmt.Errorf("udp: bind %v: %w (not an address of this stack: ifconfig lists them; 0.0.0.0 means any)",
			netip.AddrPortFrom(addr, port), ErrAddrNotAvail)
	}
	if err := s.u.ports.bind(s, addr, port); err != nil {
		return err
	}
	s.bound.Store(true)
	return nil
}

// Connect sets the socket's remote address: Send and Recv use it, only
// datagrams from it are received, and ICMP errors about datagrams sent to
// it (port unreachable: "connection refused") are returned by the next
// receive. It binds an unbound socket to a wildcard ephemeral port and
// chooses the source address from the route to raddr.
func (s *Socket) Connect(raddr netip.AddrPort) error {
	if !raddr.Addr().Is4() || raddr.Port() == 0 || raddr.Addr().IsUnspecified() {
		return fmt.Errorf("udp: connect %v: want an IPv4 address and a port from 1 to 65535", raddr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return s.errClosed("connect")
	}
	src := s.local.Addr()
	if !src.IsValid() {
		var err error
		if src, err = s.u.ip.SourceAddr(raddr.Addr()); err != nil {
			return fmt.Errorf("udp: connect %v: %w", raddr, err)
		}
	}
	if !s.bound.Load() {
		if err := s.bindLocked(netip.Addr{}, 0); err != nil {
			return err
		}
	}
	s.u.ports.tab.Update(func() { s.remote, s.src = raddr, src }) // the receive path reads remote under the table's lock
	return nil
}

// LocalAddr is the bound address and port (0.0.0.0 for any); the zero
// AddrPort before binding.
func (s *Socket) LocalAddr() netip.AddrPort {
	if !s.bound.Load() {
		return netip.AddrPort{}
	}
	local := s.local // written before bound became true; never changes after
	return netip.AddrPortFrom(orAny(local.Addr()), local.Port())
}

// RemoteAddr is the connected address, or the zero AddrPort.
func (s *Socket) RemoteAddr() (remote netip.AddrPort) {
	s.u.ports.tab.Read(func() { remote = s.remote })
	return remote
}

// SetReadDeadline makes receives that would wait past t fail with an error
// wrapping os.ErrDeadlineExceeded; the zero Time means no deadline. A
// receive already waiting takes up the new deadline (net.Conn's rule).
func (s *Socket) SetReadDeadline(t time.Time) error {
	s.deadlineMu.Lock()
	defer s.deadlineMu.Unlock()
	if t.IsZero() {
		s.readDeadline.Store(0)
	} else {
		s.readDeadline.Store(t.UnixNano())
	}
	close(s.deadlineSet)
	s.deadlineSet = make(chan struct{})
	return nil
}

// readDeadlineSet returns the channel the next SetReadDeadline closes.
func (s *Socket) readDeadlineSet() <-chan struct{} {
	s.deadlineMu.Lock()
	defer s.deadlineMu.Unlock()
	return s.deadlineSet
}

// RecvFrom waits for a datagram and copies its payload into b, returning
// its length and sender. A payload longer than b is cut to len(b), the
// rest discarded (as recvfrom(2) without MSG_TRUNC, and net.UDPConn). It
// returns early when ctx ends (ctx.Err()), at the read deadline, when the
// socket is closed (net.ErrClosed), or with an ICMP error that came back
// for a connected socket (errors.Is(err, syscall.ECONNREFUSED) for port
// unreachable). It does not allocate unless it must wait for a deadline.
func (s *Socket) RecvFrom(ctx context.Context, b []byte) (int, netip.AddrPort, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		changed := s.readDeadlineSet() // before the deadline is read: a change after it wakes us
		p, err, closed := s.q.get()
		switch {
		case p != nil:
			s.u.queued.Add(-1)
			n := copy(b, p.Data())
			from := netip.AddrPortFrom(ip.Header(p.Network()).Src(), Header(p.Transport()).SrcPort())
			p.Free()
			return n, from, nil
		case err != nil:
			return 0, netip.AddrPort{}, err
		case closed:
			return 0, netip.AddrPort{}, s.errClosed("recv")
		}
		var timeout <-chan time.Time
		if dl := s.readDeadline.Load(); dl != 0 {
			wait := time.Until(time.Unix(0, dl))
			if wait <= 0 {
				return 0, netip.AddrPort{}, fmt.Errorf("udp: recv on %v: %w", s.LocalAddr(), os.ErrDeadlineExceeded)
			}
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			timeout = timer.C
		}
		select {
		case <-s.q.ready:
		case <-s.done:
		case <-timeout: // loop: the deadline check above reports it
		case <-changed:
		case <-ctx.Done():
			return 0, netip.AddrPort{}, ctx.Err()
		}
	}
}

// Recv is RecvFrom on a connected socket.
func (s *Socket) Recv(ctx context.Context, b []byte) (int, error) {
	if !s.RemoteAddr().IsValid() {
		return 0, fmt.Errorf("udp: recv: %w (Connect first, or use RecvFrom)", ErrNotConnected)
	}
	n, _, err := s.RecvFrom(ctx, b)
	return n, err
}

// Close unbinds the socket, frees its queued datagrams and makes waiting
// and later calls fail with net.ErrClosed. Closing twice is harmless.
func (s *Socket) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Swap(true) {
		return nil
	}
	s.u.ports.remove(s)
	s.u.queued.Add(-int64(s.q.close()))
	s.errq.clear()
	close(s.done)
	return nil
}

func (s *Socket) errClosed(op string) error {
	return fmt.Errorf("udp: %s: %w", op, net.ErrClosed)
}

// Info is one row of the socket table (the udp command, netstat -u).
type Info struct {
	Local, Remote netip.AddrPort // Local is 0.0.0.0:0 while unbound
	Queued        int            // datagrams waiting to be read
	QueuedBytes   int
	Drops         uint64 // datagrams dropped because the queue was full
}

// Info describes the socket.
func (s *Socket) Info() Info {
	n, b, d := s.q.stats()
	local := s.LocalAddr()
	if !local.IsValid() {
		local = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	}
	return Info{Local: local, Remote: s.RemoteAddr(), Queued: n, QueuedBytes: b, Drops: d}
}

// CloseAll closes every open socket, waking their readers with
// net.ErrClosed (the stack is shutting down).
func (u *Protocol) CloseAll() {
	for _, s := range u.ports.list() {
		s.Close()
	}
}
