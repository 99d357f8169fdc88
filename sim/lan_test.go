package sim_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/sim"
	"github.com/gotapip/gotapip/stack"
)

func startSim(t *testing.T) *stack.Stack {
	t.Helper()
	s := stack.New(stack.Config{})
	dev, lan, err := sim.Start(s, "sim0", netip.MustParsePrefix("10.0.0.1/24"), 1500)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); lan.Close() })
	if err := s.AddDefaultRoute(dev, sim.RouterAddr.Addr()); err != nil {
		t.Fatal(err)
	}
	return s
}

// pingOnce sends one echo request and waits for its reply.
func pingOnce(t *testing.T, s *stack.Stack, dst string) icmp.Reply {
	t.Helper()
	pg, err := s.ICMP.NewPinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := pg.Send(netip.MustParseAddr(dst), 1, icmp.SendOptions{Size: 56}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-pg.Replies():
		return r
	case <-ctx.Done():
		t.Fatalf("no reply from %s", dst)
	}
	return icmp.Reply{}
}

func TestSimHostsAnswerPing(t *testing.T) {
	s := startSim(t)
	cases := []struct {
		dst string
		ttl uint8
	}{
		{"10.0.0.2", 64},   // on our switch
		{"10.0.0.254", 64}, // the router
		{"10.0.1.1", 64},   // the router's far side: it is the router's own address
		{"10.0.1.2", 63},   // behind the router
	}
	for _, c := range cases {
		t.Run(c.dst, func(t *testing.T) {
			r := pingOnce(t, s, c.dst)
			if r.Err != nil || r.From.String() != c.dst || r.TTL != c.ttl {
				t.Errorf("reply from %v ttl %d err %v; want from %s ttl %d", r.From, r.TTL, r.Err, c.dst, c.ttl)
			}
		})
	}
}

// The switch learns: after one exchange, frames between two hosts are no
// longer flooded to the third port.
func TestSwitchLearns(t *testing.T) {
	sw := sim.NewSwitch()
	a, b, c := sw.NewPort(), sw.NewPort(), sw.NewPort()
	frame := func(dst, src byte) []byte {
		f := make([]byte, 60)
		copy(f, []byte{2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 0x08, 0x00})
		return f
	}
	buf := make([]byte, 100)
	a.WriteFrame(frame(2, 1)) // unknown dst: flooded to b and c
	for _, p := range []*sim.Port{b, c} {
		if n, err := p.ReadFrame(buf); err != nil || n != 60 {
			t.Fatalf("flooded frame: %d, %v", n, err)
		}
	}
	b.WriteFrame(frame(1, 2)) // a's MAC is known now: to a only
	a.WriteFrame(frame(2, 1)) // and b's: to b only
	if n, _ := a.ReadFrame(buf); n != 60 || buf[5] != 1 {
		t.Errorf("a did not get the frame for it")
	}
	if n, _ := b.ReadFrame(buf); n != 60 || buf[5] != 2 {
		t.Errorf("b did not get the frame for it")
	}
	if n := c.Queued(); n != 0 {
		t.Errorf("c got %d frames meant for a and b once the switch had learned", n)
	}
	c.Close()
	if c.WriteFrame(frame(1, 3)) != nil {
		t.Errorf("a write on a closed port should be silently lost")
	}
}

// 10.0.0.2 and 10.0.1.2 echo UDP on port 7; other ports are closed.
func TestSimHostsEchoUDP(t *testing.T) {
	s := startSim(t)
	cases := []struct {
		dst     string
		wantErr error // nil: the echo comes back
	}{
		{"10.0.0.2:7", nil},
		{"10.0.1.2:7", nil},
		{"10.0.0.2:9", syscall.ECONNREFUSED},
		{"10.0.1.2:9", syscall.ECONNREFUSED},
	}
	for _, c := range cases {
		t.Run(c.dst, func(t *testing.T) {
			sock, err := s.UDP.Dial(netip.MustParseAddrPort(c.dst))
			if err != nil {
				t.Fatal(err)
			}
			defer sock.Close()
			if _, err := sock.Send([]byte("hello " + c.dst)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			buf := make([]byte, 100)
			n, err := sock.Recv(ctx, buf)
			switch {
			case c.wantErr != nil && !errors.Is(err, c.wantErr):
				t.Errorf("Recv: %v, want %v", err, c.wantErr)
			case c.wantErr == nil && (err != nil || string(buf[:n]) != "hello "+c.dst):
				t.Errorf("Recv: %q, %v; want the datagram echoed", buf[:n], err)
			}
		})
	}
}

// Close ends the echo services (it waits for their goroutines) and closes
// their sockets.
func TestSimCloseStopsEcho(t *testing.T) {
	s := stack.New(stack.Config{})
	defer s.Close()
	_, lan, err := sim.Start(s, "sim0", netip.MustParsePrefix("10.0.0.1/24"), 1500)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []*stack.Stack{lan.Host, lan.Far} {
		if n := len(h.UDP.Sockets()); n != 1 {
			t.Errorf("%d sockets open on a sim host, want the echo service's", n)
		}
	}
	lan.Close()
	for _, h := range []*stack.Stack{lan.Host, lan.Far} {
		if n := len(h.UDP.Sockets()); n != 0 {
			t.Errorf("%d sockets open after Close", n)
		}
		if n := len(h.TCP.Connections()); n != 0 {
			t.Errorf("%d TCP listeners or connections left after Close", n)
		}
	}
}

// Over TCP, 10.0.0.2 and 10.0.1.2 echo on port 7, discard on port 9 and
// serve a page on port 80; other ports refuse.
func TestSimHostsTCPServices(t *testing.T) {
	s := startSim(t)
	dial := func(t *testing.T, addr string) net.Conn {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := s.DialContext(ctx, "tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c
	}
	for _, host := range []string{"10.0.0.2", "10.0.1.2"} {
		t.Run(host, func(t *testing.T) {
			echo := dial(t, host+":7")
			echo.Write([]byte("hello"))
			echo.(interface{ CloseWrite() error }).CloseWrite()
			if b, err := io.ReadAll(echo); err != nil || string(b) != "hello" {
				t.Errorf("echo: %q, %v", b, err)
			}
			discard := dial(t, host+":9")
			discard.Write(make([]byte, 100000))
			discard.(interface{ CloseWrite() error }).CloseWrite()
			if b, err := io.ReadAll(discard); err != nil || len(b) != 0 {
				t.Errorf("discard answered %d bytes, %v", len(b), err)
			}
			web := dial(t, host+":80")
			io.WriteString(web, "GET / HTTP/1.0\r\n\r\n")
			b, _ := io.ReadAll(web)
			if want := "Hello from " + host + ", a gotapip stack on the simulated LAN.\n"; !strings.HasPrefix(string(b), "HTTP/1.0 200 OK\r\n") || !strings.HasSuffix(string(b), want) {
				t.Errorf("web page: %q", b)
			}
			_, err := s.DialContext(context.Background(), "tcp", host+":8")
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("port 8: %v, want connection refused", err)
			}
		})
	}
}
