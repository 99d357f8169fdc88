package stack_test

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

// routerLab is A (10.0.1.2) - R (10.0.1.1 | 10.0.2.1) - B (10.0.2.2), each
// link a pipe. A and B route everything else via R.
type routerLab struct{ a, r, b *stack.Stack }

func newRouterLab(t *testing.T) routerLab {
	t.Helper()
	l := routerLab{stack.New(stack.Config{}), stack.New(stack.Config{}), stack.New(stack.Config{})}
	t.Cleanup(func() { l.a.Close(); l.r.Close(); l.b.Close() })
	link := func(s1 *stack.Stack, a1 string, s2 *stack.Stack, a2 string, seed uint64) {
		e1, e2 := pipe.New(seed)
		for _, side := range []struct {
			s    *stack.Stack
			e    *pipe.End
			addr string
		}{{s1, e1, a1}, {s2, e2, a2}} {
			p := netip.MustParsePrefix(side.addr)
			name := "veth" + string(rune('0'+len(side.s.Devices())-1))
			if _, err := side.s.AddDevice(side.e, netdev.Config{Name: name, MAC: stack.MACFor(p.Addr())}, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	link(l.a, "10.0.1.2/24", l.r, "10.0.1.1/24", 1)
	link(l.r, "10.0.2.1/24", l.b, "10.0.2.2/24", 2)
	for _, h := range []struct {
		s  *stack.Stack
		gw string
	}{{l.a, "10.0.1.1"}, {l.b, "10.0.2.1"}} {
		dev, _ := h.s.Device("veth0")
		if err := h.s.AddDefaultRoute(dev, netip.MustParseAddr(h.gw)); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func shellPing(t *testing.T, s *stack.Stack, args string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := shell.New(s, &out, &errOut).Execute(context.Background(), "ping "+args)
	return out.String() + errOut.String(), err
}

func TestForwardingThroughRouter(t *testing.T) {
	l := newRouterLab(t)
	out, err := shellPing(t, l.a, "-c 2 -i 0.05 -W 1 10.0.2.2")
	if err == nil {
		t.Fatalf("ping through R with forwarding off succeeded:\n%s", out)
	}
	// ping gave up on its clock, not R's: wait for R to drop the requests.
	waitFor(t, "R to drop the requests as not for it (InAddrErrors)", func() bool { return l.r.IP.Stats.InAddrErrors.Load() > 0 })

	l.r.IP.Forwarding.Store(true)
	out, err = shellPing(t, l.a, "-c 3 -i 0.05 -W 1 10.0.2.2")
	if err != nil || !strings.Contains(out, "3 packets transmitted, 3 received") {
		t.Fatalf("ping through R: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ttl=63") {
		t.Errorf("replies crossed one router, want ttl=63:\n%s", out)
	}
	if n := l.r.IP.Stats.ForwDatagrams.Load(); n < 6 {
		t.Errorf("R forwarded %d datagrams, want at least 6", n)
	}
}

func TestRouterSendsTimeExceededAndNetUnreachable(t *testing.T) {
	l := newRouterLab(t)
	l.r.IP.Forwarding.Store(true)
	out, err := shellPing(t, l.a, "-c 1 -t 1 -W 1 10.0.2.2")
	if err == nil || !strings.Contains(out, "From 10.0.1.1 icmp_seq=1 Time to live exceeded") {
		t.Errorf("ping -t 1 through R: %v\n%s", err, out)
	}
	if !strings.Contains(out, "1 packets transmitted, 0 received, +1 errors, 100% packet loss") {
		t.Errorf("statistics do not count the error:\n%s", out)
	}
	out, _ = shellPing(t, l.a, "-c 1 -W 1 192.168.9.9")
	if !strings.Contains(out, "From 10.0.1.1 icmp_seq=1 Destination Net Unreachable") {
		t.Errorf("ping to a net R has no route for:\n%s", out)
	}
}

// ARP for a neighbour that never answers gives up after its retries; the
// sender hears Destination Host Unreachable from its own address, as Linux.
func TestHostUnreachableAfterARPGivesUp(t *testing.T) {
	ea, eb := pipe.New(3)
	a := stack.New(stack.Config{ARP: arpFast()})
	b := stack.New(stack.Config{})
	t.Cleanup(func() { a.Close(); b.Close() })
	a.AddDevice(ea, netdev.Config{Name: "veth0", MAC: stack.MACFor(netip.MustParseAddr("10.0.0.1"))}, netip.MustParsePrefix("10.0.0.1/24"))
	b.AddDevice(eb, netdev.Config{Name: "veth0", MAC: stack.MACFor(netip.MustParseAddr("10.0.0.2"))}, netip.MustParsePrefix("10.0.0.2/24"))
	out, err := shellPing(t, a, "-c 1 -W 2 10.0.0.77")
	if err == nil || !strings.Contains(out, "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable") {
		t.Errorf("ping to a silent neighbour: %v\n%s", err, out)
	}
	if a.ARP.Stats.Failed.Load() != 1 {
		t.Errorf("ARP Failed = %d, want 1", a.ARP.Stats.Failed.Load())
	}
}

// A forwarded datagram with DF that does not fit the next link: the router
// drops it and says "fragmentation needed" with the next-hop MTU (RFC 1191);
// without DF it forwards it in fragments.
func TestRouterFragNeededAndFragments(t *testing.T) {
	l := newRouterLab(t)
	l.r.IP.Forwarding.Store(true)
	far, _ := l.r.Device("veth1")
	if err := far.SetMTU(1000); err != nil {
		t.Fatal(err)
	}
	out, err := shellPing(t, l.a, "-c 1 -W 1 -M do -s 1200 10.0.2.2")
	if err == nil || !strings.Contains(out, "From 10.0.1.1 icmp_seq=1 Frag needed and DF set") {
		t.Errorf("ping -M do past the next MTU: %v\n%s", err, out)
	}
	out, err = shellPing(t, l.a, "-c 1 -W 1 -s 1200 10.0.2.2")
	if err != nil || !strings.Contains(out, "1208 bytes from 10.0.2.2: icmp_seq=1 ttl=63") {
		t.Errorf("ping without DF past the next MTU: %v\n%s", err, out)
	}
	if n := l.r.IP.FragStats.FragCreates.Load(); n < 2 {
		t.Errorf("the router made %d fragments, want at least 2", n)
	}
}

// Loopback: 127/8 through lo, our own address without touching the wire,
// and the largest datagram.
func TestLoopbackPings(t *testing.T) {
	a, _, _ := twoHosts(t, 9)
	dev, _ := a.Device("veth0")
	before := dev.Stats.TxPackets.Load()
	for _, args := range []string{"-c 1 127.0.0.1", "-c 1 127.1.2.3", "-c 1 10.0.0.1", "-c 1 -s 65000 127.0.0.1", "-c 1 -s 65507 10.0.0.1"} {
		out, err := shellPing(t, a, args)
		if err != nil || !strings.Contains(out, "1 packets transmitted, 1 received") {
			t.Errorf("ping %s: %v\n%s", args, err, out)
		}
	}
	if got := dev.Stats.TxPackets.Load(); got != before {
		t.Errorf("pings to ourselves put %d frames on the wire", got-before)
	}
}
