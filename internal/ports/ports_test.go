package ports

import (
	"errors"
	"net/netip"
	"testing"
)

var (
	any4 = netip.Addr{}
	a1   = netip.MustParseAddr("10.0.0.1")
	a2   = netip.MustParseAddr("127.0.0.1")
)

func TestBindConflicts(t *testing.T) {
	tab := New[int](100, 49152, 65535)
	steps := []struct {
		owner int
		addr  netip.Addr
		port  uint16
		want  error
	}{
		{1, any4, 7, nil},
		{2, any4, 7, ErrAddrInUse},
		{3, a1, 7, ErrAddrInUse}, // the wildcard holds every address
		{4, netip.IPv4Unspecified(), 7, ErrAddrInUse},
		{5, a1, 8, nil},
		{6, a2, 8, nil}, // distinct specific addresses share a port
		{7, a1, 8, ErrAddrInUse},
		{8, any4, 8, ErrAddrInUse},
	}
	for _, st := range steps {
		_, err := tab.Bind(st.owner, st.addr, st.port, netip.AddrPort{}, nil)
		if !errors.Is(err, st.want) {
			t.Fatalf("owner %d bind %v:%d: %v, want %v", st.owner, st.addr, st.port, err, st.want)
		}
	}
	if n := tab.Len(); n != 3 {
		t.Errorf("Len %d, want 3", n)
	}
	tab.Unbind(1, 7)
	if _, err := tab.Bind(3, a1, 7, netip.AddrPort{}, nil); err != nil {
		t.Errorf("after the wildcard unbinds, %v:7: %v", a1, err)
	}
	var owners []int
	tab.Visit(8, func(e Entry[int]) bool { owners = append(owners, e.Owner); return true })
	if len(owners) != 2 || owners[0] != 5 || owners[1] != 6 {
		t.Errorf("Visit port 8: owners %v, want [5 6]", owners)
	}
	tab.Unbind(99, 8) // not there: nothing happens
	if n := tab.Len(); n != 3 {
		t.Errorf("Len after a no-op Unbind %d, want 3", n)
	}
}

func TestBound(t *testing.T) {
	tab := New[int](2, 100, 200)
	for i := range 2 {
		if _, err := tab.Bind(i, any4, 0, netip.AddrPort{}, nil); err != nil {
			t.Fatalf("bind %d: %v", i, err)
		}
	}
	if _, err := tab.Bind(9, any4, 0, netip.AddrPort{}, nil); !errors.Is(err, ErrTableFull) {
		t.Errorf("third binding: %v, want ErrTableFull", err)
	}
}

func TestEphemeralExhaustion(t *testing.T) {
	tab := New[int](100, 1000, 1009)
	seen := map[uint16]bool{}
	for i := range 10 {
		var got uint16
		p, err := tab.Bind(i, any4, 0, netip.AddrPort{}, func(p uint16) { got = p })
		if err != nil {
			t.Fatalf("bind %d: %v", i, err)
		}
		if p < 1000 || p > 1009 || seen[p] || got != p {
			t.Fatalf("bind %d: port %d (onBound saw %d, seen before %v), want a new one in 1000-1009", i, p, got, seen[p])
		}
		seen[p] = true
	}
	if _, err := tab.Bind(10, any4, 0, netip.AddrPort{}, nil); !errors.Is(err, ErrNoEphemeral) {
		t.Errorf("eleventh ephemeral bind: %v, want ErrNoEphemeral", err)
	}
	tab.Unbind(3, portOf(tab, 3))
	if _, err := tab.Bind(10, any4, 0, netip.AddrPort{}, nil); err != nil {
		t.Errorf("after an Unbind: %v", err)
	}
}

// portOf finds owner's port by visiting every port of the range.
func portOf(tab *Table[int], owner int) uint16 {
	first, last := tab.Range()
	for p := first; p <= last; p++ {
		found := false
		tab.Visit(p, func(e Entry[int]) bool { found = e.Owner == owner; return !found })
		if found {
			return p
		}
	}
	return 0
}

// Algorithm 3: one peer's ports come in sequence; different peers start
// at different places in the range (keyed by the hash).
func TestEphemeralSequence(t *testing.T) {
	e := NewEphemeral(49152, 65535)
	always := func(uint16) bool { return true }
	peer := netip.MustParseAddrPort("10.0.0.2:80")
	p1, _ := e.Choose(a1, peer, always)
	p2, _ := e.Choose(a1, peer, always)
	if want := p1 + 1; p2 != want && !(p1 == 65535 && p2 == 49152) {
		t.Errorf("same peer: %d then %d, want %d", p1, p2, want)
	}
	starts := map[uint16]bool{}
	for port := range uint16(20) {
		f := NewEphemeral(49152, 65535)
		f.seed = e.seed // same key, so only the peer differs
		p, _ := f.Choose(a1, netip.AddrPortFrom(peer.Addr(), 1000+port), always)
		starts[p] = true
	}
	if len(starts) < 15 { // 20 hashes into 16384 slots: collisions are rare
		t.Errorf("20 peers start at only %d distinct ports: the hash does not spread them", len(starts))
	}
	skip := map[uint16]bool{}
	q1, _ := e.Choose(a1, peer, func(p uint16) bool { skip[p] = true; return len(skip) == 3 })
	if len(skip) != 3 || !skip[q1] {
		t.Errorf("Choose returned %d after trying %v, want the third port tried", q1, skip)
	}
	if _, ok := e.Choose(any4, netip.AddrPort{}, func(uint16) bool { return false }); ok {
		t.Error("Choose found a port no one accepts")
	}
}

func TestNoAllocs(t *testing.T) {
	tab := New[*int](10, 100, 200)
	owner := new(int)
	tab.Bind(owner, a1, 7, netip.AddrPort{}, nil)
	var found *int
	allocs := testing.AllocsPerRun(100, func() {
		tab.Visit(7, func(e Entry[*int]) bool { found = e.Owner; return false })
	})
	if allocs != 0 || found != owner {
		t.Errorf("Visit: %v allocations, found %p, want 0 and %p", allocs, found, owner)
	}
}

// Ephemeral (TCP's connections): the port comes from the same algorithm-3
// sequence, skips every bound port and every port the caller refuses, and
// binds nothing, so the next call for another peer may return it again.
func TestEphemeralShared(t *testing.T) {
	tab := New[int](10, 1000, 1003)
	for i, p := range []uint16{1000, 1001} {
		if _, err := tab.Bind(i, any4, p, netip.AddrPort{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	peer := netip.MustParseAddrPort("10.0.0.2:80")
	taken := map[uint16]bool{1002: true} // a connection to peer holds 1002
	p, ok := tab.Ephemeral(a1, peer, func(p uint16) bool { return !taken[p] })
	if !ok || p != 1003 {
		t.Fatalf("Ephemeral with 1000-1001 bound and 1002 refused: %d %v, want 1003", p, ok)
	}
	if n := tab.Len(); n != 2 {
		t.Errorf("Ephemeral bound something: Len %d, want 2", n)
	}
	other := netip.MustParseAddrPort("10.0.0.3:80")
	if q, ok := tab.Ephemeral(a1, other, func(uint16) bool { return true }); !ok || q < 1002 {
		t.Errorf("another peer: %d %v, want 1002 or 1003 (unbound ports reused across peers)", q, ok)
	}
	if _, ok := tab.Ephemeral(netip.IPv4Unspecified(), peer, func(uint16) bool { return false }); ok {
		t.Error("Ephemeral found a port the caller refuses")
	}
}
