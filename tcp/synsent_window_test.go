package tcp_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/tcp"
)

// After an active open, the window we advertise is our receive buffer's
// free space scaled (131072 >> 7 = 1024), never more. The SYN's right
// edge was once kept, counted from a RCV.NXT not known when it was sent,
// and half the connections offered 65535 << 7 bytes.
func TestActiveOpenAdvertisesTheBuffer(t *testing.T) {
	a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	ln, err := b.Listen("tcp", ":7000")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	first := map[uint16]uint16{}                           // the first bare ACK's window, by our port
	a.Tracer.Set(1<<tcp.Layer, func(netdev.TraceEvent) {}) // debug tcp on: TCP builds its events
	a.TCP.SetTrace(func(e tcp.TraceEvent) {
		if e.Kind == tcp.TraceOut && e.Segment.Flags() == tcp.FlagACK {
			mu.Lock()
			if _, ok := first[e.Segment.SrcPort()]; !ok {
				first[e.Segment.SrcPort()] = e.Segment.Window()
			}
			mu.Unlock()
		}
	})
	want := uint16(a.TCP.Config().Rmem[1] >> 7)
	for range 16 { // each with another ISN
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := a.DialContext(ctx, "tcp", "10.0.0.2:7000")
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(first) != 16 {
		t.Fatalf("%d handshakes' ACKs seen, want 16", len(first))
	}
	for port, w := range first {
		if w != want {
			t.Errorf("port %d: the handshake's ACK offers window %d, want %d (tcp_rmem's default >> 7)", port, w, want)
		}
	}
}
