package dhcp_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/dhcp"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/sim"
)

var noProbe = dhcp.Config{ProbeNum: -1}

// hasRoute says whether the client has the route prefix via gw on veth0
// (gw "": on the link).
func hasRoute(l *lab, prefix, gw string) bool {
	var want netip.Addr
	if gw != "" {
		want = netip.MustParseAddr(gw)
	}
	return slices.ContainsFunc(l.client.IP.Routes.List(), func(r ip.Route) bool {
		return r.Prefix == netip.MustParsePrefix(prefix) && r.Gateway == want && r.Dev == l.dev
	})
}

// TestAcquireAndRenew: the exchange prints dhclient's lines, the lease is
// applied, and at T1 the client renews by unicast without the test
// sleeping.
func TestAcquireAndRenew(t *testing.T) {
	l := newLab(t, noProbe)
	l.simServer(sim.DHCPConfig{Lease: 100 * time.Second, Routers: []netip.Addr{serverAddr.Addr()}, DNS: []netip.Addr{netip.MustParseAddr("10.0.0.53")}})
	done := l.start()
	got := l.waitLine("bound to")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) > 0 && !strings.HasPrefix(got[0], "DHCPDISCOVER on veth0 to 255.255.255.255 port 67 interval ") {
		t.Errorf("first line %q", got[0])
	}
	got = got[1:]
	want := []string{
		"DHCPOFFER of 10.0.0.50 from 10.0.0.254",
		"DHCPREQUEST for 10.0.0.50 on veth0 to 255.255.255.255 port 67",
		"DHCPACK of 10.0.0.50 from 10.0.0.254",
		"bound to 10.0.0.50 -- renewal in 50 seconds.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("lines (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
	if a := l.dev.Addr(); a != netip.MustParsePrefix("10.0.0.50/24") {
		t.Errorf("veth0 has %v, want 10.0.0.50/24", a)
	}
	if !hasRoute(l, "0.0.0.0/0", "10.0.0.254") || !hasRoute(l, "10.0.0.0/24", "") {
		t.Errorf("routes %v: want the subnet and a default via 10.0.0.254", l.client.IP.Routes.List())
	}
	if ns := l.client.DNSServers(); !slices.Equal(ns, []netip.Addr{netip.MustParseAddr("10.0.0.53")}) {
		t.Errorf("nameservers %v, want [10.0.0.53]", ns)
	}
	start := l.fc.Now()
	l.advance(50 * time.Second)
	got = l.waitLine("bound to")
	want = []string{
		"DHCPREQUEST for 10.0.0.50 on veth0 to 10.0.0.254 port 67",
		"DHCPACK of 10.0.0.50 from 10.0.0.254",
		"bound to 10.0.0.50 -- renewal in 50 seconds.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("renewal lines (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
	leases := l.m.Leases()
	if len(leases) != 1 || leases[0].State != "BOUND" || !leases[0].Start.Equal(start.Add(50*time.Second)) {
		t.Errorf("leases %+v: want one BOUND, renewed at T1", leases)
	}
}

// TestRebindThenExpire: an unanswered renewal moves to a broadcast at T2;
// an answered rebind binds again; unanswered to the end, the address,
// routes and DNS servers go and the client starts over.
func TestRebindThenExpire(t *testing.T) {
	l := newLab(t, noProbe)
	h := l.handServer()
	done := l.start()
	h.reply(h.recv(dhcp.Discover), dhcp.Offer, "10.0.0.50", 100*time.Second, nil)
	h.reply(h.recv(dhcp.Request), dhcp.Ack, "10.0.0.50", 100*time.Second, func(b *dhcp.Builder) {
		b.AddAddrs(dhcp.OptDNS, netip.MustParseAddr("10.0.0.53"))
	})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l.waitLine("bound to")
	l.advance(50 * time.Second) // T1
	if m := h.recv(dhcp.Request); m.ClientIP() != netip.MustParseAddr("10.0.0.50") {
		t.Errorf("renewal ciaddr %v, want 10.0.0.50", m.ClientIP())
	}
	l.waitLine("to 10.0.0.254 port 67")
	l.advance(37500 * time.Millisecond) // T2 = 87.5 s
	l.waitLine("DHCPREQUEST for 10.0.0.50 on veth0 to 255.255.255.255 port 67")
	h.reply(h.recv(dhcp.Request), dhcp.Ack, "10.0.0.50", 100*time.Second, nil)
	l.waitLine("bound to 10.0.0.50")

	l.advance(50 * time.Second)
	l.waitLine("to 10.0.0.254 port 67")
	l.advance(37500 * time.Millisecond)
	l.waitLine("to 255.255.255.255 port 67")
	l.advance(12500 * time.Millisecond) // the lease ends
	l.waitLine("lease of 10.0.0.50 on veth0 expired")
	l.waitLine("DHCPDISCOVER on veth0")
	if a := l.dev.Addr(); a.IsValid() {
		t.Errorf("veth0 still has %v after the lease expired", a)
	}
	if hasRoute(l, "0.0.0.0/0", "10.0.0.254") || len(l.client.DNSServers()) != 0 {
		t.Errorf("routes %v, nameservers %v left after expiry", l.client.IP.Routes.List(), l.client.DNSServers())
	}
}

// TestNakRestarts: a NAK sends the client back to DISCOVER with a new
// transaction, and the NAK's message is shown.
func TestNakRestarts(t *testing.T) {
	l := newLab(t, noProbe)
	h := l.handServer()
	done := l.start()
	first := h.recv(dhcp.Discover)
	h.reply(first, dhcp.Offer, "10.0.0.50", time.Hour, nil)
	h.reply(h.recv(dhcp.Request), dhcp.Nak, "", 0, func(b *dhcp.Builder) { b.Add(dhcp.OptMessage, []byte("wrong network")) })
	l.waitLine("DHCPNAK from 10.0.0.254 (wrong network)")
	second := h.recv(dhcp.Discover)
	if second.XID() == first.XID() {
		t.Errorf("the DISCOVER after a NAK kept xid 0x%08x", first.XID())
	}
	h.reply(second, dhcp.Offer, "10.0.0.51", time.Hour, nil)
	h.reply(h.recv(dhcp.Request), dhcp.Ack, "10.0.0.51", time.Hour, nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := l.m.Stats.InNaks.Load(); got != 1 {
		t.Errorf("InNaks %d, want 1", got)
	}
}

// TestNoServer: four DISCOVERs with RFC 2131's backoff, then a clear
// error; the whole wait is bounded.
func TestNoServer(t *testing.T) {
	l := newLab(t, noProbe)
	begin := l.fc.Now()
	done := l.start()
	got := l.driveTo("No DHCPOFFERS received.")
	err := <-done
	if !errors.Is(err, dhcp.ErrNoOffers) || !strings.Contains(err.Error(), "veth0") {
		t.Fatalf("Start: %v, want ErrNoOffers naming veth0", err)
	}
	if n := l.m.Stats.OutDiscovers.Load(); n != 4 {
		t.Errorf("%d DISCOVERs, want 4", n)
	}
	var intervals []int
	for _, line := range got {
		if i := strings.LastIndex(line, "interval "); i >= 0 {
			n, err := strconv.Atoi(line[i+len("interval "):])
			if err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			intervals = append(intervals, n)
		}
	}
	base := []int{4, 8, 16, 32} // RFC 2131 4.1, each +-1 s
	if len(intervals) != len(base) {
		t.Fatalf("intervals %v, want %d of them", intervals, len(base))
	}
	for i, n := range intervals {
		if n < base[i]-1 || n > base[i]+1 {
			t.Errorf("interval %d is %d s, want %d +-1", i+1, n, base[i])
		}
	}
	if took := l.fc.Now().Sub(begin); took > 70*time.Second || took < 55*time.Second {
		t.Errorf("gave up after %v of clock, want about 60 s (4+8+16+32, +-4)", took)
	}
	if len(l.m.Leases()) != 0 || l.dev.Addr().IsValid() {
		t.Errorf("after failing: leases %v, address %v", l.m.Leases(), l.dev.Addr())
	}
}

// TestRelease: dhclient -r sends a DHCPRELEASE the server acts on and
// takes the address, routes and DNS servers away.
func TestRelease(t *testing.T) {
	l := newLab(t, noProbe)
	srv := l.simServer(sim.DHCPConfig{Routers: []netip.Addr{serverAddr.Addr()}, DNS: []netip.Addr{serverAddr.Addr()}})
	if err := <-l.start(); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Bound(clientMAC); !ok {
		t.Fatal("the server has no binding for the client")
	}
	var lines []string
	if err := l.m.Release(l.dev, func(s string) { lines = append(lines, s) }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"DHCPRELEASE of 10.0.0.50 on veth0 to 10.0.0.254 port 67"}; !slices.Equal(lines, want) {
		t.Errorf("lines %q, want %q", lines, want)
	}
	waitFor(t, "the server to free the address", func() bool { _, ok := srv.Bound(clientMAC); return !ok })
	if l.dev.Addr().IsValid() || hasRoute(l, "0.0.0.0/0", "10.0.0.254") || len(l.client.DNSServers()) != 0 {
		t.Errorf("after release: address %v, routes %v, nameservers %v", l.dev.Addr(), l.client.IP.Routes.List(), l.client.DNSServers())
	}
	if err := l.m.Release(l.dev, nil); err == nil || !strings.Contains(err.Error(), "no DHCP client") {
		t.Errorf("a second release: %v, want an error saying no client runs", err)
	}
}

// TestClasslessRoutesPreferred: with option 121 the router option is
// ignored (RFC 3442); an on-link route (router 0.0.0.0) has no gateway.
func TestClasslessRoutesPreferred(t *testing.T) {
	l := newLab(t, noProbe)
	l.simServer(sim.DHCPConfig{Routers: []netip.Addr{serverAddr.Addr()}, Routes: []dhcp.Route{
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("10.0.0.253")},
		{Dst: netip.MustParsePrefix("10.9.0.0/16"), Gateway: serverAddr.Addr()},
		{Dst: netip.MustParsePrefix("192.168.7.0/24"), Gateway: netip.IPv4Unspecified()},
	}})
	if err := <-l.start(); err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]string{{"0.0.0.0/0", "10.0.0.253"}, {"10.9.0.0/16", "10.0.0.254"}, {"192.168.7.0/24", ""}} {
		if !hasRoute(l, r[0], r[1]) {
			t.Errorf("no route %s via %q in %v", r[0], r[1], l.client.IP.Routes.List())
		}
	}
	if hasRoute(l, "0.0.0.0/0", "10.0.0.254") {
		t.Error("the router option was used beside option 121")
	}
}

// TestDeviceRemoved: a client whose device goes stops and lists no lease.
func TestDeviceRemoved(t *testing.T) {
	l := newLab(t, noProbe)
	l.simServer(sim.DHCPConfig{})
	if err := <-l.start(); err != nil {
		t.Fatal(err)
	}
	if n := len(l.m.Leases()); n != 1 {
		t.Fatalf("%d leases, want 1", n)
	}
	l.client.RemoveDevice(l.dev)
	if leases := l.m.Leases(); len(leases) != 0 {
		t.Errorf("leases %+v after the device went, want none", leases)
	}
	if _, err := l.m.Start(context.Background(), l.dev, nil); err == nil {
		t.Error("Start on a removed device succeeded")
	}
}
