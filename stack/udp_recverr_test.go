package stack_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/udp"
)

// recvError reads the next queued ICMP error, failing after 5 s.
func recvError(t *testing.T, s *udp.Socket) *udp.ICMPError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := s.RecvError(ctx)
	if err != nil {
		t.Fatalf("RecvError: %v", err)
	}
	return e
}

// With SetRecvErrors, an unconnected socket hears every ICMP error about
// what it sent, time exceeded included, with the reporter and the quoted
// destination: what traceroute is built on. SetTTL sets the probes' TTL.
func TestUDPRecvErrorsSeesTimeExceededAndUnreachables(t *testing.T) {
	l := newRouterLab(t)
	l.r.IP.Forwarding.Store(true)
	s, err := l.a.UDP.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetRecvErrors(true)
	cases := []struct {
		name  string
		ttl   uint8
		dst   string
		from  string
		kind  ip.ErrorKind
		errno syscall.Errno
	}{
		{"ttl 1 dies at the router", 1, "10.0.2.2:33434", "10.0.1.1", ip.TTLExceeded, syscall.EHOSTUNREACH},
		{"ttl 2 reaches the closed port", 2, "10.0.2.2:33435", "10.0.2.2", ip.PortUnreachable, syscall.ECONNREFUSED},
		{"default ttl", 0, "10.0.2.2:33436", "10.0.2.2", ip.PortUnreachable, syscall.ECONNREFUSED},
		{"no route at the router", 5, "192.168.9.9:33437", "10.0.1.1", ip.NetUnreachable, syscall.ENETUNREACH},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.SetTTL(c.ttl)
			if _, err := s.SendTo([]byte("probe"), ap(c.dst)); err != nil {
				t.Fatal(err)
			}
			e := recvError(t, s)
			want := udp.ICMPError{From: netip.MustParseAddr(c.from), Kind: c.kind, Remote: ap(c.dst), Errno: c.errno}
			got := *e
			got.Received = time.Time{}
			if got != want {
				t.Errorf("error queue: got %+v, want %+v", got, want)
			}
			if e.Received.IsZero() {
				t.Errorf("a queued error carries its arrival time")
			}
			if !errors.Is(e, c.errno) {
				t.Errorf("%v does not unwrap to %v", e, c.errno)
			}
		})
	}
}

// Without the opt-in an unconnected socket's errors are not queued; with
// it, a connected socket gets a hard error both ways (error queue and next
// Recv, as Linux's IP_RECVERR with sk_err), and a soft one only on the
// queue.
func TestUDPRecvErrorsIsOptIn(t *testing.T) {
	l := newRouterLab(t)
	l.r.IP.Forwarding.Store(true)
	s, err := l.a.UDP.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetTTL(1)
	before := l.a.ICMP.Stats.InType[11].Load()
	if _, err := s.SendTo([]byte("unheard"), ap("10.0.2.2:40000")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the time exceeded to arrive", func() bool { return l.a.ICMP.Stats.InType[11].Load() > before })
	s.SetRecvErrors(true)
	if _, err := s.SendTo([]byte("heard"), ap("10.0.2.2:40001")); err != nil {
		t.Fatal(err)
	}
	if e := recvError(t, s); e.Remote.Port() != 40001 {
		t.Errorf("first queued error is about port %d; the one sent before SetRecvErrors must not be queued", e.Remote.Port())
	}

	c, err := l.a.UDP.Dial(ap("10.0.2.2:40002"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetRecvErrors(true)
	c.SetTTL(1) // soft: the queue only
	c.Send([]byte("soft"))
	if e := recvError(t, c); e.Kind != ip.TTLExceeded {
		t.Errorf("connected socket's queue: %v, want time exceeded", e)
	}
	c.SetTTL(0) // hard: the queue and the next Recv
	c.Send([]byte("hard"))
	if e := recvError(t, c); e.Kind != ip.PortUnreachable {
		t.Errorf("connected socket's queue: %v, want port unreachable", e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Recv(ctx, make([]byte, 10)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Recv after port unreachable: %v, want connection refused", err)
	}
}

// RecvError ends with the socket, the context or the deadline.
func TestUDPRecvErrorEnds(t *testing.T) {
	a, _, _ := twoHosts(t, 1)
	cases := []struct {
		name string
		set  func(s *udp.Socket, cancel context.CancelFunc)
		want error
	}{
		{"close", func(s *udp.Socket, _ context.CancelFunc) { s.Close() }, net.ErrClosed},
		{"cancel", func(_ *udp.Socket, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"deadline", func(s *udp.Socket, _ context.CancelFunc) { s.SetReadDeadline(time.Now()) }, os.ErrDeadlineExceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := a.UDP.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.SetRecvErrors(true)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c.set(s, cancel)
			if _, err := s.RecvError(ctx); !errors.Is(err, c.want) {
				t.Errorf("RecvError: %v, want %v", err, c.want)
			}
		})
	}
}
