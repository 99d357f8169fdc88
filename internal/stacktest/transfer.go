package stacktest

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"os"
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
		data := RandomBytes(size, seed)
		_, err := c.Write(data)
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		out <- result{sha256.Sum256(data), int64(size), err}
	}
	recv := func(c net.Conn, out chan<- result) {
		var r result
		r.sum, r.n, r.err = HashStream(c)
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

// fillRandom fills b from r, eight bytes a draw.
func fillRandom(b []byte, r *rand.Rand) {
	var w [8]byte
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[i:], w[:])
	}
}

// RandomBytes is size pseudo-random bytes, the same for the same seed.
func RandomBytes(size int, seed uint64) []byte {
	b := make([]byte, size)
	fillRandom(b, rand.New(rand.NewPCG(seed, seed)))
	return b
}

// RandomFile writes size pseudo-random bytes (seeded) to path, a chunk at
// a time, and returns their SHA-256.
func RandomFile(t testing.TB, path string, size int, seed uint64) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriter(io.MultiWriter(f, h))
	r := rand.New(rand.NewPCG(seed, seed))
	chunk := make([]byte, 1<<20)
	for left := size; left > 0; left -= len(chunk) {
		chunk = chunk[:min(left, len(chunk))]
		fillRandom(chunk, r)
		w.Write(chunk)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// HashStream reads r to its end and returns the SHA-256 of what it read
// and how many bytes; the end of r (EOF) is not an error.
func HashStream(r io.Reader) (sum [32]byte, n int64, err error) {
	h := sha256.New()
	n, err = io.Copy(h, r)
	copy(sum[:], h.Sum(nil))
	return sum, n, err
}

// HashFile is HashStream of the file at path.
func HashFile(t testing.TB, path string) (sum [32]byte, n int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, n, err = HashStream(f)
	if err != nil {
		t.Fatal(err)
	}
	return sum, n
}
