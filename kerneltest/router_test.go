//go:build linux

package kerneltest

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/tap"
	"github.com/gotapip/gotapip/stack"
)

// addTapInNetns opens a TAP inside a fresh namespace, gives the kernel side
// kernel, routes the namespace's default via our stackAddr, and adds the
// device to s. It returns the namespace.
func addTapInNetns(t *testing.T, s *stack.Stack, name string, stackAddr, kernel netip.Prefix) string {
	t.Helper()
	ns := nstest.NewNetns(t, "gtprt")
	nstest.Run(t, ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1")
	var drv *tap.TAP
	var err error
	nstest.Do(t, ns, func() { drv, err = tap.Open(name, tap.Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	nstest.Run(t, ns, "ip", "addr", "add", kernel.String(), "dev", name)
	nstest.Run(t, ns, "ip", "link", "set", name, "up")
	nstest.Run(t, ns, "ip", "route", "add", "default", "via", stackAddr.Addr().String())
	if _, err := s.AddDevice(drv, netdev.Config{Name: name, MAC: stack.MACFor(stackAddr.Addr())}, stackAddr); err != nil {
		drv.Close()
		t.Fatal(err)
	}
	return ns
}

// Our stack as a router between two kernel hosts: each pings the other
// through it; ping -t 1 hears "Time to live exceeded" from us.
func TestStackRoutesBetweenKernels(t *testing.T) {
	nstest.RequireRoot(t)
	s := stack.New(stack.Config{})
	t.Cleanup(s.Close)
	left := addTapInNetns(t, s, "gtleft", netip.MustParsePrefix("10.0.1.1/24"), netip.MustParsePrefix("10.0.1.2/24"))
	right := addTapInNetns(t, s, "gtright", netip.MustParsePrefix("10.0.2.1/24"), netip.MustParsePrefix("10.0.2.2/24"))

	if _, err := nstest.Exec(left, "ping", "-c", "1", "-W", "1", "10.0.2.2"); err == nil {
		t.Errorf("ping through the stack succeeded with forwarding off")
	}
	s.IP.Forwarding.Store(true)
	out := nstest.Run(t, left, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.2.2")
	if got := ipingReceived(t, out); !strings.HasPrefix(got, "3 packets transmitted, 3 received") || !strings.Contains(out, "ttl=63") {
		t.Errorf("left -> right through the stack:\n%s", out)
	}
	out = nstest.Run(t, right, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.0.1.2")
	if got := ipingReceived(t, out); !strings.HasPrefix(got, "2 packets transmitted, 2 received") {
		t.Errorf("right -> left through the stack:\n%s", out)
	}
	out, _ = nstest.Exec(left, "ping", "-c", "1", "-t", "1", "-W", "2", "10.0.2.2")
	if !strings.Contains(out, "From 10.0.1.1 icmp_seq=1 Time to live exceeded") {
		t.Errorf("ping -t 1 through the stack:\n%s", out)
	}
	out, _ = nstest.Exec(left, "ping", "-c", "1", "-W", "2", "10.0.3.2")
	if !strings.Contains(out, "From 10.0.1.1 icmp_seq=1 Destination Net Unreachable") {
		t.Errorf("ping to a net the stack has no route for:\n%s", out)
	}
}
