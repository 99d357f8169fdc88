package shell

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/gotapip/gotapip/stack"
)

// Dialer is what snc, curl and httpd need of TCP: the standard API, as
// any Go program uses it. The stack satisfies it (Stack.DialContext,
// Stack.Listen); to use another one (tests: Go's own, on loopback), the
// program sets Shell.TCP.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
	Listen(network, address string) (net.Listener, error)
}

var _ Dialer = (*stack.Stack)(nil)

// dialer returns Shell.TCP, or else the stack's own TCP.
func (sh *Shell) dialer() Dialer {
	if sh.TCP != nil {
		return sh.TCP
	}
	return sh.Stack
}

// closeWriter is a connection that can half-close (net.TCPConn and the
// stack's connections): it sends FIN and can still read.
type closeWriter interface{ CloseWrite() error }

// MaxConns bounds the connections one snc -k or httpd serves at once; the
// next waits in the listener's backlog until one ends.
const MaxConns = 64

// serveConns accepts connections on ln and runs serve for each in its own
// goroutine, at most MaxConns at once, until accept fails (the listener
// closed: ctx ended) or, with once, after the first connection ends. It
// closes ln and every connection when ctx ends, and returns when all have.
func serveConns(ctx context.Context, ln net.Listener, once bool, serve func(net.Conn)) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[net.Conn]struct{}{}
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	defer wg.Wait()
	defer ln.Close()
	ln = limitListener(ln, MaxConns)
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		mu.Lock()
		open[c] = struct{}{}
		mu.Unlock()
		if ctx.Err() != nil { // AfterFunc ran before c was in open
			c.Close()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serve(c)
			c.Close()
			mu.Lock()
			delete(open, c)
			mu.Unlock()
		}()
		if once {
			wg.Wait()
			return nil
		}
	}
}

// limitListener makes ln's Accept wait while max of its connections are
// open; closing one makes room. Closing the listener ends a waiting Accept.
func limitListener(ln net.Listener, max int) net.Listener {
	return &limitedListener{Listener: ln, slots: make(chan struct{}, max), done: make(chan struct{})}
}

type limitedListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitedListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitedListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitedConn gives its slot back when first closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// CloseWrite half-closes if the connection underneath can.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
