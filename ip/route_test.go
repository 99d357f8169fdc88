package ip

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"

	"github.com/gotapip/gotapip/netdev"
)

func testDev(t testing.TB, name string) *netdev.NetDev {
	t.Helper()
	d, err := netdev.New(netdev.Config{Name: name, MAC: netdev.MAC{2, 0, 0, 0, 0, 1}}, netdev.NewLoopback(), &netdev.Demux{}, netdev.NewPool())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var (
	pfx = netip.MustParsePrefix
	ip4 = netip.MustParseAddr
)

func TestRouteLookupLongestPrefix(t *testing.T) {
	eth0, eth1 := testDev(t, "eth0"), testDev(t, "eth1")
	var tbl Table
	for _, r := range []Route{
		{Prefix: pfx("0.0.0.0/0"), Gateway: ip4("192.168.1.1"), Dev: eth1},
		{Prefix: pfx("10.0.0.0/8"), Gateway: ip4("10.255.255.254"), Dev: eth0},
		{Prefix: pfx("10.1.0.0/16"), Dev: eth0, Connected: true},
		{Prefix: pfx("10.1.2.0/24"), Gateway: ip4("10.1.0.1"), Dev: eth0},
		{Prefix: pfx("10.1.2.3/32"), Dev: eth1},
		{Prefix: pfx("192.168.1.0/24"), Dev: eth1, Connected: true},
	} {
		if err := tbl.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		dst         string
		wantPrefix  string
		wantNextHop string
		wantDev     *netdev.NetDev
	}{
		{"10.1.2.3", "10.1.2.3/32", "10.1.2.3", eth1},
		{"10.1.2.4", "10.1.2.0/24", "10.1.0.1", eth0},
		{"10.1.2.255", "10.1.2.0/24", "10.1.0.1", eth0},
		{"10.1.3.1", "10.1.0.0/16", "10.1.3.1", eth0},
		{"10.2.0.0", "10.0.0.0/8", "10.255.255.254", eth0},
		{"10.255.255.255", "10.0.0.0/8", "10.255.255.254", eth0},
		{"11.0.0.0", "0.0.0.0/0", "192.168.1.1", eth1},
		{"192.168.1.77", "192.168.1.0/24", "192.168.1.77", eth1},
		{"8.8.8.8", "0.0.0.0/0", "192.168.1.1", eth1},
		{"255.255.255.255", "0.0.0.0/0", "192.168.1.1", eth1},
	}
	for _, tt := range tests {
		t.Run(tt.dst, func(t *testing.T) {
			r, ok := tbl.Lookup(ip4(tt.dst))
			if !ok {
				t.Fatal("no route")
			}
			if r.Prefix.String() != tt.wantPrefix || r.NextHop(ip4(tt.dst)).String() != tt.wantNextHop || r.Dev != tt.wantDev {
				t.Errorf("got %v via %v dev %v, want %v via %v dev %v",
					r.Prefix, r.NextHop(ip4(tt.dst)), r.Dev, tt.wantPrefix, tt.wantNextHop, tt.wantDev)
			}
		})
	}
}

func TestRouteLookupNoDefault(t *testing.T) {
	var tbl Table
	if _, ok := tbl.Lookup(ip4("10.0.0.1")); ok {
		t.Error("empty table found a route")
	}
	tbl.Add(Route{Prefix: pfx("10.0.0.0/24"), Dev: testDev(t, "eth0")})
	for _, dst := range []string{"10.0.1.1", "9.255.255.255", "0.0.0.0"} {
		if r, ok := tbl.Lookup(ip4(dst)); ok {
			t.Errorf("Lookup(%s) = %v, want no route", dst, r.Prefix)
		}
	}
	if _, ok := tbl.Lookup(netip.Addr{}); ok {
		t.Error("Lookup(zero Addr) found a route")
	}
	if _, ok := tbl.Lookup(ip4("::ffff:10.0.0.1")); ok {
		t.Error("Lookup(IPv4-mapped IPv6) found an IPv4 route")
	}
}

func TestRouteAddErrors(t *testing.T) {
	eth0 := testDev(t, "eth0")
	var tbl Table
	if err := tbl.Add(Route{Prefix: pfx("10.1.2.77/24"), Dev: eth0}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		r       Route
		wantErr error // nil: any error
	}{
		{"duplicate", Route{Prefix: pfx("10.1.2.0/24"), Dev: eth0}, ErrRouteExists},
		{"duplicate unmasked", Route{Prefix: pfx("10.1.2.1/24"), Gateway: ip4("10.1.2.254"), Dev: eth0}, ErrRouteExists},
		{"IPv6", Route{Prefix: pfx("2001:db8::/32"), Dev: eth0}, nil},
		{"invalid prefix", Route{Dev: eth0}, nil},
		{"no device", Route{Prefix: pfx("10.9.0.0/16")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tbl.Add(tt.r)
			if err == nil {
				t.Fatal("Add succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Add error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if n := tbl.Len(); n != 1 {
		t.Errorf("Len() = %d after failed Adds, want 1", n)
	}
	if got := tbl.List()[0].Prefix; got != pfx("10.1.2.0/24") {
		t.Errorf("stored prefix %v, want it masked to 10.1.2.0/24", got)
	}
}

func TestRouteDelete(t *testing.T) {
	eth0 := testDev(t, "eth0")
	var tbl Table
	tbl.Add(Route{Prefix: pfx("0.0.0.0/0"), Gateway: ip4("10.0.0.254"), Dev: eth0})
	tbl.Add(Route{Prefix: pfx("10.0.0.0/24"), Dev: eth0})
	tbl.Add(Route{Prefix: pfx("10.0.0.5/32"), Dev: eth0})

	if err := tbl.Delete(pfx("10.0.0.5/32")); err != nil {
		t.Fatal(err)
	}
	if r, _ := tbl.Lookup(ip4("10.0.0.5")); r.Prefix != pfx("10.0.0.0/24") {
		t.Errorf("after deleting the /32, Lookup = %v, want 10.0.0.0/24", r.Prefix)
	}
	if err := tbl.Delete(pfx("10.0.0.5/32")); err == nil {
		t.Error("deleting a missing route succeeded")
	}
	if err := tbl.Delete(pfx("10.0.0.77/24")); err != nil { // unmasked
		t.Errorf("Delete(10.0.0.77/24) = %v, want it to delete 10.0.0.0/24", err)
	}
	if err := tbl.Delete(netip.Prefix{}); err == nil {
		t.Error("Delete(zero Prefix) succeeded")
	}
	if r, _ := tbl.Lookup(ip4("10.0.0.5")); r.Prefix != pfx("0.0.0.0/0") {
		t.Errorf("Lookup = %v, want the default route", r.Prefix)
	}
	tbl.Delete(pfx("0.0.0.0/0"))
	if tbl.Len() != 0 || tbl.present.Load() != 0 {
		t.Errorf("empty table: Len %d present %#x, want 0 0", tbl.Len(), tbl.present.Load())
	}
	// Re-adding after a delete works.
	if err := tbl.Add(Route{Prefix: pfx("10.0.0.5/32"), Dev: eth0}); err != nil {
		t.Errorf("re-Add after Delete: %v", err)
	}
}

func TestRouteDeleteFunc(t *testing.T) {
	eth0, eth1 := testDev(t, "eth0"), testDev(t, "eth1")
	var tbl Table
	for i := range 10 {
		dev := eth0
		if i%2 == 1 {
			dev = eth1
		}
		tbl.Add(Route{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), 0, 0}), 16+i), Dev: dev, Connected: i < 4})
	}
	tbl.DeleteFunc(func(r Route) bool { return r.Dev == eth1 && r.Connected })
	if n := tbl.Len(); n != 8 {
		t.Errorf("Len() = %d after removing eth1's 2 connected routes, want 8", n)
	}
	tbl.DeleteFunc(func(r Route) bool { return r.Dev == eth0 })
	if n := tbl.Len(); n != 3 {
		t.Errorf("Len() = %d after removing eth0's routes, want 3", n)
	}
	for _, r := range tbl.List() {
		if r.Dev != eth1 || r.Connected {
			t.Errorf("left %v dev %v connected %v, want only eth1's unconnected routes", r.Prefix, r.Dev, r.Connected)
		}
	}
	tbl.DeleteFunc(func(Route) bool { return true })
	if tbl.Len() != 0 || tbl.present.Load() != 0 {
		t.Errorf("Len %d present %#x after removing all, want 0 0", tbl.Len(), tbl.present.Load())
	}
	if _, ok := tbl.Lookup(ip4("10.5.0.1")); ok {
		t.Error("Lookup found a route in an emptied table")
	}
}

func TestRouteListOrder(t *testing.T) {
	eth0 := testDev(t, "eth0")
	var tbl Table
	for _, p := range []string{"0.0.0.0/0", "10.0.0.0/8", "192.168.1.0/24", "10.1.2.3/32", "10.1.0.0/24", "172.16.0.0/12", "10.1.2.2/32"} {
		tbl.Add(Route{Prefix: pfx(p), Dev: eth0})
	}
	want := []string{"10.1.2.2/32", "10.1.2.3/32", "10.1.0.0/24", "192.168.1.0/24", "172.16.0.0/12", "10.0.0.0/8", "0.0.0.0/0"}
	var got []string
	for _, r := range tbl.List() {
		got = append(got, r.Prefix.String())
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("List() order (-want +got):\n-%v\n+%v", want, got)
	}
}

func TestRouteFlags(t *testing.T) {
	tests := []struct {
		r    Route
		want string
	}{
		{Route{Prefix: pfx("10.0.0.0/24")}, "U"},
		{Route{Prefix: pfx("0.0.0.0/0"), Gateway: ip4("10.0.0.1")}, "UG"},
		{Route{Prefix: pfx("10.0.0.9/32")}, "UH"},
		{Route{Prefix: pfx("10.0.0.9/32"), Gateway: ip4("10.0.0.1")}, "UGH"},
	}
	for _, tt := range tests {
		if got := tt.r.Flags(); got != tt.want {
			t.Errorf("%v via %v: Flags() = %q, want %q", tt.r.Prefix, tt.r.Gateway, got, tt.want)
		}
	}
}

func TestRouteMaxRoutes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills the table with MaxRoutes routes")
	}
	eth0 := testDev(t, "eth0")
	var tbl Table
	for i := range MaxRoutes {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if err := tbl.Add(Route{Prefix: netip.PrefixFrom(a, 32), Dev: eth0}); err != nil {
			t.Fatalf("route %d: %v", i, err)
		}
	}
	err := tbl.Add(Route{Prefix: pfx("0.0.0.0/0"), Dev: eth0})
	if !errors.Is(err, ErrTableFull) {
		t.Fatalf("Add beyond MaxRoutes = %v, want ErrTableFull", err)
	}
	tbl.Delete(pfx("10.0.0.0/32"))
	if err := tbl.Add(Route{Prefix: pfx("0.0.0.0/0"), Dev: eth0}); err != nil {
		t.Errorf("Add after freeing a slot: %v", err)
	}
}

func TestRouteLookupNoAllocs(t *testing.T) {
	var tbl Table
	eth0 := testDev(t, "eth0")
	for _, p := range []string{"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32"} {
		tbl.Add(Route{Prefix: pfx(p), Dev: eth0})
	}
	dst := ip4("10.1.2.4")
	if n := testing.AllocsPerRun(1000, func() { tbl.Lookup(dst) }); n != 0 {
		t.Errorf("Lookup allocates %v times, want 0", n)
	}
}

// TestRouteConcurrent looks up while routes come and go, for -race.
func TestRouteConcurrent(t *testing.T) {
	eth0 := testDev(t, "eth0")
	var tbl Table
	tbl.Add(Route{Prefix: pfx("0.0.0.0/0"), Dev: eth0})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, ok := tbl.Lookup(ip4("10.0.3.3")); !ok {
					t.Error("lost the default route")
					return
				}
				tbl.List()
			}
		}()
	}
	for i := range 500 {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i), 0}), 24)
		tbl.Add(Route{Prefix: p, Dev: eth0})
		if i%2 == 0 {
			tbl.Delete(p)
		}
	}
	tbl.DeleteFunc(func(r Route) bool { return r.Prefix.Bits() == 24 })
	close(stop)
	wg.Wait()
	if n := tbl.Len(); n != 1 {
		t.Errorf("Len() = %d, want 1", n)
	}
}

// TestRouteLookupDuringChurn: Lookup takes no lock, so check what it
// promises while a writer adds and deletes thousands of routes (the table
// growing and shrinking under the readers): a route that is never deleted
// is always found, the route found always contains the destination, and it
// is never less specific than a route that stays.
func TestRouteLookupDuringChurn(t *testing.T) {
	eth0, eth1 := testDev(t, "eth0"), testDev(t, "eth1")
	var tbl Table
	stay := []Route{
		{Prefix: pfx("0.0.0.0/0"), Dev: eth0},
		{Prefix: pfx("10.0.0.0/8"), Dev: eth0},
		{Prefix: pfx("10.1.0.0/16"), Dev: eth1},
		{Prefix: pfx("10.1.2.3/32"), Dev: eth1},
	}
	for _, r := range stay {
		if err := tbl.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				dst := netip.AddrFrom4([4]byte{10, byte(rng.IntN(3)), byte(rng.IntN(8)), byte(rng.IntN(8))})
				r, ok := tbl.Lookup(dst)
				minBits := 8
				switch {
				case dst == ip4("10.1.2.3"):
					minBits = 32
				case pfx("10.1.0.0/16").Contains(dst):
					minBits = 16
				}
				if !ok || !r.Prefix.Contains(dst) || r.Prefix.Bits() < minBits {
					t.Errorf("Lookup(%v) = %v, %v; want a route of /%d or longer containing it", dst, r.Prefix, ok, minBits)
					return
				}
			}
		})
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 10 {
		var added []netip.Prefix
		for range 3000 {
			a := netip.AddrFrom4([4]byte{10, byte(rng.IntN(3)), byte(rng.IntN(8)), byte(rng.IntN(8))})
			p := netip.PrefixFrom(a, 17+rng.IntN(15)).Masked()
			if tbl.Add(Route{Prefix: p, Dev: eth0}) == nil {
				added = append(added, p)
			}
		}
		for _, p := range added {
			tbl.Delete(p)
		}
	}
	close(stop)
	wg.Wait()
	if n := tbl.Len(); n != len(stay) {
		t.Errorf("Len() = %d, want %d", n, len(stay))
	}
}

// randomTable fills a table with n random prefixes of lengths 8 to 32 plus
// a default route, and returns addresses to look up (half inside a route,
// half random).
func randomTable(b *testing.B, n int) (*Table, []netip.Addr) {
	rng := rand.New(rand.NewPCG(uint64(n), 99))
	eth0 := testDev(b, "eth0")
	tbl := &Table{}
	tbl.Add(Route{Prefix: pfx("0.0.0.0/0"), Dev: eth0})
	var addrs []netip.Addr
	for tbl.Len() < n+1 {
		var a [4]byte
		for i := range a {
			a[i] = byte(rng.Uint32())
		}
		p := netip.PrefixFrom(netip.AddrFrom4(a), 8+rng.IntN(25))
		if tbl.Add(Route{Prefix: p, Dev: eth0}) == nil && len(addrs) < 1024 {
			addrs = append(addrs, netip.AddrFrom4(a))
		}
	}
	for len(addrs) < 2048 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())}))
	}
	rng.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	return tbl, addrs
}

func BenchmarkRouteLookup(b *testing.B) {
	for _, n := range []int{10, 1000, 100000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			tbl, addrs := randomTable(b, n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, ok := tbl.Lookup(addrs[i%len(addrs)]); !ok {
					b.Fatal("no route despite a default")
				}
				i++
			}
		})
	}
}

func BenchmarkRouteLookupParallel(b *testing.B) {
	tbl, addrs := randomTable(b, 1000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok := tbl.Lookup(addrs[i%len(addrs)]); !ok {
				b.Error("no route despite a default")
				return
			}
			i++
		}
	})
}

// BenchmarkRouteAdd100k times filling a table with 100k random /8–/32
// routes added one at a time (one op is the whole table).
func BenchmarkRouteAdd100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(100000, 99))
	eth0 := testDev(b, "eth0")
	routes := make([]Route, 0, 100000)
	seen := map[netip.Prefix]bool{}
	for len(routes) < cap(routes) {
		a := netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
		p := netip.PrefixFrom(a, 8+rng.IntN(25)).Masked()
		if !seen[p] {
			seen[p] = true
			routes = append(routes, Route{Prefix: p, Dev: eth0})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		var tbl Table
		for _, r := range routes {
			if err := tbl.Add(r); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// CheckRoute refuses what "ip route add" refuses, in Linux's words: a
// prefix with bits set past its length, and a gateway that is not on the
// device's connected subnet (or is its broadcast address).
func TestCheckRoute(t *testing.T) {
	eth0 := testDev(t, "eth0")
	eth0.SetAddr(pfx("10.0.0.1/24"))
	bare := testDev(t, "eth1") // no address
	cases := []struct {
		name    string
		r       Route
		want    string
		wantErr error
	}{
		{"connected", Route{Prefix: pfx("10.9.0.0/16"), Dev: eth0}, "", nil},
		{"via a neighbour", Route{Prefix: pfx("0.0.0.0/0"), Gateway: ip4("10.0.0.254"), Dev: eth0}, "", nil},
		{"via the network address, as Linux allows", Route{Prefix: pfx("10.9.0.0/16"), Gateway: ip4("10.0.0.0"), Dev: eth0}, "", nil},
		{"host bits", Route{Prefix: pfx("10.9.0.5/16"), Dev: eth0},
			"10.9.0.5/16: Invalid prefix for given prefix length (give 10.9.0.0/16)", ErrHostBits},
		{"host bits of a default", Route{Prefix: pfx("10.0.0.1/0"), Gateway: ip4("10.0.0.254"), Dev: eth0},
			"10.0.0.1/0: Invalid prefix for given prefix length (give 0.0.0.0/0)", ErrHostBits},
		{"gateway off the subnet", Route{Prefix: pfx("10.9.0.0/16"), Gateway: ip4("10.7.7.7"), Dev: eth0},
			"via 10.7.7.7: Nexthop has invalid gateway (not on eth0's subnet 10.0.0.0/24: a gateway must be on a connected subnet)", ErrInvalidGateway},
		{"gateway the broadcast", Route{Prefix: pfx("10.9.0.0/16"), Gateway: ip4("10.0.0.255"), Dev: eth0},
			"via 10.0.0.255: Nexthop has invalid gateway (that is eth0's broadcast address)", ErrInvalidGateway},
		{"device with no address", Route{Prefix: pfx("10.9.0.0/16"), Gateway: ip4("10.0.0.254"), Dev: bare},
			"via 10.0.0.254: Nexthop has invalid gateway (eth1 has no address: give it one first)", ErrInvalidGateway},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckRoute(c.r)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("CheckRoute(%v via %v) (-want +got):\n-%s\n+%s", c.r.Prefix, c.r.Gateway, c.want, got)
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("CheckRoute error %v does not wrap %v", err, c.wantErr)
			}
		})
	}
}
