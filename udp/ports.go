package udp

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/gotapip/gotapip/internal/ports"
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
	ErrAddrInUse      = ports.ErrAddrInUse
	ErrAddrNotAvail   = errors.New("cannot assign requested address")
	ErrTooManySockets = errors.New("too many open sockets")
	ErrNoEphemeral    = ports.ErrNoEphemeral
)

// portTable is UDP's use of the shared port table (internal/ports): the
// bindings and ephemeral choice are there; the set of open sockets, bound
// or not, is here. A socket's local and remote addresses are written and
// read under the shared table's lock, which the receive path holds.
type portTable struct {
	tab *ports.Table[*Socket]

	mu   sync.Mutex
	open map[*Socket]struct{} // every open socket, bound or not
}

func (t *portTable) init() {
	t.tab = ports.New[*Socket](MaxSockets, EphemeralFirst, EphemeralLast)
	t.open = map[*Socket]struct{}{}
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
// any) and port; port 0 picks a free ephemeral port. The caller holds
// s.mu and s is not bound yet.
func (t *portTable) bind(s *Socket, addr netip.Addr, port uint16) error {
	_, err := t.tab.Bind(s, addr, port, netip.AddrPort{}, func(p uint16) { s.local = netip.AddrPortFrom(addr, p) })
	switch {
	case errors.Is(err, ports.ErrNoEphemeral):
		return fmt.Errorf("udp: %w in %d-%d: close some sockets", ErrNoEphemeral, EphemeralFirst, EphemeralLast)
	case errors.Is(err, ports.ErrAddrInUse):
		return fmt.Errorf("udp: bind %v: %w (the udp command lists the sockets; pick another port, or 0 for any free one)",
			netip.AddrPortFrom(orAny(addr), port), ErrAddrInUse)
	case err != nil: // the table's bound: as many bindings as sockets, so add refused first
		return fmt.Errorf("udp: bind %v: %w (%d): close some", netip.AddrPortFrom(orAny(addr), port), ErrTooManySockets, MaxSockets)
	}
	return nil
}

// remove takes s out of the table (Close).
func (t *portTable) remove(s *Socket) {
	t.mu.Lock()
	delete(t.open, s)
	t.mu.Unlock()
	if s.bound.Load() {
		t.tab.Unbind(s, s.local.Port())
	}
}

// lookup finds the socket for a datagram from src to dst: bound to dst's
// address or else to the wildcard, and if connected, connected to src.
// Broadcasts go only to a wildcard socket (as on Linux, a socket bound to
// a unicast address does not hear its subnet's broadcasts). It does not
// allocate.
func (t *portTable) lookup(src, dst netip.AddrPort, broadcast bool) *Socket {
	var wild, exact *Socket
	t.tab.Visit(dst.Port(), func(e ports.Entry[*Socket]) bool {
		if r := e.Owner.remote; r.IsValid() && r != src {
			return true
		}
		switch {
		case !e.Addr.IsValid():
			wild = e.Owner
		case e.Addr == dst.Addr() && !broadcast:
			exact = e.Owner
			return false
		}
		return true
	})
	if exact != nil {
		return exact
	}
	return wild
}

// lookupSent finds the socket that sent a datagram from src to dst, for
// an ICMP error about it: bound to src's port (and address, or the
// wildcard), and connected to dst or not connected at all. connected says
// which.
func (t *portTable) lookupSent(src, dst netip.AddrPort) (s *Socket, connected bool) {
	var unconnected *Socket
	t.tab.Visit(src.Port(), func(e ports.Entry[*Socket]) bool {
		if e.Addr.IsValid() && e.Addr != src.Addr() {
			return true
		}
		switch r := e.Owner.remote; {
		case r == dst:
			s, connected = e.Owner, true
			return false
		case !r.IsValid():
			unconnected = e.Owner
		}
		return true
	})
	if connected {
		return s, true
	}
	return unconnected, false
}

// list returns every open socket.
func (t *portTable) list() []*Socket {
	t.mu.Lock()
	defer t.mu.Unlock()
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
