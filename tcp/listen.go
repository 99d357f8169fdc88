package tcp

import (
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/gotapip/gotapip/internal/ports"
)

// Listener is a passive open: a port that accepts connections, with a
// bounded SYN queue (half-open children in SYN-RECEIVED) and a bounded
// accept queue (children established, not yet accepted). It implements
// net.Listener (socket.go).
type Listener struct {
	p       *Protocol
	addr    netip.AddrPort
	backlog int

	mu       sync.Mutex
	synq     int // children in SYN-RECEIVED
	acceptq  []*Conn
	closed   bool
	wake     chan struct{}
	deadline time.Time
}

// synqLimit is the SYN queue's bound: the backlog, at least 8, at most
// tcp_max_syn_backlog (Linux bounds its request queue the same way).
func (l *Listener) synqLimit() int {
	return min(max(l.backlog, 8), l.p.Config().MaxSynBacklog)
}

// input handles a segment for no connection on a listening port (RFC
// 9293 3.10.7.2): RSTs are ignored, ACKs answered with RST unless they
// carry a valid SYN cookie, SYNs start a child or get a cookie.
func (l *Listener) input(local, remote netip.AddrPort, h Header, o *Options) {
	flags := h.Flags()
	switch {
	case flags&FlagRST != 0:
		return
	case flags&FlagACK != 0:
		if flags&FlagSYN == 0 && l.p.Config().Syncookies != 0 && l.cookieACK(local, remote, h, o) {
			return
		}
		l.p.Stats.NoConnection.Add(1)
		l.p.replyReset(local, remote, h) // full accept queue or not (gVisor#6683)
		return
	case flags&FlagSYN == 0:
		return
	}
	mtu, err := l.p.ip.RouteMTU(remote.Addr())
	if err != nil {
		l.p.Stats.ListenDrops.Add(1)
		return
	}
	cfg := l.p.Config()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.p.replyReset(local, remote, h)
		return
	}
	if len(l.acceptq) >= l.backlog { // Linux drops SYNs while the accept queue is full
		l.mu.Unlock()
		l.p.Stats.ListenOverflows.Add(1)
		l.p.Stats.ListenDrops.Add(1)
		return
	}
	full := l.synq >= l.synqLimit()
	if (full && cfg.Syncookies == 1) || cfg.Syncookies == 2 {
		l.mu.Unlock()
		l.sendCookie(local, remote, h, o, mtu)
		return
	}
	if full {
		l.mu.Unlock()
		l.p.Stats.ListenDrops.Add(1)
		return
	}
	l.synq++
	l.mu.Unlock()
	c := l.p.newConn(local, remote)
	c.passive, c.inSynq = l, true
	if !c.allocBuffers() || l.p.insert(c) != nil {
		c.freeBuffers()
		l.childGone(c)
		l.p.Stats.ListenDrops.Add(1)
		return
	}
	c.mu.Lock()
	c.acceptSYN(h, o, mtu)
	c.mu.Unlock()
}

// enqueue moves an established child to the accept queue; it reports
// false when the queue is full (the handshake's last ACK is dropped and
// the peer retransmits) or the listener closed (closed says which).
func (l *Listener) enqueue(c *Conn) (ok, closed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false, true
	}
	if len(l.acceptq) >= l.backlog {
		l.p.Stats.ListenOverflows.Add(1)
		return false, false
	}
	if c.inSynq {
		c.inSynq = false
		l.synq--
	}
	l.acceptq = append(l.acceptq, c)
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
	return true, false
}

// childGone forgets a child that ended before it was accepted.
func (l *Listener) childGone(c *Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.inSynq {
		c.inSynq = false
		l.synq--
	}
	for i, q := range l.acceptq {
		if q == c {
			l.acceptq = append(l.acceptq[:i], l.acceptq[i+1:]...)
			break
		}
	}
}

// Listen opens a listener on addr (the unspecified address for every
// local address; port 0 for an ephemeral one) with an accept queue of
// backlog connections. The binding rules are the shared port table's
// (internal/ports): one listener per port on the wildcard, or one per
// address.
func (p *Protocol) Listen(addr netip.AddrPort, backlog int) (*Listener, error) {
	if backlog <= 0 {
		backlog = 4096 // Linux's somaxconn
	}
	l := &Listener{p: p, backlog: backlog}
	_, err := p.ports.Bind(l, addr.Addr(), addr.Port(), netip.AddrPort{}, func(port uint16) {
		l.addr = netip.AddrPortFrom(addr.Addr(), port)
	})
	switch {
	case errors.Is(err, ports.ErrTableFull):
		return nil, errNoBufs
	case err != nil:
		return nil, errAddrInUse
	}
	p.mu.Lock()
	p.listeners[l.addr] = l
	p.mu.Unlock()
	return l, nil
}
