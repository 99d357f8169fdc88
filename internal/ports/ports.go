// Package ports is the local-port table the transports share (udp, tcp):
// which (local address, local port) pairs are bound and to what, with the
// wildcard rules of BSD sockets, a bound on its size, and the choice of
// ephemeral ports per RFC 6056. The transports keep their own sockets and
// connections; the table only knows their ports.
package ports

import (
	"errors"
	"net/netip"
	"sync"
)

// Errors of binding, for callers to test with errors.Is. The transports
// wrap them with what to do.
var (
	ErrAddrInUse   = errors.New("address already in use")
	ErrTableFull   = errors.New("too many bound sockets")
	ErrNoEphemeral = errors.New("no free ephemeral port")
)

// Entry is one binding: the local address (the zero Addr for the
// wildcard, any address of the stack) and what holds it.
type Entry[S comparable] struct {
	Addr  netip.Addr
	Owner S
}

// Table maps local ports to their bindings. Without SO_REUSEADDR a port
// holds either one binding to the wildcard address or bindings to
// distinct specific addresses, so a lookup looks at very few entries.
// Its methods are safe for concurrent use.
type Table[S comparable] struct {
	mu     sync.RWMutex
	byPort map[uint16][]Entry[S] // copy on write: Visit's callback may not change the table
	n      int
	max    int
	eph    Ephemeral
}

// New returns a table of at most max bindings that chooses ephemeral ports
// in [first, last].
func New[S comparable](max int, first, last uint16) *Table[S] {
	return &Table[S]{byPort: map[uint16][]Entry[S]{}, max: max, eph: NewEphemeral(first, last)}
}

// Range returns the ephemeral port range.
func (t *Table[S]) Range() (first, last uint16) { return t.eph.first, t.eph.last }

// Bind binds owner to addr (the zero or unspecified Addr for the
// wildcard) and port, and returns the port. Port 0 picks an ephemeral port
// that no binding uses at all, by RFC 6056 algorithm 3 keyed on addr and
// remote (the zero AddrPort if the owner has no peer yet). onBound, if not
// nil, runs under the table's lock with the port, so owner's own copy of
// its address is set before any Visit can see it.
func (t *Table[S]) Bind(owner S, addr netip.Addr, port uint16, remote netip.AddrPort, onBound func(port uint16)) (uint16, error) {
	if addr.IsValid() && addr.IsUnspecified() {
		addr = netip.Addr{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n >= t.max {
		return 0, ErrTableFull
	}
	if port == 0 {
		p, ok := t.eph.Choose(addr, remote, func(p uint16) bool { return len(t.byPort[p]) == 0 })
		if !ok {
			return 0, ErrNoEphemeral
		}
		port = p
	} else if t.conflicts(addr, port) {
		return 0, ErrAddrInUse
	}
	list := t.byPort[port]
	t.byPort[port] = append(list[:len(list):len(list)], Entry[S]{Addr: addr, Owner: owner})
	t.n++
	if onBound != nil {
		onBound(port)
	}
	return port, nil
}

// Ephemeral chooses an ephemeral port, by the same algorithm as Bind, for
// an owner that does not bind it alone: a TCP connection, which shares its
// local port with any other connection to a different peer (the 4-tuple
// is what must be unique). The port is one no binding holds and that
// suitable (the caller's rule: no connection of its own has this 4-tuple)
// accepts; suitable runs under the table's lock. Nothing is bound.
func (t *Table[S]) Ephemeral(local netip.Addr, remote netip.AddrPort, suitable func(port uint16) bool) (uint16, bool) {
	if local.IsValid() && local.IsUnspecified() {
		local = netip.Addr{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.eph.Choose(local, remote, func(p uint16) bool { return len(t.byPort[p]) == 0 && suitable(p) })
}

// conflicts reports whether binding addr:port would clash with a binding
// already there: same address, or either side the wildcard.
func (t *Table[S]) conflicts(addr netip.Addr, port uint16) bool {
	for _, e := range t.byPort[port] {
		if !addr.IsValid() || !e.Addr.IsValid() || e.Addr == addr {
			return true
		}
	}
	return false
}

// Unbind removes owner's binding on port; it does nothing if there is none.
func (t *Table[S]) Unbind(owner S, port uint16) {
	t.mu.Lock()
	defer t.mu.Unlock()
	list := t.byPort[port]
	for i, e := range list {
		if e.Owner == owner {
			list = append(list[:i:i], list[i+1:]...)
			t.n--
			break
		}
	}
	if len(list) == 0 {
		delete(t.byPort, port)
	} else {
		t.byPort[port] = list
	}
}

// Visit calls f for each binding on port, under the table's read lock,
// until f returns false. f must not call the table's other methods. It
// does not allocate.
func (t *Table[S]) Visit(port uint16, f func(e Entry[S]) bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, e := range t.byPort[port] {
		if !f(e) {
			return
		}
	}
}

// Update runs f under the table's write lock: for a change to an owner's
// fields that Visit callbacks read (a socket's peer, set at connect).
func (t *Table[S]) Update(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f()
}

// Read runs f under the table's read lock, for reading those fields.
func (t *Table[S]) Read(f func()) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	f()
}

// Len is the number of bindings.
func (t *Table[S]) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.n
}
