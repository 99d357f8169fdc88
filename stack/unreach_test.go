package stack_test

import (
	"context"
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/internal/fakeclock"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/tcp"
	"github.com/gotapip/gotapip/udp"
)

// A next hop on the subnet that never answers ARP: the packets queued for
// it are dropped when ARP gives up (3 requests, 3 s) and the sender hears
// ICMP host unreachable from its own address, as Linux's arp_error_report
// -> dst_link_failure. These tests run A on a fake clock, by hand.

// unreachLab is A (10.0.0.1) on a fake clock beside B (10.0.0.2); nothing
// is at 10.0.0.77.
type unreachLab struct {
	a   *stack.Stack
	b   *stack.Stack
	ea  *pipe.End
	clk *fakeclock.Clock
}

var silentHost = netip.MustParseAddr("10.0.0.77")

func newUnreachLab(t *testing.T, cfgA stack.Config) *unreachLab {
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfgA.Clock, cfgA.TickInterval = clk, -1
	a, b, ea, _ := stacktest.Pair(t, 11, cfgA, stack.Config{})
	return &unreachLab{a: a, b: b, ea: ea, clk: clk}
}

// run advances A's clock by d in net-timer ticks of 100 ms.
func (l *unreachLab) run(d time.Duration) {
	for range d / (100 * time.Millisecond) {
		l.a.Tick(l.clk.Advance(100 * time.Millisecond))
	}
}

// loopbackBarrier returns a function that returns once everything A has
// sent itself so far has been handled: a datagram to its own address
// queues on lo behind the ICMP errors ARP's failures made, and lo's poller
// handles its frames in order. The errors reach TCP on that poller, not
// under the fake clock, so a test waits for them before moving time on.
func (l *unreachLab) loopbackBarrier(t *testing.T) func() {
	s, err := l.a.UDP.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	self := netip.AddrPortFrom(stacktest.AddrA.Addr(), 40999)
	if err := s.Bind(self); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := s.SendTo([]byte("barrier"), self); err != nil {
			t.Fatal(err)
		}
		stacktest.RecvString(t, s)
	}
}

// recvErrSocket is a UDP socket on A that asked for errors (IP_RECVERR),
// closed when the test ends.
func (l *unreachLab) recvErrSocket(t *testing.T) *udp.Socket {
	s, err := l.a.UDP.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetRecvErrors(true)
	return s
}

// connections counts A's TCP sockets, listeners included.
func (l *unreachLab) connections() int { return len(l.a.TCP.Connections()) }

// connect() fails with EHOSTUNREACH when ARP gives up, 3 s after the SYN,
// not ETIMEDOUT after the SYN retries (127 s); the SYNs that waited for
// the neighbour (the first and its retransmission at 1 s) are dropped and
// the socket is gone.
func TestTCPConnectToSilentNeighbourIsHostUnreachable(t *testing.T) {
	l := newUnreachLab(t, stack.Config{})
	dialed := make(chan error, 1)
	go func() {
		_, err := l.a.DialContext(context.Background(), "tcp", netip.AddrPortFrom(silentHost, 80).String())
		dialed <- err
	}()
	waitFor(t, "the SYN to wait for ARP", func() bool { return l.a.ARP.Queued() == 1 })
	l.run(2900 * time.Millisecond)
	select {
	case err := <-dialed:
		t.Fatalf("connect ended at 2.9 s, before ARP gave up: %v", err)
	default:
	}
	if n := l.a.ARP.Queued(); n != 2 {
		t.Errorf("%d packets wait for ARP at 2.9 s, want 2 (the SYN and its retransmission)", n)
	}
	l.run(100 * time.Millisecond)
	select {
	case err := <-dialed:
		if !errors.Is(err, syscall.EHOSTUNREACH) {
			t.Errorf("connect to a silent neighbour: %v, want EHOSTUNREACH", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("connect still waiting once ARP gave up at 3 s")
	}
	if n := l.a.ARP.Queued(); n != 0 {
		t.Errorf("%d packets still wait for ARP after it gave up", n)
	}
	if n := l.a.ARP.Stats.Failed.Load(); n != 1 {
		t.Errorf("ARP Failed = %d, want 1", n)
	}
	if n := l.connections(); n != 0 {
		t.Errorf("%d TCP sockets left after the failed connect, want 0", n)
	}
}

// An established connection whose peer goes silent: ARP probes the stale
// entry, fails it, and each retransmission then waits for ARP afresh and
// draws host unreachable. That is a soft error (RFC 1122 4.2.3.9): the
// connection stays up and keeps retransmitting, and when it gives up the
// application reads EHOSTUNREACH, not ETIMEDOUT (Linux's sk_err_soft).
func TestTCPEstablishedSilentNeighbourIsSoftError(t *testing.T) {
	tcfg := tcp.DefaultConfig()
	tcfg.Retries2 = 8
	l := newUnreachLab(t, stack.Config{TCP: &tcfg, ARP: arp.Config{ReachableTime: 2 * time.Second}})
	c1, c2 := tcpPair(t, l.a, l.b)
	defer c1.Close()
	defer c2.Close()
	l.ea.SetImpairments(pipe.Impairments{Loss: 1}) // B is unplugged
	read := make(chan error, 1)
	go func() {
		_, err := c1.Read(make([]byte, 1))
		read <- err
	}()
	if _, err := c1.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	barrier := l.loopbackBarrier(t)
	sawUnreachable := false
	for elapsed := time.Duration(0); ; elapsed += 100 * time.Millisecond {
		select {
		case err := <-read:
			if !errors.Is(err, syscall.EHOSTUNREACH) {
				t.Errorf("read once the retransmissions gave up: %v, want EHOSTUNREACH", err)
			}
			if !sawUnreachable {
				t.Error("the connection ended before any host unreachable arrived")
			}
			l.run(3 * time.Second) // the last retransmission's ARP gives up too
			if n := l.a.ARP.Queued(); n != 0 {
				t.Errorf("%d packets still wait for ARP", n)
			}
			return
		default:
		}
		if elapsed > 10*time.Minute {
			t.Fatal("connection still up 10 min after its peer went silent")
		}
		if l.a.ICMP.Stats.OutType[3].Load() > l.a.ICMP.Stats.InType[3].Load() {
			barrier() // TCP has its host unreachable before time moves on
		}
		if l.a.ICMP.Stats.InType[3].Load() > 0 && !sawUnreachable {
			sawUnreachable = true
			if n := l.connections(); n != 1 {
				t.Errorf("%d TCP sockets after the first host unreachable, want the connection still there", n)
			}
		}
		l.run(100 * time.Millisecond)
	}
}

// A UDP socket that asked for errors (IP_RECVERR) gets the host
// unreachable on its error queue, from our own address as Linux's
// offender, with EHOSTUNREACH.
func TestUDPRecvErrorsHostUnreachableFromARP(t *testing.T) {
	l := newUnreachLab(t, stack.Config{})
	s := l.recvErrSocket(t)
	to := netip.AddrPortFrom(silentHost, 33434)
	if _, err := s.SendTo([]byte("probe"), to); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the datagram to wait for ARP", func() bool { return l.a.ARP.Queued() == 1 })
	l.run(3 * time.Second)
	e := recvError(t, s)
	got := *e
	got.Received = time.Time{}
	want := udp.ICMPError{From: stacktest.AddrA.Addr(), Kind: ip.HostUnreachable, Remote: to, Errno: syscall.EHOSTUNREACH}
	if got != want {
		t.Errorf("error queue: got %+v, want %+v", got, want)
	}
}

// A burst of datagrams waiting for a silent neighbour: every one gets its
// host unreachable. Errors to ourselves are not rate-limited (Linux
// measured: 90 sent, 90 errors, IcmpOutRateLimitGlobal 0), though the
// burst is beyond icmp_msgs_burst (50). (60: the socket's error queue
// holds 64.)
func TestHostUnreachableBurstNotRateLimited(t *testing.T) {
	l := newUnreachLab(t, stack.Config{})
	s := l.recvErrSocket(t)
	const burst = 60
	for i := range burst {
		if _, err := s.SendTo([]byte("probe"), netip.AddrPortFrom(silentHost, uint16(33434+i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the datagrams to wait for ARP", func() bool { return l.a.ARP.Queued() == burst })
	l.run(3 * time.Second)
	for i := range burst {
		if e := recvError(t, s); e.Remote.Port() != uint16(33434+i) || e.Kind != ip.HostUnreachable {
			t.Fatalf("error %d: %+v, want host unreachable about port %d", i, e, 33434+i)
		}
	}
	if n := l.a.ICMP.Stats.OutRateLimited.Load(); n != 0 {
		t.Errorf("IcmpOutRateLimited = %d, want 0", n)
	}
}
