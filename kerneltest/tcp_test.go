//go:build linux

package kerneltest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/tcp"
	"golang.org/x/net/nettest"
)

// kernelListen opens a kernel TCP listener in the test's namespace.
func kernelListen(t *testing.T, h *tapHost, addr string) net.Listener {
	t.Helper()
	return kernelListenIn(t, h.ns, addr)
}

// kernelListenIn opens a kernel TCP listener in namespace ns.
func kernelListenIn(t *testing.T, ns, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	nstest.Do(t, ns, func() { ln, err = net.Listen("tcp4", addr) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// kernelDial connects from the kernel in the test's namespace.
func kernelDial(t *testing.T, h *tapHost, addr string) (net.Conn, error) {
	t.Helper()
	var c net.Conn
	var err error
	nstest.Do(t, h.ns, func() { c, err = net.DialTimeout("tcp4", addr, 10*time.Second) })
	return c, err
}

// kernelDialStack listens on h's stack at port, connects from k's kernel
// (h itself on one link) to 10.0.0.1, and returns both ends, closed at
// cleanup.
func kernelDialStack(t *testing.T, h, k *tapHost, port string) (ours, theirs net.Conn) {
	t.Helper()
	ln, err := h.stack.Listen("tcp", ":"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	theirs, err = kernelDial(t, k, "10.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { theirs.Close() })
	if ours = <-accepted; ours == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { ours.Close() })
	return ours, theirs
}

// stackDialKernel connects our stack to a kernel listener and returns
// both ends.
func stackDialKernel(t *testing.T, h *tapHost, ln net.Listener) (ours, theirs net.Conn) {
	t.Helper()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ours, err := h.stack.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case theirs = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the kernel accepted nothing in 10 s")
	}
	if theirs == nil {
		t.Fatal("kernel accept failed")
	}
	return ours, theirs
}

func TestTCPNettestConnAgainstKernel(t *testing.T) {
	h := newTapHost(t)
	ln := kernelListen(t, h, "10.0.0.2:7100")
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		c1, c2 = stackDialKernel(t, h, ln)
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}

// lossyKernelPeer puts a kernel TCP peer one hop behind ns, the
// namespace of our TAP: a namespace of its own at 10.0.1.2/24 on a veth
// to ns (10.0.1.1/24), ns forwarding between the veth and the TAP and
// dropping pct% of the TCP segments it forwards, each way (nftables:
// numgen random). A drop there is a loss on the wire for both TCPs. A
// drop in the peer's own output or egress hook is not: the kernel's TCP
// sees the local send fail and sends again at once, so its data would
// never be lost. Our stack needs a route to 10.0.1.0/24 via 10.0.0.2.
func lossyKernelPeer(t *testing.T, ns string, pct int) string {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		nstest.Unavailable(t, "needs nft(8) (apt-get install nftables, or make deps)")
	}
	peer := nstest.NewNetns(t, "gtpeer")
	vethPair(t, ns, "gtr0", peer, "gtr1")
	nstest.Run(t, ns, "ip", "addr", "add", "10.0.1.1/24", "dev", "gtr0")
	nstest.Run(t, peer, "ip", "addr", "add", "10.0.1.2/24", "dev", "gtr1")
	nstest.Run(t, peer, "ip", "route", "add", "default", "via", "10.0.1.1")
	nstest.Run(t, ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	nstest.Run(t, ns, "nft", "add table inet loss; "+
		"add chain inet loss forwarded { type filter hook forward priority 0 ; } ; "+
		"add rule inet loss forwarded meta l4proto tcp numgen random mod 100 < "+itoa(pct)+" counter drop")
	return peer
}

// kernelDropped is how many TCP segments lossyKernelPeer's rule dropped.
func kernelDropped(t *testing.T, ns string) int {
	t.Helper()
	m := regexp.MustCompile(`counter packets (\d+)`).FindStringSubmatch(nstest.Run(t, ns, "nft", "list", "table", "inet", "loss"))
	if m == nil {
		t.Fatalf("no loss counter in nft's table")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func testKernelTransfers(t *testing.T, h *tapHost, lossPct, size int) {
	k, kaddr := h, "10.0.0.2" // the kernel's side: h.ns, or a peer behind it
	if lossPct > 0 {
		k, kaddr = &tapHost{ns: lossyKernelPeer(t, h.ns, lossPct), stack: h.stack}, "10.0.1.2"
		if err := h.stack.AddRoute(ip.Route{Prefix: netip.MustParsePrefix("10.0.1.0/24"), Gateway: netip.MustParseAddr("10.0.0.2"), Dev: h.dev}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("stack connects", func(t *testing.T) {
		ln := kernelListen(t, k, kaddr+":7200")
		ours, theirs := stackDialKernel(t, k, ln)
		defer ours.Close()
		defer theirs.Close()
		stacktest.Transfer(t, ours, theirs, size)
	})
	t.Run("kernel connects", func(t *testing.T) {
		ours, theirs := kernelDialStack(t, h, k, "7300")
		stacktest.Transfer(t, ours, theirs, size)
	})
	if lossPct > 0 {
		ours, theirs := h.stack.TCP.Stats.RetransSegs.Load(), kernelTCPCounter(t, k.ns, "RetransSegs")
		t.Logf("nftables dropped %d segments; we retransmitted %d, the kernel %d", kernelDropped(t, h.ns), ours, theirs)
		if ours == 0 || theirs == 0 {
			t.Errorf("%d%% loss both ways, and one side retransmitted nothing (ours %d, the kernel's %d)", lossPct, ours, theirs)
		}
	}
}

func TestTCPKernelTransfers(t *testing.T) { testKernelTransfers(t, newTapHost(t), 0, 8<<20) }

func TestTCPKernelTransfersWithLoss(t *testing.T) { testKernelTransfers(t, newTapHost(t), 3, 2<<20) }

func TestTCPConnectionRefusedBothWays(t *testing.T) {
	h := newTapHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := h.stack.DialContext(ctx, "tcp", "10.0.0.2:9")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("stack to a closed kernel port: %v, want connection refused", err)
	}
	_, err = kernelDial(t, h, "10.0.0.1:9")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("kernel to a closed stack port: %v, want connection refused", err)
	}
}

// ICMP errors reach the connecting socket through ip's error-handler
// registry: the kernel rejects SYNs with ICMP port or host unreachable
// (nftables reject), and the connect fails with the errno Linux gives.
func TestTCPConnectGetsICMPErrors(t *testing.T) {
	h := newTapHost(t)
	if _, err := exec.LookPath("nft"); err != nil {
		nstest.Unavailable(t, "needs nft(8) (apt-get install nftables, or make deps)")
	}
	nstest.Run(t, h.ns, "nft", "add table inet rej; "+
		"add chain inet rej in { type filter hook input priority 0 ; } ; "+
		"add rule inet rej in tcp dport 7501 reject with icmp type port-unreachable ; "+
		"add rule inet rej in tcp dport 7502 reject with icmp type host-unreachable")
	for _, tc := range []struct {
		port string
		want syscall.Errno
	}{{"7501", syscall.ECONNREFUSED}, {"7502", syscall.EHOSTUNREACH}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := h.stack.DialContext(ctx, "tcp", "10.0.0.2:"+tc.port)
		cancel()
		if !errors.Is(err, tc.want) {
			t.Errorf("connect to a port the kernel rejects with ICMP: %v, want %v", err, tc.want)
		}
	}
}

// Path MTU discovery (RFC 1191) through a kernel router whose far link
// has MTU 1000, to a server that still advertises MSS 1460 (advmss): our
// full-sized DF segments draw "fragmentation needed", the connection's
// MSS shrinks to fit, and the data arrives whole.
//
//	stack 10.0.0.1 =TAP= 10.0.0.2 [ns R, router] 10.0.1.1 (mtu 1000) -veth- 10.0.1.2 [ns S]
func TestTCPPathMTUDiscovery(t *testing.T) {
	h := newTapHost(t)
	far := nstest.NewNetns(t, "gtpmtu")
	vethPair(t, h.ns, "mtu0", far, "mtu1")
	nstest.Run(t, h.ns, "ip", "link", "set", "mtu0", "mtu", "1000")
	nstest.Run(t, h.ns, "ip", "addr", "add", "10.0.1.1/24", "dev", "mtu0")
	nstest.Run(t, far, "ip", "addr", "add", "10.0.1.2/24", "dev", "mtu1")
	nstest.Run(t, h.ns, "ip", "link", "set", "mtu0", "up")
	nstest.Run(t, far, "ip", "link", "set", "mtu1", "up")
	nstest.Run(t, far, "ip", "route", "add", "default", "via", "10.0.1.1", "mtu", "1000", "advmss", "1460")
	nstest.Run(t, h.ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	if err := h.stack.IP.Routes.Add(ip.Route{Prefix: netip.MustParsePrefix("10.0.1.0/24"), Gateway: kernelAddr.Addr(), Dev: h.dev}); err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	var err error
	nstest.Do(t, far, func() { ln, err = net.Listen("tcp4", "10.0.1.2:7600") })
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ours, theirs := stackDialKernel(t, h, ln)
	defer ours.Close()
	defer theirs.Close()
	if mss := ours.(*tcp.Conn).Info().MSS; mss != 1448 {
		t.Fatalf("MSS %d before any data, want 1448 (the server's 1460 less timestamps)", mss)
	}
	stacktest.Transfer(t, ours, theirs, 256<<10)
	if mss := ours.(*tcp.Conn).Info().MSS; mss != 1000-40-12 {
		t.Errorf("MSS %d after the router's fragmentation needed, want 948", mss)
	}
}
