package shell_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

// loopbackTCP is Go's own TCP on 127.0.0.1, the Dialer the shell's TCP
// commands are tested with until the stack has TCP: they use only the
// standard API, so they cannot tell. It refuses any address but loopback,
// and reports each listener's address on listening.
type loopbackTCP struct{ listening chan string }

func (l *loopbackTCP) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if err := loopbackOnly(address); err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

func (l *loopbackTCP) Listen(network, address string) (net.Listener, error) {
	if err := loopbackOnly(address); err != nil {
		return nil, err
	}
	ln, err := net.Listen(network, address)
	if err == nil {
		l.listening <- ln.Addr().String()
	}
	return ln, err
}

func loopbackOnly(address string) error {
	a, err := netip.ParseAddrPort(address)
	if err != nil || !a.Addr().IsLoopback() {
		return fmt.Errorf("test dialer: %q is not a loopback address", address)
	}
	return nil
}

// tcpShell is a shell whose TCP is loopbackTCP.
type tcpShell struct {
	sh       *shell.Shell
	tcp      *loopbackTCP
	out, err *syncbuf.Buffer
}

func newTCPShell(t *testing.T) *tcpShell {
	t.Helper()
	s := stack.New(stack.Config{TickInterval: -1})
	t.Cleanup(s.Close)
	l := &tcpShell{tcp: &loopbackTCP{listening: make(chan string, 16)}, out: &syncbuf.Buffer{}, err: &syncbuf.Buffer{}}
	l.sh = shell.New(s, l.out, l.err)
	l.sh.TCP = l.tcp
	return l
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
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c.(*net.TCPConn))
	}()
	return ln.Addr().String()
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
