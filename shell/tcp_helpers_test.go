package shell_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

// loopbackTCP is Go's own TCP on 127.0.0.1: the shell's TCP commands use
// only the standard API, so they cannot tell it from the stack's. It
// refuses any address but loopback.
type loopbackTCP struct{}

func (loopbackTCP) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if err := loopbackOnly(address); err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

func (loopbackTCP) Listen(network, address string) (net.Listener, error) {
	if err := loopbackOnly(address); err != nil {
		return nil, err
	}
	return net.Listen(network, address)
}

func loopbackOnly(address string) error {
	a, err := netip.ParseAddrPort(address)
	if err != nil || !a.Addr().IsLoopback() {
		return fmt.Errorf("test dialer: %q is not a loopback address", address)
	}
	return nil
}

// watchedTCP is a Dialer that reports each listener's address on
// listening, so a test knows where a command it started listens.
type watchedTCP struct {
	shell.Dialer
	listening chan string
}

func (w *watchedTCP) Listen(network, address string) (net.Listener, error) {
	ln, err := w.Dialer.Listen(network, address)
	if err == nil {
		w.listening <- ln.Addr().String()
	}
	return ln, err
}

// tcpShell is a shell whose TCP is watched: Go's on loopback
// (newTCPShell) or a stack's own (tcpWorld "pipe").
type tcpShell struct {
	sh       *shell.Shell
	tcp      *watchedTCP
	out, err *syncbuf.Buffer
}

func newTCPShell(t *testing.T) *tcpShell {
	t.Helper()
	s := stack.New(stack.Config{TickInterval: -1})
	t.Cleanup(s.Close)
	return newShellWithTCP(s, loopbackTCP{})
}

func newShellWithTCP(s *stack.Stack, d shell.Dialer) *tcpShell {
	l := &tcpShell{tcp: &watchedTCP{Dialer: d, listening: make(chan string, 16)}, out: &syncbuf.Buffer{}, err: &syncbuf.Buffer{}}
	l.sh = shell.New(s, l.out, l.err)
	l.sh.TCP = l.tcp
	return l
}

// tcpWorld is where a test of the TCP commands runs: Go's TCP on
// loopback, or the stack's own between two stacks on the pipe LAN.
type tcpWorld struct {
	name         string
	server, peer string // the server's and the client's addresses
	pair         func(t *testing.T) (server, client *tcpShell)
}

var tcpWorlds = []tcpWorld{
	{"loopback", "127.0.0.1", "127.0.0.1", func(t *testing.T) (server, client *tcpShell) {
		return newTCPShell(t), newTCPShell(t)
	}},
	{"pipe", "10.0.0.2", "10.0.0.1", func(t *testing.T) (server, client *tcpShell) {
		a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
		return newShellWithTCP(b, b), newShellWithTCP(a, a)
	}},
}

// forEachTCPWorld runs test in each world.
func forEachTCPWorld(t *testing.T, test func(t *testing.T, w tcpWorld)) {
	for _, w := range tcpWorlds {
		t.Run(w.name, func(t *testing.T) { test(t, w) })
	}
}

// dial connects to addr with the shell's TCP, as a program beside the
// shell would.
func (l *tcpShell) dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := l.tcp.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// serveOne listens on host:0 with the shell's TCP (not through a command)
// and runs serve for the one connection it accepts; it returns the
// address.
func (l *tcpShell) serveOne(t *testing.T, host string, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := l.tcp.Dialer.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	return acceptOne(t, ln, serve)
}

// acceptOne runs serve for the one connection ln accepts, and closes ln
// when the test ends; it returns ln's address.
func acceptOne(t *testing.T, ln net.Listener, serve func(c net.Conn)) string {
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	return ln.Addr().String()
}

// start runs line in the background; stop cancels it (Ctrl-C) and wait
// waits for it to end by itself, each returning its error.
func (l *tcpShell) start(t *testing.T, line string) (stop, wait func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.sh.Execute(ctx, line) }()
	wait = func() error {
		t.Helper()
		select {
		case err := <-errc:
			errc <- err // a later stop sees it too
			return err
		case <-time.After(20 * time.Second):
			t.Fatalf("%q did not end", line)
			return nil
		}
	}
	stop = func() error { cancel(); return wait() }
	t.Cleanup(func() { cancel() })
	return stop, wait
}

// listening waits for the running command's listener and returns its
// address.
func (l *tcpShell) listening(t *testing.T) string {
	t.Helper()
	select {
	case a := <-l.tcp.listening:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no listener after 10s")
		return ""
	}
}

// goServer listens on loopback with Go's TCP and runs serve for the one
// connection it accepts.
func goServer(t *testing.T, serve func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return acceptOne(t, ln, func(c net.Conn) { serve(c.(*net.TCPConn)) })
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
