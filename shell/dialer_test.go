package shell

import (
	"net"
	"testing"
	"time"
)

// limitListener holds Accept while max connections are open: the next
// client waits in the backlog until one closes.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitListener(inner, 2)
	defer ln.Close()
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	accepted := make(chan net.Conn, 3)
	acceptDone := make(chan struct{})
	go func() {
		defer close(acceptDone)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	first, second := <-accepted, <-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted while two were open")
	case <-time.After(100 * time.Millisecond): // a wrong Accept returns at once
	}
	first.Close()
	first.Close() // twice: frees one slot, not two
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("no third connection after one closed")
	}
	ln.Close() // the Accept waiting for a fourth gives its slot back
	<-acceptDone
	second.Close()
	if n := len(ln.(*limitedListener).slots); n != 0 {
		t.Errorf("%d slots taken with every connection closed, want 0", n)
	}
}
