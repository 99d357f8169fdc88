package udp

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
)

// Bounds and ranges of the port table.
const (
	MaxSockets = 4096 // open sockets per stack
	// The ephemeral (dynamic) port range of RFC 6335, which is also what
	// Windows and the BSDs use; Linux's default starts at 32768.
	EphemeralFirst = 49152
	EphemeralLast  = 65535
)

// Errors of binding, for callers to test with errors.Is.
var (
	ErrAddrInUse      = errors.New("address already in use")
	ErrAddrNotAvail   = errors.New("cannot assign requested address")
	ErrTooManySockets = errors.New("too many open sockets")
	ErrNoEphemeral    = errors.New("no free ephemeral port")
)

// portTable maps local ports to the sockets bound there. Without
// SO_REUSEADDR, a port holds either one socket bound to the wildcard
// address or sockets bound to distinct specific addresses, so a lookup
// looks at very few sockets.
type portTable struct {
	mu        sync.RWMutex
	byPort    map[uint16][]*Socket
	open      map[*Socket]struct{} // every open socket, bound or not
	ephemeral uint16               // last ephemeral port handed out
}

func (t *portTable) init() {
	t.byPort = map[uint16][]*Socket{}
	t.open = map[*Socket]struct{}{}
	t.ephemeral = uint16(EphemeralFirst + rand.IntN(EphemeralLast-EphemeralFirst+1))
}

// add registers a new, unbound socket.
func (t *portTable) add(s *Socket) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.open) >= MaxSockets {
		return fmt.Errorf("udp: %w (%d): close some", ErrTooManySockets, MaxSockets)
	}
	t.open[s] = struct{}{}
	return nil
}

// bind gives s the local address addr (the zero or unspecified Addr for
// any) and port; port 0 picks a free ephemeral port. It returns the port.
// The caller holds s.mu and s is not bound yet.
func (t *portTable) bind(s *Socket, addr netip.Addr, port uint16) (uint16, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if port == 0 {
		p, ok := t.freeEphemeral()
		if !ok {
			return 0, fmt.Errorf("udp: %w in %d-%d: close some sockets", ErrNoEphemeral, EphemeralFirst, EphemeralLast)
		}
		port = p
	} else if t.conflicts(addr, port) {
		return 0, fmt.Errorf("udp: bind %v: %w (the udp command lists the sockets; pick another port, or 0 for any free one)",
			netip.AddrPortFrom(orAny(addr), port), ErrAddrInUse)
	}
	s.local = netip.AddrPortFrom(addr, port)
	t.byPort[port] = append(t.byPort[port], s)
	return port, nil
}

// conflicts reports whether binding addr:port would clash with a socket
// already there: same address, or either side the wildcard.
func (t *portTable) conflicts(addr netip.Addr, port uint16) bool {
	for _, o := range t.byPort[port] {
		oa := o.local.Addr()
		if !addr.IsValid() || !oa.IsValid() || oa == addr {
			return true
		}
	}
	return false
}

// freeEphemeral returns the next ephemeral port no socket uses at all,
// searching on from the last one handed out, so a port is reused as late
// as possible (stale datagrams and ICMP errors for its last owner are then
// unlikely to reach the new one).
func (t *portTable) freeEphemeral() (uint16, bool) {
	const n = EphemeralLast - EphemeralFirst + 1
	for range n {
		p := t.ephemeral + 1
		if p < EphemeralFirst { // wrapped past 65535
			p = EphemeralFirst
		}
		t.ephemeral = p
		if len(t.byPort[p]) == 0 {
			return p, true
		}
	}
	return 0, false
}

// remove takes s out of the table (Close).
func (t *portTable) remove(s *Socket) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.open, s)
	port := s.local.Port()
	list := t.byPort[port]
	for i, o := range list {
		if o == s {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(t.byPort, port)
	} else {
		t.byPort[port] = list
	}
}

// lookup finds the socket for a datagram from src to dst: bound to dst's
// address or else to the wildcard, and if connected, connected to src.
// Broadcasts go only to a wildcard socket (as on Linux, a socket bound to
// a unicast address does not hear its subnet's broadcasts). It does not
// allocate.
func (t *portTable) lookup(src, dst netip.AddrPort, broadcast bool) *Socket {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var wild *Socket
	for _, s := range t.byPort[dst.Port()] {
		if s.remote.IsValid() && s.remote != src {
			continue
		}
		switch a := s.local.Addr(); {
		case !a.IsValid():
			wild = s
		case a == dst.Addr() && !broadcast:
			return s
		}
	}
	return wild
}

// lookupSent finds the socket that sent a datagram from src to dst, for
// an ICMP error about it: bound to src's port (and address, or the
// wildcard), and connected to dst or not connected at all. connected says
// which.
func (t *portTable) lookupSent(src, dst netip.AddrPort) (s *Socket, connected bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var unconnected *Socket
	for _, s := range t.byPort[src.Port()] {
		if a := s.local.Addr(); a.IsValid() && a != src.Addr() {
			continue
		}
		switch {
		case s.remote == dst:
			return s, true
		case !s.remote.IsValid():
			unconnected = s
		}
	}
	return unconnected, false
}

// list returns every open socket.
func (t *portTable) list() []*Socket {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]*Socket, 0, len(t.open))
	for s := range t.open {
		out = append(out, s)
	}
	return out
}

// orAny prints the wildcard address as 0.0.0.0.
func orAny(a netip.Addr) netip.Addr {
	if !a.IsValid() {
		return netip.IPv4Unspecified()
	}
	return a
}
