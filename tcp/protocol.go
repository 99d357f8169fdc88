package tcp

import (
	"crypto/rand"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gotapip/gotapip/clock"
	"github.com/gotapip/gotapip/internal/ports"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// The errnos of the tables' refusals.
var (
	errAddrInUse = syscall.EADDRINUSE
	errNoBufs    = syscall.ENOBUFS
)

// The port table's bounds: the ephemeral range of RFC 6335 (as udp's),
// and how many listeners a stack holds.
const (
	EphemeralFirst = 49152
	EphemeralLast  = 65535
	MaxListeners   = 4096
)

// tuple names a connection: our address and port, the peer's.
type tuple struct{ local, remote netip.AddrPort }

// Protocol is one stack's TCP: its connection and listener tables, the
// tunables, the counters and the secrets of ISNs and SYN cookies.
type Protocol struct {
	Stats Stats
	trace atomic.Pointer[func(TraceEvent)] // SetTrace
	gate  *netdev.Tracer                   // SetTraceGate

	ip    *ip.Layer
	pool  *netdev.Pool
	clock clock.Clock
	ports *ports.Table[*Listener] // listeners' bindings; connections' ephemeral ports
	epoch time.Time               // of the timestamp clock

	cfgMu sync.Mutex
	cfg   atomic.Pointer[Config]

	mu        sync.RWMutex
	conns     map[tuple]*Conn
	listeners map[netip.AddrPort]*Listener
	buffered  atomic.Int64 // bytes of ring held by every connection
	hist      histories    // connections' histories (history.go)
	batch     ackBatch     // connections whose ACK waits for BatchEnd

	secret [32]byte // RFC 6528's secret key; also keys SYN cookies

	challengeMu     sync.Mutex
	challengeSecond int64 // the second the count below belongs to
	challengeCount  int
}

// New returns TCP over the IP layer l, with the tunables cfg (see
// DefaultConfig), timers on clk.
func New(l *ip.Layer, pool *netdev.Pool, clk clock.Clock, cfg Config) *Protocol {
	p := &Protocol{ip: l, pool: pool, clock: clk, epoch: clk.Now(),
		conns: map[tuple]*Conn{}, listeners: map[netip.AddrPort]*Listener{}}
	p.cfg.Store(&cfg)
	rand.Read(p.secret[:])
	p.ports = ports.New[*Listener](MaxListeners, EphemeralFirst, EphemeralLast)
	return p
}

// lookup finds the connection for a segment from remote to local, or the
// listener on local (specific address first, then the wildcard).
func (p *Protocol) lookup(local, remote netip.AddrPort) (*Conn, *Listener) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if c := p.conns[tuple{local, remote}]; c != nil {
		return c, nil
	}
	if l := p.listeners[local]; l != nil {
		return nil, l
	}
	return nil, p.listeners[netip.AddrPortFrom(netip.IPv4Unspecified(), local.Port())]
}

// insert adds c to the table, unless its tuple is taken or the table is
// full.
func (p *Protocol) insert(c *Conn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := tuple{c.local, c.remote}
	if p.conns[k] != nil {
		return errAddrInUse
	}
	if len(p.conns) >= p.Config().MaxConns {
		p.Stats.NoBuffers.Add(1)
		return errNoBufs
	}
	p.conns[k] = c
	return nil
}

// remove takes c out of the table.
func (p *Protocol) remove(c *Conn) {
	p.mu.Lock()
	if p.conns[tuple{c.local, c.remote}] == c {
		delete(p.conns, tuple{c.local, c.remote})
	}
	p.mu.Unlock()
}

// tupleFree reports whether no connection uses the tuple. (That no
// listener holds the port is the port table's check.)
func (p *Protocol) tupleFree(local, remote netip.AddrPort) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.conns[tuple{local, remote}] == nil
}

// reserve counts n bytes of buffer against the stack's bound; it
// reports false (nothing counted) when they do not fit, a connection
// refused (NoBuffers).
func (p *Protocol) reserve(n int) bool {
	if !p.tryReserve(n) {
		p.Stats.NoBuffers.Add(1)
		return false
	}
	return true
}

// tryReserve is reserve for a buffer's growth: a refusal costs the
// connection nothing but the growth, and counts nowhere.
func (p *Protocol) tryReserve(n int) bool {
	if p.buffered.Add(int64(n)) > int64(p.Config().MaxBuffered) {
		p.buffered.Add(-int64(n))
		return false
	}
	return true
}

func (p *Protocol) release(n int) { p.buffered.Add(-int64(n)) }

// Buffered is how many bytes of send and receive buffer the connections hold.
func (p *Protocol) Buffered() int { return int(p.buffered.Load()) }

// tsNow is the timestamp clock: milliseconds (RFC 7323 5.4 asks for
// 1 ms to 1 s per tick; Linux ticks in ms).
func (p *Protocol) tsNow() uint32 { return uint32(p.clock.Now().Sub(p.epoch) / time.Millisecond) }

// challengeAllowed reports whether one more challenge ACK may go out this
// second (RFC 5961 7: rate-limited, as Linux's tcp_challenge_ack_limit).
func (p *Protocol) challengeAllowed() bool {
	sec := p.clock.Now().Unix()
	p.challengeMu.Lock()
	defer p.challengeMu.Unlock()
	if sec != p.challengeSecond {
		p.challengeSecond, p.challengeCount = sec, 0
	}
	if p.challengeCount >= p.Config().ChallengeACKLimit {
		return false
	}
	p.challengeCount++
	return true
}

// snapshot lists the connections and listeners, for a caller that goes
// through them without the table's lock.
func (p *Protocol) snapshot() ([]*Conn, []*Listener) {
	p.mu.RLock()
	conns := make([]*Conn, 0, len(p.conns))
	for _, c := range p.conns {
		conns = append(conns, c)
	}
	ls := make([]*Listener, 0, len(p.listeners))
	for _, l := range p.listeners {
		ls = append(ls, l)
	}
	p.mu.RUnlock()
	return conns, ls
}
