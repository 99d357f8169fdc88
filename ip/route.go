package ip

import (
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"sync"

	"github.com/gotapip/gotapip/netdev"
)

// MaxRoutes bounds the routing table.
const MaxRoutes = 1 << 18

// Errors of the routing table, for callers to test with errors.Is.
var (
	ErrNoRoute     = errors.New("no route to host")
	ErrRouteExists = errors.New("route exists")
	ErrTableFull   = errors.New("routing table full")
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

// Table is the routing table with longest-prefix-match lookup. Routes are
// kept in one map per prefix length; a lookup masks the address with each
// length present, longest first, so its cost grows with the number of
// distinct lengths (at most 33), not with the number of routes.
type Table struct {
	mu      sync.RWMutex
	byLen   [33]map[netip.Prefix]Route
	present uint64 // bit n set when byLen[n] is non-empty
	count   int
}

// Lookup returns the route for dst with the longest matching prefix.
// It does not allocate.
func (t *Table) Lookup(dst netip.Addr) (Route, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for lens := t.present; lens != 0; {
		n := 63 - bits.LeadingZeros64(lens) // longest remaining length
		lens &^= 1 << n
		pfx, _ := dst.Prefix(n)
		if r, ok := t.byLen[n][pfx]; ok {
			return r, true
		}
	}
	return Route{}, false
}

// Add inserts r. It fails if a route for the same prefix exists.
func (t *Table) Add(r Route) error {
	if !r.Prefix.IsValid() || !r.Prefix.Addr().Is4() {
		return fmt.Errorf("route %v: not an IPv4 prefix", r.Prefix)
	}
	if r.Dev == nil {
		return fmt.Errorf("route %v: no device", r.Prefix)
	}
	r.Prefix = r.Prefix.Masked()
	n := r.Prefix.Bits()
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byLen[n][r.Prefix]; ok {
		return fmt.Errorf("route %v: %w (route del %v first)", r.Prefix, ErrRouteExists, r.Prefix)
	}
	if t.count >= MaxRoutes {
		return fmt.Errorf("route %v: %w (%d routes)", r.Prefix, ErrTableFull, MaxRoutes)
	}
	if t.byLen[n] == nil {
		t.byLen[n] = map[netip.Prefix]Route{}
	}
	t.byLen[n][r.Prefix] = r
	t.present |= 1 << n
	t.count++
	return nil
}

// Delete removes the route for prefix.
func (t *Table) Delete(prefix netip.Prefix) error {
	prefix = prefix.Masked()
	n := prefix.Bits()
	if n < 0 || !prefix.Addr().Is4() {
		return fmt.Errorf("route %v: not an IPv4 prefix", prefix)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.byLen[n][prefix]; !ok {
		return fmt.Errorf("route %v: no such route", prefix)
	}
	t.remove(prefix)
	return nil
}

// DeleteFunc removes every route for which drop returns true (a device's
// routes when it goes away or changes address).
func (t *Table) DeleteFunc(drop func(Route) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.byLen {
		for p, r := range m {
			if drop(r) {
				t.remove(p)
			}
		}
	}
}

func (t *Table) remove(p netip.Prefix) {
	n := p.Bits()
	delete(t.byLen[n], p)
	if len(t.byLen[n]) == 0 {
		t.present &^= 1 << n
	}
	t.count--
}

// Len is the number of routes.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.count
}

// List returns all routes, most specific first, as route(8) lists them.
func (t *Table) List() []Route {
	t.mu.RLock()
	out := make([]Route, 0, t.count)
	for _, m := range t.byLen {
		for _, r := range m {
			out = append(out, r)
		}
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(a, b Route) int {
		if a.Prefix.Bits() != b.Prefix.Bits() {
			return b.Prefix.Bits() - a.Prefix.Bits()
		}
		return a.Prefix.Addr().Compare(b.Prefix.Addr())
	})
	return out
}
