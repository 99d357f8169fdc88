package netdev

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestFrameQueueFIFOAndBound(t *testing.T) {
	q := NewFrameQueue(3)
	for i := range 3 {
		if !q.Put([]byte{byte(i), byte(i)}) {
			t.Fatalf("Put #%d refused with room left", i)
		}
	}
	if q.Put([]byte{9}) {
		t.Error("Put into a full queue succeeded, want false")
	}
	if got := q.Len(); got != 3 {
		t.Errorf("Len() = %d, want 3", got)
	}
	buf := make([]byte, 16)
	for i := range 3 {
		n, err := q.Get(buf)
		if err != nil {
			t.Fatal(err)
		}
		if want := []byte{byte(i), byte(i)}; !bytes.Equal(buf[:n], want) {
			t.Errorf("Get #%d = % x, want % x", i, buf[:n], want)
		}
	}
	if got := q.Len(); got != 0 {
		t.Errorf("Len() after draining = %d, want 0", got)
	}
}

func TestFrameQueueCopies(t *testing.T) {
	q := NewFrameQueue(2)
	f := []byte("frame")
	q.Put(f)
	copy(f, "XXXXX") // the caller may reuse its buffer at once
	buf := make([]byte, 16)
	n, _ := q.Get(buf)
	if got := string(buf[:n]); got != "frame" {
		t.Errorf("Get = %q, want %q (Put must copy)", got, "frame")
	}
}

func TestFrameQueueTruncatesToBuf(t *testing.T) {
	q := NewFrameQueue(1)
	q.Put([]byte("0123456789"))
	buf := make([]byte, 4)
	n, err := q.Get(buf)
	if err != nil || n != 4 || string(buf) != "0123" {
		t.Errorf("Get into 4 bytes = %d %q %v, want 4 %q nil", n, buf[:n], err, "0123")
	}
}

func TestFrameQueueWrapAround(t *testing.T) {
	q := NewFrameQueue(3)
	buf := make([]byte, 8)
	for i := range 20 {
		q.Put([]byte{byte(i)})
		if i%2 == 1 {
			for range 2 {
				n, _ := q.Get(buf)
				if n != 1 {
					t.Fatalf("Get = %d bytes, want 1", n)
				}
			}
		}
	}
	if got := q.Len(); got != 0 {
		t.Errorf("Len() = %d, want 0", got)
	}
}

func TestFrameQueueClose(t *testing.T) {
	q := NewFrameQueue(4)
	errc := make(chan error)
	go func() {
		_, err := q.Get(make([]byte, 8)) // blocks: queue empty
		errc <- err
	}()
	q.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("blocked Get after Close = %v, want ErrClosed", err)
	}
	if q.Put([]byte{1}) {
		t.Error("Put after Close succeeded, want false")
	}
	if _, err := q.Get(make([]byte, 8)); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
}

// TestFrameQueueConcurrent runs producers and a consumer under -race.
func TestFrameQueueConcurrent(t *testing.T) {
	const producers, each = 4, 500
	q := NewFrameQueue(16)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; {
				if q.Put([]byte(fmt.Sprintf("%d-%d", p, i))) {
					i++
				}
			}
		}()
	}
	seen := map[string]bool{}
	buf := make([]byte, 32)
	for len(seen) < producers*each {
		n, err := q.Get(buf)
		if err != nil {
			t.Fatal(err)
		}
		s := string(buf[:n])
		if seen[s] {
			t.Fatalf("frame %q delivered twice", s)
		}
		seen[s] = true
	}
	wg.Wait()
}

func TestFrameQueueSteadyStateNoAllocs(t *testing.T) {
	q := NewFrameQueue(4)
	frame := make([]byte, 1514)
	buf := make([]byte, 1514)
	q.Put(frame)
	q.Get(buf) // warm: one spare buffer now exists
	if n := testing.AllocsPerRun(1000, func() {
		q.Put(frame)
		q.Get(buf)
	}); n != 0 {
		t.Errorf("Put/Get allocates %v times per run, want 0", n)
	}
}
