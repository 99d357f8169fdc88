package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

const (
	chunkSize = 64 << 10
	// maxConns bounds connections served at once (the brief asks 64+).
	maxConns = 1024
	// dialFor is how long send keeps trying while the kernel side comes up.
	dialFor     = 10 * time.Second
	dialAttempt = 500 * time.Millisecond
)

// serve listens on 0.0.0.0:port, prints "ready", and runs handle on each
// accepted connection (at most maxConns at once) until ctx ends.
func serve(ctx context.Context, s *stack.Stack, port uint16, handle func(net.Conn)) error {
	ln, err := gonet.ListenTCP(s, tcpip.FullAddress{NIC: nicID, Port: port}, ipv4.ProtocolNumber)
	if err != nil {
		return fmt.Errorf("listen on port %d: %v", port, err)
	}
	fmt.Println("ready")
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	slots := make(chan struct{}, maxConns)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accept: %v", err)
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { c.Close(); <-slots; wg.Done() }()
			stopOnDone := context.AfterFunc(ctx, func() { c.Close() })
			defer stopOnDone()
			handle(c)
		}()
	}
}

// discard reads and drops everything until the peer closes.
func discard(c net.Conn) {
	buf := make([]byte, chunkSize)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// echo writes back whatever it reads until the peer closes.
func echo(c net.Conn) {
	buf := make([]byte, chunkSize)
	io.CopyBuffer(struct{ io.Writer }{c}, struct{ io.Reader }{c}, buf)
}

// send connects to dst, retrying while the kernel side comes up, and
// writes 64 KB chunks until the connection fails or ctx ends.
func send(ctx context.Context, s *stack.Stack, dst netip.AddrPort) error {
	c, err := dialRetry(ctx, s, dst)
	if err != nil {
		return err
	}
	defer c.Close()
	context.AfterFunc(ctx, func() { c.Close() })
	buf := make([]byte, chunkSize)
	for {
		if _, err := c.Write(buf); err != nil {
			return nil // the peer closed or reset: the run is over
		}
	}
}

func dialRetry(ctx context.Context, s *stack.Stack, dst netip.AddrPort) (net.Conn, error) {
	addr := tcpip.FullAddress{NIC: nicID, Addr: tcpip.AddrFrom4(dst.Addr().As4()), Port: dst.Port()}
	deadline := time.Now().Add(dialFor)
	for {
		attempt, cancel := context.WithTimeout(ctx, dialAttempt)
		c, err := gonet.DialContextTCP(attempt, s, addr, ipv4.ProtocolNumber)
		cancel()
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("stopped before connecting to %v", dst)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("connect %v: %v (is the kernel side up and listening?)", dst, err)
		}
		if attempt.Err() == nil { // failed fast (refused, unreachable): pause
			select {
			case <-time.After(dialAttempt / 5):
			case <-ctx.Done():
			}
		}
	}
}
