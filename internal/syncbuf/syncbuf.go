// Package syncbuf is an output buffer that one goroutine (a shell's debug
// printer, a child process's output copier) writes while another reads it.
package syncbuf

import (
	"bytes"
	"sync"
)

// Limit bounds what a Buffer keeps: writes past it are accepted and
// discarded, so a chatty writer cannot grow memory without end.
const Limit = 4 << 20

// Buffer is a bytes.Buffer safe for concurrent Write and String. The zero
// Buffer is empty and ready to use.
type Buffer struct {
	mu        sync.Mutex
	b         bytes.Buffer
	discarded int
}

// Write appends p, or discards what does not fit under Limit; it never
// fails.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	room := max(Limit-s.b.Len(), 0)
	s.b.Write(p[:min(len(p), room)])
	s.discarded += len(p) - min(len(p), room)
	return len(p), nil
}

// String is everything kept so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Discarded is how many bytes were written past Limit.
func (s *Buffer) Discarded() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.discarded
}

// Reset empties the buffer.
func (s *Buffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
	s.discarded = 0
}
