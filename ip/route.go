package ip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gotapip/gotapip/internal/rcumap"
	"github.com/gotapip/gotapip/netdev"
)

// MaxRoutes bounds the routing table.
const MaxRoutes = 1 << 18

// Errors of the routing table, for callers to test with errors.Is.
var (
	ErrNoRoute     = errors.New("no route to host")
	ErrRouteExists = errors.New("route exists")
	ErrTableFull   = errors.New("routing table full")
	// The two in Linux's words ("ip route add" prints them after "Error: ").
	ErrHostBits       = errors.New("Invalid prefix for given prefix length")
	ErrInvalidGateway = errors.New("Nexthop has invalid gateway")
)

// Route says where datagrams for Prefix go: out of Dev, directly to the
// destination when Gateway is the zero Addr (a connected route), else to
// Gateway.
type Route struct {
	Prefix    netip.Prefix // always masked
	Gateway   netip.Addr
	Dev       *netdev.NetDev
	Connected bool // added with the device's address; removed with it
}

// NextHop is the address a datagram to dst is handed to on the link.
func (r Route) NextHop(dst netip.Addr) netip.Addr {
	if r.Gateway.IsValid() {
		return r.Gateway
	}
	return dst
}

// Flags prints route(8)'s flags: U up, G gateway, H host route.
func (r Route) Flags() string {
	f := "U"
	if r.Gateway.IsValid() {
		f += "G"
	}
	if r.Prefix.Bits() == 32 {
		f += "H"
	}
	return f
}

// Table is the routing table with longest-prefix-match lookup. A lookup
// masks the address with each prefix length present, longest first, and
// probes one hash map of all routes, so its cost grows with the number of
// distinct lengths (at most 33), not with the number of routes. Lookup takes
// no lock (see internal/rcumap); writers hold mu.
type Table struct {
	mu      sync.Mutex // serializes Add, Delete, DeleteFunc, Len, List
	routes  rcumap.Map[routeKey, Route, routeKey]
	present atomic.Uint64 // bit n set when a route of length n exists
	perLen  [33]int       // routes of each length; under mu
}

// routeKey is an IPv4 prefix as one word, its length above its masked
// address: cheaper to hash and compare than a netip.Prefix.
type routeKey uint64

// keyOf is the key of addr's n-bit prefix.
func keyOf(addr uint32, n int) routeKey {
	mask := ^uint32(0) << (32 - n) // for n = 0 a shift by 32: 0
	return routeKey(n)<<32 | routeKey(addr&mask)
}

func prefixKey(p netip.Prefix) routeKey {
	a := p.Addr().As4()
	return keyOf(binary.BigEndian.Uint32(a[:]), p.Bits())
}

// Hash makes routeKey its own rcumap.Hasher.
func (routeKey) Hash(k routeKey) uint64 { return uint64(k) }

// Lookup returns the route for dst with the longest matching prefix. It
// takes no lock and does not allocate. Racing one Add or Delete, it sees
// the table before or after it.
func (t *Table) Lookup(dst netip.Addr) (Route, bool) {
	if !dst.Is4() {
		return Route{}, false
	}
	a := dst.As4()
	addr := binary.BigEndian.Uint32(a[:])
	for lens := t.present.Load(); lens != 0; {
		n := 63 - bits.LeadingZeros64(lens) // longest remaining length
		lens &^= 1 << n
		if r, ok := t.routes.Load(keyOf(addr, n)); ok {
			return r, true
		}
	}
	return Route{}, false
}

// Add inserts r. It fails if a route for the same prefix exists.
func (t *Table) Add(r Route) error {
	if !r.Prefix.IsValid() || !r.Prefix.Addr().Is4() {
		return fmt.Errorf("%v: not an IPv4 prefix (give one like 10.9.0.0/16)", r.Prefix)
	}
	if r.Dev == nil {
		return fmt.Errorf("%v: no device (give dev IFACE)", r.Prefix)
	}
	r.Prefix = r.Prefix.Masked()
	n := r.Prefix.Bits()
	t.mu.Lock()
	defer t.mu.Unlock()
	key := prefixKey(r.Prefix)
	if _, ok := t.routes.Load(key); ok {
		return fmt.Errorf("%v: %w (route del %v first)", r.Prefix, ErrRouteExists, r.Prefix)
	}
	if t.routes.Len() >= MaxRoutes {
		return fmt.Errorf("%v: %w (%d routes: delete some first)", r.Prefix, ErrTableFull, MaxRoutes)
	}
	t.routes.Store(key, r) // the route before its length's bit: a reader that sees the bit finds it
	t.perLen[n]++
	t.present.Or(1 << n)
	return nil
}

// CheckRoute makes the checks Linux makes before "ip route add": the
// prefix has no bits set past its length (10.9.0.5/16 is refused, as
// fib_table_insert refuses it), and a gateway is on the device's connected
// subnet and not its broadcast address (fib_check_nh: the next hop must be
// reachable on the link).
func CheckRoute(r Route) error {
	if r.Prefix.IsValid() && r.Prefix != r.Prefix.Masked() {
		return fmt.Errorf("%v: %w (give %v)", r.Prefix, ErrHostBits, r.Prefix.Masked())
	}
	if !r.Gateway.IsValid() || r.Dev == nil {
		return nil
	}
	subnet := r.Dev.Addr()
	switch {
	case !subnet.IsValid():
		return fmt.Errorf("via %v: %w (%s has no address: give it one first)", r.Gateway, ErrInvalidGateway, r.Dev.Name())
	case !subnet.Contains(r.Gateway):
		return fmt.Errorf("via %v: %w (not on %s's subnet %v: a gateway must be on a connected subnet)", r.Gateway, ErrInvalidGateway, r.Dev.Name(), subnet.Masked())
	case subnet.Bits() < 31 && r.Gateway == DirectedBroadcast(subnet):
		return fmt.Errorf("via %v: %w (that is %s's broadcast address)", r.Gateway, ErrInvalidGateway, r.Dev.Name())
	}
	return nil
}

// Delete removes the route for prefix.
func (t *Table) Delete(prefix netip.Prefix) error {
	prefix = prefix.Masked()
	if prefix.Bits() < 0 || !prefix.Addr().Is4() {
		return fmt.Errorf("%v: not an IPv4 prefix (give one like 10.9.0.0/16)", prefix)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.remove(prefix) {
		return fmt.Errorf("%v: no such route (route lists them)", prefix)
	}
	return nil
}

// DeleteFunc removes every route for which drop returns true (a device's
// routes when it goes away or changes address).
func (t *Table) DeleteFunc(drop func(Route) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []netip.Prefix
	for _, r := range t.routes.All() {
		if drop(r) {
			gone = append(gone, r.Prefix)
		}
	}
	for _, p := range gone {
		t.remove(p)
	}
}

// remove deletes p's route, if any. Call with t.mu held.
func (t *Table) remove(p netip.Prefix) bool {
	if _, ok := t.routes.Delete(prefixKey(p)); !ok {
		return false
	}
	n := p.Bits()
	if t.perLen[n]--; t.perLen[n] == 0 {
		t.present.And(^uint64(1 << n))
	}
	return true
}

// Len is the number of routes.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.routes.Len()
}

// List returns all routes, most specific first, as route(8) lists them.
func (t *Table) List() []Route {
	t.mu.Lock()
	out := make([]Route, 0, t.routes.Len())
	for _, r := range t.routes.All() {
		out = append(out, r)
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b Route) int {
		if a.Prefix.Bits() != b.Prefix.Bits() {
			return b.Prefix.Bits() - a.Prefix.Bits()
		}
		return a.Prefix.Addr().Compare(b.Prefix.Addr())
	})
	return out
}
