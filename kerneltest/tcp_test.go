//go:build linux

package kerneltest

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/stacktest"
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

// lossOnKernelSide drops pct% of the TCP segments the kernel in ns sends
// and receives (nftables: numgen random), so both directions recover.
func lossOnKernelSide(t *testing.T, ns string, pct int) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		nstest.Unavailable(t, "needs nft(8) (apt-get install nftables, or make deps)")
	}
	rule := "numgen random mod 100 < " + itoa(pct) + " drop"
	nstest.Run(t, ns, "nft", "add table inet loss; "+
		"add chain inet loss in { type filter hook input priority 0 ; } ; "+
		"add chain inet loss out { type filter hook output priority 0 ; } ; "+
		"add rule inet loss in meta l4proto tcp "+rule+" ; "+
		"add rule inet loss out meta l4proto tcp "+rule)
}

func testKernelTransfers(t *testing.T, lossPct, size int) {
	h := newTapHost(t)
	if lossPct > 0 {
		lossOnKernelSide(t, h.ns, lossPct)
	}
	t.Run("stack connects", func(t *testing.T) {
		ln := kernelListen(t, h, "10.0.0.2:7200")
		ours, theirs := stackDialKernel(t, h, ln)
		defer ours.Close()
		defer theirs.Close()
		stacktest.Transfer(t, ours, theirs, size)
	})
	t.Run("kernel connects", func(t *testing.T) {
		ln, err := h.stack.Listen("tcp", ":7300")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := ln.Accept()
			accepted <- c
		}()
		theirs, err := kernelDial(t, h, "10.0.0.1:7300")
		if err != nil {
			t.Fatal(err)
		}
		defer theirs.Close()
		ours := <-accepted
		if ours == nil {
			t.Fatal("accept failed")
		}
		defer ours.Close()
		stacktest.Transfer(t, ours, theirs, size)
	})
	if lossPct > 0 && h.stack.TCP.Stats.RetransSegs.Load() == 0 {
		t.Errorf("%d%% loss and the stack retransmitted nothing", lossPct)
	}
}

func TestTCPKernelTransfers(t *testing.T) { testKernelTransfers(t, 0, 8<<20) }

func TestTCPKernelTransfersWithLoss(t *testing.T) { testKernelTransfers(t, 3, 2<<20) }

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
