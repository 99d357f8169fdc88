package stack_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
	"golang.org/x/net/nettest"
)

// tcpPair dials from a to b's listener and returns both ends.
func tcpPair(t testing.TB, a, b *stack.Stack) (client, server net.Conn) {
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
	client, err = a.DialContext(ctx, "tcp", "10.0.0.2:7000")
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

// transfer sends size random bytes each way at once and checks both
// arrive whole (SHA-256).
func transfer(t *testing.T, c1, c2 net.Conn, size int) {
	t.Helper()
	send := func(c net.Conn, seed uint64) (sum [32]byte, err error) {
		data := make([]byte, size)
		r := rand.New(rand.NewPCG(seed, seed))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		sum = sha256.Sum256(data)
		if _, err = c.Write(data); err != nil {
			return sum, err
		}
		return sum, c.(interface{ CloseWrite() error }).CloseWrite()
	}
	recv := func(c net.Conn) ([32]byte, error) {
		h := sha256.New()
		_, err := io.Copy(h, c)
		var sum [32]byte
		copy(sum[:], h.Sum(nil))
		return sum, err
	}
	type result struct {
		sum [32]byte
		err error
	}
	sent1, sent2, got1, got2 := make(chan result, 1), make(chan result, 1), make(chan result, 1), make(chan result, 1)
	go func() { s, err := send(c1, 1); sent1 <- result{s, err} }()
	go func() { s, err := send(c2, 2); sent2 <- result{s, err} }()
	go func() { s, err := recv(c2); got2 <- result{s, err} }()
	go func() { s, err := recv(c1); got1 <- result{s, err} }()
	s1, s2, g1, g2 := <-sent1, <-sent2, <-got1, <-got2
	for _, r := range []result{s1, s2, g1, g2} {
		if r.err != nil {
			t.Fatal(r.err)
		}
	}
	if s1.sum != g2.sum || s2.sum != g1.sum {
		t.Fatalf("SHA-256 differ: sent %x/%x, received %x/%x", s1.sum, s2.sum, g2.sum, g1.sum)
	}
}

func TestTCPTransferOnLossyPipe(t *testing.T) {
	a, b, ea, _ := stacktest.Pair(t, 7, stack.Config{}, stack.Config{})
	c1, c2 := tcpPair(t, a, b)
	defer c1.Close()
	defer c2.Close()
	ea.SetImpairments(pipe.Impairments{Loss: 0.03, Duplicate: 0.02, Reorder: 0.03})
	transfer(t, c1, c2, 1<<20)
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
