package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

func TestConcurrentWritesAllKept(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Fatalf("kept %d bytes, want 800", got)
	}
}

func TestBoundedAtLimit(t *testing.T) {
	var b Buffer
	chunk := []byte(strings.Repeat("y", 1<<20))
	for range 5 {
		if n, err := b.Write(chunk); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(chunk))
		}
	}
	if got := len(b.String()); got != Limit {
		t.Fatalf("kept %d bytes, want the limit %d", got, Limit)
	}
	if got := b.Discarded(); got != 5<<20-Limit {
		t.Fatalf("Discarded() = %d, want %d", got, 5<<20-Limit)
	}
}
