package stacktest

import (
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

// Transfer sends size pseudo-random bytes each way over c1 and c2 at
// once, each sender half-closing when done, and fails t unless each side
// reads to EOF exactly what the other sent (SHA-256). Both must have
// CloseWrite (a *tcp.Conn, a *net.TCPConn).
func Transfer(t testing.TB, c1, c2 net.Conn, size int) {
	t.Helper()
	type result struct {
		sum [32]byte
		n   int64
		err error
	}
	send := func(c net.Conn, seed uint64, out chan<- result) {
		data := make([]byte, size)
		r := rand.New(rand.NewPCG(seed, seed))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		_, err := c.Write(data)
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		out <- result{sha256.Sum256(data), int64(size), err}
	}
	recv := func(c net.Conn, out chan<- result) {
		h := sha256.New()
		n, err := io.Copy(h, c)
		var r result
		copy(r.sum[:], h.Sum(nil))
		r.n, r.err = n, err
		out <- r
	}
	sent1, sent2, got1, got2 := make(chan result, 1), make(chan result, 1), make(chan result, 1), make(chan result, 1)
	go send(c1, 1, sent1)
	go send(c2, 2, sent2)
	go recv(c1, got1)
	go recv(c2, got2)
	s1, s2, g1, g2 := <-sent1, <-sent2, <-got1, <-got2
	for _, r := range []result{s1, s2, g1, g2} {
		if r.err != nil {
			t.Fatal(r.err)
		}
	}
	if s1.sum != g2.sum || s2.sum != g1.sum {
		t.Fatalf("SHA-256 differ: sent %x and %x, received %x (%d bytes) and %x (%d bytes)",
			s1.sum, s2.sum, g2.sum, g2.n, g1.sum, g1.n)
	}
}
