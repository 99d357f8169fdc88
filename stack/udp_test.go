package stack_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/udp"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func listen(t *testing.T, s *stack.Stack, addr string) *udp.Socket {
	t.Helper()
	sock, err := s.UDP.Listen(ap(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	return sock
}

func recvWithin(t *testing.T, sock *udp.Socket, d time.Duration) ([]byte, netip.AddrPort) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	buf := make([]byte, udp.MaxPayload)
	n, from, err := sock.RecvFrom(ctx, buf)
	if err != nil {
		t.Fatalf("RecvFrom on %v: %v", sock.LocalAddr(), err)
	}
	return buf[:n], from
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// blockedIn reports whether a goroutine that creator started is parked in
// a select or channel operation inside fn (both as the traceback names
// them, e.g. "udp.(*Socket).RecvFrom").
func blockedIn(fn, creator string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		parked := strings.Contains(header, "[select") || strings.Contains(header, "[chan receive")
		if parked && strings.Contains(g, fn+"(") && strings.Contains(g, "created by "+"github.com/gotapip/gotapip/"+creator) {
			return true
		}
	}
	return false
}

func TestUDPSendRecvOverPipe(t *testing.T) {
	a, b, _ := twoHosts(t, 1)
	srv := listen(t, b, "0.0.0.0:7")
	cli, err := a.UDP.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if n, err := cli.SendTo([]byte("hello"), ap("10.0.0.2:7")); n != 5 || err != nil {
		t.Fatalf("SendTo = %d, %v", n, err)
	}
	got, from := recvWithin(t, srv, 5*time.Second)
	if string(got) != "hello" || from.Addr() != netip.MustParseAddr("10.0.0.1") || from.Port() < udp.EphemeralFirst {
		t.Errorf("got %q from %v; want hello from 10.0.0.1 and an ephemeral port", got, from)
	}
	if from != cli.LocalAddr() && from.Port() != cli.LocalAddr().Port() {
		t.Errorf("source %v, socket bound to %v", from, cli.LocalAddr())
	}
	if _, err := srv.SendTo(got, from); err != nil { // answer back
		t.Fatal(err)
	}
	if back, from := recvWithin(t, cli, 5*time.Second); string(back) != "hello" || from != ap("10.0.0.2:7") {
		t.Errorf("reply %q from %v", back, from)
	}
	if in, out := b.UDP.Stats.InDatagrams.Load(), a.UDP.Stats.OutDatagrams.Load(); in != 1 || out != 1 {
		t.Errorf("B InDatagrams %d, A OutDatagrams %d; want 1, 1", in, out)
	}
}

// Several goroutines send on one socket while several receive on another:
// every datagram arrives once and intact (senders keep at most 64 in flight,
// so no queue overflows).
func TestUDPConcurrentSendersAndReceivers(t *testing.T) {
	a, b, _ := twoHosts(t, 2)
	srv := listen(t, b, "10.0.0.2:9000")
	cli, err := a.UDP.Dial(ap("10.0.0.2:9000"))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cli.Send([]byte("warm-up")) // resolve ARP first: its queue holds only 3 datagrams
	recvWithin(t, srv, 5*time.Second)
	const senders, each, receivers = 4, 200, 4
	var received atomic.Int64
	var mu sync.Mutex
	seen := map[uint32]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var rwg sync.WaitGroup
	for range receivers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			buf := make([]byte, 2048)
			for {
				n, _, err := srv.RecvFrom(ctx, buf)
				if err != nil {
					return
				}
				id := binary.BigEndian.Uint32(buf)
				ok := n == 100 && bytes.Equal(buf[4:n], bytes.Repeat([]byte{byte(id)}, 96))
				mu.Lock()
				if !ok || seen[id] {
					t.Errorf("datagram %d: %d bytes, intact %v, seen before %v", id, n, ok, seen[id])
				}
				seen[id] = true
				mu.Unlock()
				if received.Add(1) == senders*each {
					cancel()
				}
			}
		}()
	}
	var swg sync.WaitGroup
	var sent atomic.Int64
	for g := range senders {
		swg.Add(1)
		go func() {
			defer swg.Done()
			msg := make([]byte, 100)
			for i := range each {
				for sent.Load()-received.Load() >= 64 && ctx.Err() == nil {
					time.Sleep(100 * time.Microsecond)
				}
				id := uint32(g*each + i)
				binary.BigEndian.PutUint32(msg, id)
				copy(msg[4:], bytes.Repeat([]byte{byte(id)}, 96))
				sent.Add(1)
				if _, err := cli.Send(msg); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		}()
	}
	swg.Wait()
	rwg.Wait()
	if got := received.Load(); got != senders*each {
		t.Errorf("received %d of %d datagrams (drops %d)", got, senders*each, b.UDP.Stats.RcvbufErrors.Load())
	}
}

// Nobody reads: the queue stops at its bound (datagrams, or bytes of
// buffer memory, whichever comes first), the rest are dropped and counted,
// and the pool holds no more than the queue.
func TestUDPQueueBoundedUnderFlood(t *testing.T) {
	cases := []struct {
		size int
	}{{10}, {1400}}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.size), func(t *testing.T) {
			a, b, _ := twoHosts(t, 3)
			probe := b.Pool.Get(c.size + 42) // the buffer one such frame lands in
			c := struct{ size, want int }{c.size, min(udp.DefaultRecvQueueLen, udp.DefaultRecvQueueBytes/probe.Truesize())}
			probe.Free()
			srv := listen(t, b, "0.0.0.0:9")
			cli, err := a.UDP.Dial(ap("10.0.0.2:9"))
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			// Resolve ARP first: its queue holds only 3 datagrams.
			cli.Send([]byte("warm-up"))
			recvWithin(t, srv, 5*time.Second)
			st := &b.UDP.Stats
			base := st.InDatagrams.Load()
			counted := func() uint64 { return st.InDatagrams.Load() - base + st.RcvbufErrors.Load() }
			msg := make([]byte, c.size)
			const flood = 1000
			for i := range flood {
				if _, err := cli.Send(msg); err != nil {
					t.Fatal(err)
				}
				if i%100 == 99 { // at most 100 in flight: the pipe's queue never overflows
					waitFor(t, fmt.Sprintf("B to count the first %d datagrams", i+1), func() bool { return counted() == uint64(i+1) })
				}
			}
			// The last datagram may still be between its counters (counted
			// in, then taken back when the queue turns out full): wait until
			// every one is queued or dropped and each drop is counted, so
			// nothing in flight changes the figures below.
			waitFor(t, "every datagram queued or counted as dropped", func() bool {
				info, drops := srv.Info(), st.RcvbufErrors.Load()
				return uint64(info.Queued)+info.Drops == flood && info.Drops == drops && st.InErrors.Load() == drops
			})
			info := srv.Info()
			if info.Queued != c.want || info.Drops != st.RcvbufErrors.Load() || info.Drops == 0 {
				t.Errorf("queue %+v, RcvbufErrors %d; want %d queued and the drops counted", info, st.RcvbufErrors.Load(), c.want)
			}
			if st.InErrors.Load() != st.RcvbufErrors.Load() {
				t.Errorf("InErrors %d, RcvbufErrors %d: want equal", st.InErrors.Load(), st.RcvbufErrors.Load())
			}
			if held := b.Pool.InUse(); held > int64(c.want)+8 {
				t.Errorf("%d packets out of B's pool with %d queued", held, c.want)
			}
			srv.Close()
			waitFor(t, "the queue's buffers to be freed", func() bool { return b.Pool.InUse() < 8 })
		})
	}
}

func TestUDPDeadlinesContextAndClose(t *testing.T) {
	_, b, _ := twoHosts(t, 4)
	sock := listen(t, b, "0.0.0.0:9")
	buf := make([]byte, 100)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, _, err := sock.RecvFrom(ctx, buf); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RecvFrom with an expiring context: %v, want context.DeadlineExceeded", err)
	}
	sock.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	start := time.Now()
	if _, _, err := sock.RecvFrom(context.Background(), buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("RecvFrom past the read deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d < 25*time.Millisecond || d > 2*time.Second {
		t.Errorf("deadline of 30ms returned after %v", d)
	}
	sock.SetReadDeadline(time.Time{})

	errc := make(chan error, 1)
	go func() { _, _, err := sock.RecvFrom(context.Background(), buf); errc <- err }()
	waitFor(t, "RecvFrom to wait for a datagram", func() bool {
		return blockedIn("udp.(*Socket).RecvFrom", "stack_test.TestUDPDeadlinesContextAndClose")
	})
	sock.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("RecvFrom when closed: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake a waiting RecvFrom")
	}
	if _, err := sock.SendTo(buf, ap("10.0.0.1:9")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("SendTo after Close: %v", err)
	}
	if err := sock.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A connected socket sending to a closed port hears "connection refused" on
// its next receive, once; over the wire and over lo.
func TestUDPConnectPortUnreachable(t *testing.T) {
	a, b, _ := twoHosts(t, 5)
	for _, dst := range []string{"10.0.0.2:9", "127.0.0.1:9", "10.0.0.1:9"} {
		t.Run(dst, func(t *testing.T) {
			cli, err := a.UDP.Dial(ap(dst))
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			if _, err := cli.Send([]byte("anyone?")); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = cli.Recv(ctx, make([]byte, 100))
			var ie *udp.ICMPError
			if !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &ie) || ie.Kind != ip.PortUnreachable {
				t.Fatalf("Recv after sending to a closed port: %v, want connection refused", err)
			}
			ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel2()
			if _, err := cli.Recv(ctx2, make([]byte, 100)); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("second Recv: %v; the error is reported once", err)
			}
		})
	}
	if n := b.UDP.Stats.NoPorts.Load(); n != 1 {
		t.Errorf("B NoPorts = %d, want 1", n)
	}
	// An unconnected socket hears nothing of the error (Linux without IP_RECVERR).
	s, _ := a.UDP.Open()
	defer s.Close()
	s.SendTo([]byte("x"), ap("10.0.0.2:9"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := s.RecvFrom(ctx, make([]byte, 10)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unconnected socket: %v, want nothing until the deadline", err)
	}
}

func TestUDPEphemeralPortsDistinct(t *testing.T) {
	s := stack.New(stack.Config{TickInterval: -1})
	defer s.Close()
	seen := map[uint16]bool{}
	var socks []*udp.Socket
	defer func() {
		for _, k := range socks {
			k.Close()
		}
	}()
	for i := range udp.MaxSockets {
		k, err := s.UDP.Listen(netip.AddrPort{})
		if err != nil {
			t.Fatalf("socket %d: %v", i, err)
		}
		socks = append(socks, k)
		p := k.LocalAddr().Port()
		if p < udp.EphemeralFirst || seen[p] {
			t.Fatalf("socket %d got port %d (seen before: %v)", i, p, seen[p])
		}
		seen[p] = true
	}
	if _, err := s.UDP.Open(); !errors.Is(err, udp.ErrTooManySockets) {
		t.Errorf("socket %d: %v, want ErrTooManySockets", udp.MaxSockets+1, err)
	}
	socks[0].Close()
	if k, err := s.UDP.Open(); err != nil {
		t.Errorf("after a Close: %v", err)
	} else {
		k.Close()
	}
}

func TestUDPBindConflicts(t *testing.T) {
	a, _, _ := twoHosts(t, 6)
	steps := []struct {
		addr string
		want error // nil: succeeds (and stays open)
	}{
		{"0.0.0.0:7", nil},
		{"0.0.0.0:7", udp.ErrAddrInUse},
		{"10.0.0.1:7", udp.ErrAddrInUse}, // the wildcard holds every address
		{"10.0.0.1:8", nil},
		{"127.0.0.1:8", nil}, // distinct specific addresses share a port
		{"10.0.0.1:8", udp.ErrAddrInUse},
		{"0.0.0.0:8", udp.ErrAddrInUse},
		{"10.9.9.9:8", udp.ErrAddrNotAvail},
	}
	for _, st := range steps {
		k, err := a.UDP.Listen(ap(st.addr))
		if !errors.Is(err, st.want) {
			t.Fatalf("bind %s: %v, want %v", st.addr, err, st.want)
		}
		if err == nil {
			t.Cleanup(func() { k.Close() })
		}
	}
	_, err := a.UDP.Listen(ap("0.0.0.0:7"))
	if want := "address already in use (the udp command lists the sockets"; err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("error %q does not say what to do", err)
	}
	k := listen(t, a, "0.0.0.0:0")
	if err := k.Bind(ap("0.0.0.0:99")); err == nil {
		t.Errorf("binding a bound socket again succeeded")
	}
	k.Close()
	if k2, err := a.UDP.Listen(k.LocalAddr()); err != nil {
		t.Errorf("rebinding a closed socket's port: %v", err)
	} else {
		k2.Close()
	}
}

// Broadcasts reach the wildcard socket on the port, never a socket bound to
// a unicast address, and a broadcast to a closed port gets no ICMP error.
func TestUDPBroadcast(t *testing.T) {
	a, b, _ := twoHosts(t, 7)
	wild := listen(t, b, "0.0.0.0:5000")
	listen(t, b, "10.0.0.2:5001")
	if err := a.IP.Routes.Add(ip.Route{Prefix: netip.MustParsePrefix("255.255.255.255/32"), Dev: a.Devices()[1]}); err != nil {
		t.Fatal(err)
	}
	cli, _ := a.UDP.Open()
	defer cli.Close()
	for _, dst := range []string{"10.0.0.255:5000", "255.255.255.255:5000"} {
		if _, err := cli.SendTo([]byte(dst), ap(dst)); err != nil {
			t.Fatalf("send to %s: %v", dst, err)
		}
		if got, _ := recvWithin(t, wild, 5*time.Second); string(got) != dst {
			t.Errorf("broadcast to %s: got %q", dst, got)
		}
	}
	icmpBefore := b.ICMP.Stats.OutMsgs.Load()
	cli.SendTo([]byte("x"), ap("10.0.0.255:5001"))
	waitFor(t, "IgnoredMulti", func() bool { return b.UDP.Stats.IgnoredMulti.Load() == 1 })
	if n := b.ICMP.Stats.OutMsgs.Load() - icmpBefore; n != 0 || b.UDP.Stats.NoPorts.Load() != 0 {
		t.Errorf("broadcast to a closed port: %d ICMP messages, NoPorts %d; want none", n, b.UDP.Stats.NoPorts.Load())
	}
}

// Up to MTU-28 bytes cross a 1500-byte link; one more is "message too
// long" (until IP fragments), as is anything beyond 65507.
func TestUDPMessageSize(t *testing.T) {
	a, b, _ := twoHosts(t, 8)
	srv := listen(t, b, "0.0.0.0:7")
	cli, _ := a.UDP.Dial(ap("10.0.0.2:7"))
	defer cli.Close()
	big := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	if _, err := cli.Send(big[:1472]); err != nil {
		t.Fatalf("1472 bytes: %v", err)
	}
	if got, _ := recvWithin(t, srv, 5*time.Second); !bytes.Equal(got, big[:1472]) {
		t.Errorf("1472-byte datagram arrived as %d bytes", len(got))
	}
	for _, n := range []int{udp.MaxPayload + 1, len(big)} {
		if _, err := cli.Send(big[:n]); !errors.Is(err, ip.ErrMsgSize) {
			t.Errorf("%d bytes: %v, want message too long", n, err)
		}
	}
	if mtu := a.Devices()[1].MTU(); mtu == 1500 {
		if _, err := cli.Send(big[:1473]); err != nil && !errors.Is(err, ip.ErrMsgSize) {
			t.Errorf("1473 bytes: %v, want success (fragmented) or message too long", err)
		}
	}
	// Over lo (MTU 65535) the largest datagram fits in one piece.
	lo := listen(t, a, "127.0.0.1:7")
	if _, err := cli.SendTo(big[:udp.MaxPayload], ap("127.0.0.1:7")); err != nil {
		t.Fatalf("65507 bytes over lo: %v", err)
	}
	if got, _ := recvWithin(t, lo, 5*time.Second); !bytes.Equal(got, big[:udp.MaxPayload]) {
		t.Errorf("65507-byte datagram over lo arrived as %d bytes", len(got))
	}
	_ = netdev.LoopbackMTU
}

// Closing the stack wakes a receive blocked on one of its sockets.
func TestStackCloseClosesSockets(t *testing.T) {
	s := stack.New(stack.Config{})
	sock, err := s.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:5000"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := sock.RecvFrom(context.Background(), make([]byte, 100))
		done <- err
	}()
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("RecvFrom after stack Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a blocked receive outlived the stack")
	}
}
