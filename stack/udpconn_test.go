package stack_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/udp"
	"golang.org/x/net/nettest"
)

// udpConnPair returns c1 on a connected to c2 on b, and c2 connected back.
func udpConnPair(t testing.TB, a, b *stack.Stack) (c1, c2 *udp.Conn) {
	t.Helper()
	pc, err := b.ListenPacket("udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	c2 = pc.(*udp.Conn)
	port := c2.LocalAddr().(*net.UDPAddr).Port
	conn, err := a.DialContext(context.Background(), "udp", fmt.Sprintf("10.0.0.2:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	c1 = conn.(*udp.Conn)
	back := netip.AddrPortFrom(stacktest.AddrA.Addr(), c1.Socket().LocalAddr().Port())
	if err := c2.Socket().Connect(back); err != nil {
		t.Fatal(err)
	}
	return c1, c2
}

// newUDPConns is udpConnPair on a fresh pipe LAN, closed when t ends.
func newUDPConns(t *testing.T) (c1, c2 *udp.Conn) {
	t.Helper()
	a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	c1, c2 = udpConnPair(t, a, b)
	t.Cleanup(func() { c1.Close(); c2.Close() })
	return c1, c2
}

// nettest.TestConn is for stream connections. Of its subtests, BasicIO
// and PingPong wait for the io.EOF a closed stream gives, which a
// datagram socket never reads, and FutureTimeout floods the peer with
// writes that never block, then expects a later datagram to get through
// the peer's full queue, which a datagram socket drops (as Linux's do).
// The rest (deadlines past and present, Close unblocking, racy reads and
// writes, concurrent methods) hold for datagrams on a wire that loses
// nothing, and run here in a child test process, since a test cannot
// skip another package's subtests itself. TestUDPConnFutureDeadline
// checks a future deadline the datagram way.
var nettestDatagramSubtests = []string{"RacyRead", "RacyWrite", "ReadTimeout", "WriteTimeout",
	"PastTimeout", "PresentTimeout", "CloseTimeout", "ConcurrentMethods"}

func TestUDPConnNettest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child test process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUDPConnNettestChild$", "-test.v", "-test.count=1",
		"-test.skip=^TestUDPConnNettestChild$/^(BasicIO|PingPong|FutureTimeout)$")
	cmd.Env = append(os.Environ(), "GOTAPIP_NETTEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nettest.TestConn's datagram subtests failed: %v\n%s", err, out)
	}
	for _, name := range nettestDatagramSubtests {
		if !regexp.MustCompile(`--- PASS: TestUDPConnNettestChild/` + name + ` `).Match(out) {
			t.Errorf("subtest %s did not pass:\n%s", name, out)
		}
	}
}

// TestUDPConnNettestChild is TestUDPConnNettest's child process.
func TestUDPConnNettestChild(t *testing.T) {
	if os.Getenv("GOTAPIP_NETTEST_CHILD") == "" {
		t.Skip("run by TestUDPConnNettest, with the stream-only subtests skipped")
	}
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
		u1, u2 := udpConnPair(t, a, b)
		return u1, u2, func() { u1.Close(); u2.Close() }, nil
	})
}

func TestUDPConnRoundTrip(t *testing.T) {
	c1, c2 := newUDPConns(t)
	if _, err := c1.Write([]byte("one datagram")); err != nil {
		t.Fatal(err)
	}
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 5)
	n, from, err := c2.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); got != "one d" { // cut to the buffer, as net.UDPConn
		t.Errorf("read %q, want the datagram cut to %q", got, "one d")
	}
	if from.String() != c1.LocalAddrPort().String() {
		t.Errorf("from %v, want %v", from, c1.LocalAddrPort())
	}
}

func TestUDPConnRefused(t *testing.T) {
	a, _, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	c, err := a.DialContext(context.Background(), "udp", "10.0.0.2:9")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("anyone?")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 10))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("read after port unreachable: %v, want ECONNREFUSED", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "read" || op.Net != "udp" {
		t.Errorf("error %T %v, want a *net.OpError for read udp", err, err)
	}
	if want := "read: connection refused"; !regexp.MustCompile(want).MatchString(err.Error()) {
		t.Errorf("error %q, want it to say %q as Go says it", err, want)
	}
	// Linux also reports it on the next send, once: write again, wait for
	// the second port unreachable, and see the write take it.
	if _, err := c.Write([]byte("again")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.Write([]byte("and again"))
		if errors.Is(err, syscall.ECONNREFUSED) {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("write after port unreachable: %v, want ECONNREFUSED within 5 s", err)
		}
		time.Sleep(time.Millisecond) // polling for the ICMP error's arrival; the write is the check
	}
}

func TestUDPConnCloseUnblocksRead(t *testing.T) {
	c1, _ := newUDPConns(t)
	errc := make(chan error, 1)
	go func() {
		_, err := c1.Read(make([]byte, 10))
		errc <- err
	}()
	// The reader may not be waiting yet: Close must end it either way.
	c1.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("read on a closed conn: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
	if err := c1.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want net.ErrClosed", err)
	}
	if _, err := c1.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write on a closed conn: %v, want net.ErrClosed", err)
	}
}

func TestUDPConnDeadlineMovesWaitingRead(t *testing.T) {
	c1, _ := newUDPConns(t)
	c1.SetReadDeadline(time.Now().Add(time.Hour))
	errc := make(chan error, 1)
	go func() {
		_, err := c1.Read(make([]byte, 10))
		errc <- err
	}()
	c1.SetReadDeadline(time.Now().Add(20 * time.Millisecond)) // a waiting read takes it up
	select {
	case err := <-errc:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read past the deadline: %v, want a timeout", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the read kept the hour-long deadline")
	}
	c1.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := c1.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("write past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}

// A deadline in the future ends a read and a write loop when it passes;
// the socket works again after it is lifted.
func TestUDPConnFutureDeadline(t *testing.T) {
	c1, c2 := newUDPConns(t)
	start := time.Now()
	c1.SetDeadline(start.Add(100 * time.Millisecond))
	_, err := c1.Read(make([]byte, 10))
	if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) < 100*time.Millisecond {
		t.Errorf("read: %v after %v, want a timeout after 100ms", err, time.Since(start))
	}
	for err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		_, err = c1.Write([]byte("x"))
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write: %v, want success or a timeout", err)
		}
	}
	c1.SetDeadline(time.Time{})
	// c2's queue is full of "x": the other way shows c1 reads again.
	if _, err := c2.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	c1.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 10)
	n, err := c1.Read(buf)
	if err != nil || string(buf[:n]) != "after" {
		t.Errorf("read with the deadline lifted: %q, %v; want \"after\"", buf[:n], err)
	}
}

// Several goroutines read one socket: each datagram goes to exactly one.
func TestUDPConnConcurrentReaders(t *testing.T) {
	c1, c2 := newUDPConns(t)
	// One datagram first, so ARP has resolved (it holds only 3 while it
	// asks, as Linux's unres_qlen) before the burst.
	if _, err := c1.Write([]byte("prime")); err != nil {
		t.Fatal(err)
	}
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	c2.SetReadDeadline(time.Time{})
	const readers, each = 4, 25
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64)
			for {
				n, err := c2.Read(buf)
				if err != nil {
					return // closed below
				}
				mu.Lock()
				seen[string(buf[:n])]++
				mu.Unlock()
			}
		}()
	}
	for i := range readers * each {
		if _, err := c1.Write(fmt.Appendf(nil, "datagram %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == readers*each || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	c2.Close()
	wg.Wait()
	if len(seen) != readers*each {
		t.Errorf("%d distinct datagrams read, want %d", len(seen), readers*each)
	}
	for d, k := range seen {
		if k != 1 {
			t.Errorf("%q read %d times", d, k)
		}
	}
}

func TestListenPacketErrors(t *testing.T) {
	a, _, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	pc, err := a.ListenPacket("udp", ":5353")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cases := []struct {
		network, addr string
		want          error
	}{
		{"udp", ":5353", syscall.EADDRINUSE},
		{"udp4", "10.0.0.9:53", syscall.EADDRNOTAVAIL},
		{"udp6", ":53", nil},
		{"udp", "nonsense", nil},
	}
	// Dialling where no route leads fails as connect(2) does.
	if _, err := a.DialContext(context.Background(), "udp", "192.168.9.9:53"); !errors.Is(err, syscall.ENETUNREACH) {
		t.Errorf("dial with no route: %v, want ENETUNREACH", err)
	}
	for _, c := range cases {
		_, err := a.ListenPacket(c.network, c.addr)
		var op *net.OpError
		if err == nil || !errors.As(err, &op) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("ListenPacket(%q, %q) = %v, want a *net.OpError matching %v", c.network, c.addr, err, c.want)
		}
	}
}
