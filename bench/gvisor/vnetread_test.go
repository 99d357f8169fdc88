package main

import (
	"bytes"
	"testing"
)

// TestRxFrame: whatever the split of a frame between the head and body
// views, the payload is the frame's bytes in order; a frame too large to
// copy takes the views with it and the reader gets new ones.
func TestRxFrame(t *testing.T) {
	const maxFrame = 14 + 65535
	tests := []struct {
		n         int
		keepViews bool // the reader reads into the same views again
	}{
		{n: 60, keepViews: true},        // within the head
		{n: rxHeadLen, keepViews: true}, // exactly the head
		{n: 1000, keepViews: true},      // head and body, copied
		{n: copyLimit, keepViews: true},
		{n: copyLimit + 1}, // head and body, handed over
		{n: maxFrame},
	}
	for _, tt := range tests {
		r := newRxBuffers()
		// What one readv of n bytes would leave: a counting pattern
		// running on from the head into the body.
		wire := make([]byte, rxHeadLen+rxBodyLen)
		for i := range wire {
			wire[i] = byte(i % 251)
		}
		copy(r.head.AsSlice(), wire[:rxHeadLen])
		copy(r.body.AsSlice(), wire[rxHeadLen:])
		head, body := r.head, r.body

		payload := r.frame(tt.n)
		got := payload.Flatten()
		if !bytes.Equal(got, wire[:tt.n]) {
			t.Errorf("frame(%d): %d bytes, first difference at %d", tt.n, len(got), firstDiff(got, wire[:tt.n]))
		}
		if kept := r.head == head && r.body == body; kept != tt.keepViews {
			t.Errorf("frame(%d): reader kept its views = %v, want %v", tt.n, kept, tt.keepViews)
		}
		if len(r.head.AsSlice()) != rxHeadLen || len(r.body.AsSlice()) != rxBodyLen {
			t.Errorf("frame(%d): next read gets views of %d and %d bytes, want %d and %d",
				tt.n, len(r.head.AsSlice()), len(r.body.AsSlice()), rxHeadLen, rxBodyLen)
		}
		payload.Release()
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
