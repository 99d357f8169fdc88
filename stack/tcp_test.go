package stack_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/tcp"
	"golang.org/x/net/nettest"
)

// tcpPair dials from a to b's listener on port 7000 (at addr, if given,
// else 10.0.0.2) and returns both ends.
func tcpPair(t testing.TB, a, b *stack.Stack, addr ...string) (client, server net.Conn) {
	t.Helper()
	ln, err := b.Listen("tcp", ":7000")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	to := "10.0.0.2:7000"
	if len(addr) > 0 {
		to = addr[0]
	}
	client, err = a.DialContext(ctx, "tcp", to)
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.FailNow()
	}
	return client, server
}

func TestTCPNettestConnOnPipeLAN(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
		c1, c2 = tcpPair(t, a, b)
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}

func TestTCPTransferOnLossyPipe(t *testing.T) {
	a, b, ea, _ := stacktest.Pair(t, 7, stack.Config{}, stack.Config{})
	c1, c2 := tcpPair(t, a, b)
	defer c1.Close()
	defer c2.Close()
	ea.SetImpairments(pipe.Impairments{Loss: 0.03, Duplicate: 0.02, Reorder: 0.03})
	stacktest.Transfer(t, c1, c2, 1<<20)
	if a.TCP.Stats.RetransSegs.Load()+b.TCP.Stats.RetransSegs.Load() == 0 {
		t.Error("3% loss and no retransmission")
	}
}

func TestTCPDialRefused(t *testing.T) {
	a, _, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	_, err := a.DialContext(context.Background(), "tcp", "10.0.0.2:9")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial a closed port: %v, want ECONNREFUSED", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		t.Errorf("error %T %v, want a *net.OpError", err, err)
	}
	want := "connect: connection refused"
	if !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
}

func TestTCPListenAndDialArguments(t *testing.T) {
	a, _, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	ln, err := a.Listen("tcp", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := ln.Addr().String(); got != "0.0.0.0:8080" {
		t.Errorf("listening on %s", got)
	}
	if _, err := a.Listen("tcp", "10.0.0.1:8080"); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second listener on the port: %v, want EADDRINUSE", err)
	}
	if _, err := a.Listen("tcp", "10.9.9.9:80"); !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Errorf("listen on an address not ours: %v, want EADDRNOTAVAIL", err)
	}
	for _, bad := range []struct{ network, addr string }{{"sctp", "10.0.0.2:80"}, {"tcp", "host:80"}, {"tcp", "10.0.0.2"}} {
		if _, err := a.DialContext(context.Background(), bad.network, bad.addr); err == nil {
			t.Errorf("dial %s %s succeeded", bad.network, bad.addr)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.DialContext(ctx, "tcp", "192.168.7.7:80"); !errors.Is(err, syscall.ENETUNREACH) {
		t.Errorf("dial with no route: %v, want ENETUNREACH", err)
	}
}

// A stack talks TCP to itself, over lo (64 KiB MTU, so 64 KiB segments)
// and to its own address.
func TestTCPLoopback(t *testing.T) {
	a, _, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	for _, addr := range []string{"127.0.0.1:7000", "10.0.0.1:7000"} {
		t.Run(addr, func(t *testing.T) {
			c1, c2 := tcpPair(t, a, a, addr)
			defer c1.Close()
			defer c2.Close()
			// 65535-byte datagrams at most: 65535 - 20 - 20 - 12 (timestamps), as Linux's lo
			if mss := c1.(*tcp.Conn).Info().MSS; mss != 65483 {
				t.Errorf("MSS on lo %d, want 65483", mss)
			}
			stacktest.Transfer(t, c1, c2, 1<<20)
		})
	}
}
