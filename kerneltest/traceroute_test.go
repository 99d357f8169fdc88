//go:build linux

package kerneltest

import (
	"net/netip"
	"regexp"
	"testing"

	"github.com/gotapip/gotapip/internal/nstest"
)

// traceroute through a two-router namespace chain lists both hops and the
// target:
//
//	stack 10.0.0.1 =TAP= 10.0.0.2 [ns A, router R1] 10.0.1.1 -veth- 10.0.1.2
//	[ns R2, router] 10.0.2.1 -veth- 10.0.2.2 [ns T, target]
//
// Both routers are the kernel's; R1 is the kernel side of our TAP.
func TestTracerouteThroughTwoKernelRouters(t *testing.T) {
	h := newTapHost(t) // ns A
	r2 := nstest.NewNetns(t, "gtpr2")
	tgt := nstest.NewNetns(t, "gtpt")
	for _, ns := range []string{r2, tgt} {
		nstest.Run(t, ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1")
	}
	// The kernel rate-limits ICMP errors per destination; every probe
	// must get its answer.
	for _, ns := range []string{h.ns, r2, tgt} {
		nstest.Run(t, ns, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0")
	}
	for _, ns := range []string{h.ns, r2} {
		nstest.Run(t, ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	}
	nstest.Run(t, h.ns, "ip", "link", "add", "gtva", "type", "veth", "peer", "name", "gtvr2a", "netns", r2)
	nstest.Run(t, r2, "ip", "link", "add", "gtvr2t", "type", "veth", "peer", "name", "gtvt", "netns", tgt)
	for _, a := range []struct{ ns, ifc, addr string }{
		{h.ns, "gtva", "10.0.1.1/24"},
		{r2, "gtvr2a", "10.0.1.2/24"},
		{r2, "gtvr2t", "10.0.2.1/24"},
		{tgt, "gtvt", "10.0.2.2/24"},
	} {
		nstest.Run(t, a.ns, "ip", "addr", "add", a.addr, "dev", a.ifc)
		nstest.Run(t, a.ns, "ip", "link", "set", a.ifc, "up")
	}
	nstest.Run(t, h.ns, "ip", "route", "add", "10.0.2.0/24", "via", "10.0.1.2")
	nstest.Run(t, r2, "ip", "route", "add", "10.0.0.0/24", "via", "10.0.1.1")
	nstest.Run(t, tgt, "ip", "route", "add", "default", "via", "10.0.2.1")
	if err := h.stack.AddDefaultRoute(h.dev, netip.MustParseAddr("10.0.0.2")); err != nil {
		t.Fatal(err)
	}
	// The chain works for the kernel before we trace it.
	nstest.Run(t, tgt, "ping", "-c", "1", "-W", "2", "10.0.0.2")

	out, err := shellRun(h, "traceroute -w 1 10.0.2.2")
	if err != nil {
		t.Fatalf("traceroute: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	rtt := `  [0-9]+\.[0-9]{3} ms`
	want := `^traceroute to 10\.0\.2\.2 \(10\.0\.2\.2\), 30 hops max, 60 byte packets\n` +
		` 1  10\.0\.0\.2` + rtt + rtt + rtt + `\n` +
		` 2  10\.0\.1\.2` + rtt + rtt + rtt + `\n` +
		` 3  10\.0\.2\.2` + rtt + rtt + rtt + `\n$`
	if !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("traceroute through R1 (10.0.0.2) and R2 (10.0.1.2) to 10.0.2.2 printed:\n%s\nwant it to match %s", out, want)
	}
}
