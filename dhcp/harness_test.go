package dhcp_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/dhcp"
	"github.com/gotapip/gotapip/internal/fakeclock"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/sim"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/udp"
)

var (
	serverAddr = netip.MustParsePrefix("10.0.0.254/24")
	clientMAC  = netdev.MAC{0x02, 0, 0, 0, 0, 0x0c}
	bcast68    = netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), dhcp.ClientPort)
)

// lab is a switch with a client stack (veth0, no address) and a server
// stack (10.0.0.254/24), both on one fake clock, and the client's Manager
// whose every line lands in lines.
type lab struct {
	t      *testing.T
	fc     *fakeclock.Clock
	sw     *sim.Switch
	client *stack.Stack
	dev    *netdev.NetDev
	server *stack.Stack
	sdev   *netdev.NetDev
	m      *dhcp.Manager
	lines  chan string
}

func newLab(t *testing.T, cfg dhcp.Config) *lab {
	t.Helper()
	l := &lab{t: t, fc: fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), sw: sim.NewSwitch(), lines: make(chan string, 1024)}
	l.client = stack.New(stack.Config{Clock: l.fc, TickInterval: -1})
	l.server = stack.New(stack.Config{Clock: l.fc, TickInterval: -1})
	t.Cleanup(func() { l.client.Close(); l.server.Close() })
	var err error
	if l.dev, err = l.client.AddDevice(l.sw.NewPort(), netdev.Config{Name: "veth0", MAC: clientMAC}, netip.Prefix{}); err != nil {
		t.Fatal(err)
	}
	if l.sdev, err = l.server.AddDevice(l.sw.NewPort(), netdev.Config{Name: "eth0", MAC: stack.MACFor(serverAddr.Addr())}, serverAddr); err != nil {
		t.Fatal(err)
	}
	cfg.Clock, cfg.Seed = l.fc, 7
	cfg.Log = l.say
	l.m = dhcp.NewManager(l.client, cfg)
	t.Cleanup(func() { l.m.Close(nil) })
	return l
}

func (l *lab) say(line string) {
	select {
	case l.lines <- line:
	default:
		l.t.Errorf("more lines than the test can hold: %q", line)
	}
}

// simServer runs the sim's DHCP server on the server stack.
func (l *lab) simServer(cfg sim.DHCPConfig) *sim.DHCPServer {
	l.t.Helper()
	if !cfg.First.IsValid() {
		cfg.First, cfg.Last = netip.MustParseAddr("10.0.0.50"), netip.MustParseAddr("10.0.0.59")
	}
	d, err := sim.StartDHCPServer(l.server, l.sdev, cfg)
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(d.Close)
	return d
}

// start runs Start in the background; the result comes on the channel.
func (l *lab) start() <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := l.m.Start(context.Background(), l.dev, l.say)
		done <- err
	}()
	return done
}

// waitLine waits (without moving the clock) for a line containing want
// and returns the lines up to it.
func (l *lab) waitLine(want string) []string {
	l.t.Helper()
	return l.collect(want, false)
}

// driveTo moves the fake clock on in steps whenever nothing happens, until
// a line containing want.
func (l *lab) driveTo(want string) []string {
	l.t.Helper()
	return l.collect(want, true)
}

func (l *lab) collect(want string, drive bool) []string {
	l.t.Helper()
	var got []string
	deadline := time.After(20 * time.Second)
	for {
		var idle <-chan time.Time
		if drive {
			idle = time.After(3 * time.Millisecond)
		}
		select {
		case line := <-l.lines:
			got = append(got, line)
			if strings.Contains(line, want) {
				return got
			}
		case <-idle:
			l.fc.Advance(250 * time.Millisecond)
		case <-deadline:
			l.t.Fatalf("no line with %q; got:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// advance moves the clock by d once a timer is pending (the client armed).
func (l *lab) advance(d time.Duration) {
	l.t.Helper()
	waitFor(l.t, "a pending timer", func() bool { return l.fc.Pending() > 0 })
	l.fc.Advance(d)
}

// waitFor polls cond until it holds, failing after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// handServer is a DHCP server the test scripts message by message.
type handServer struct {
	l    *lab
	sock *udp.Socket
}

func (l *lab) handServer() *handServer {
	sock, err := l.server.UDP.Listen(netip.AddrPortFrom(netip.IPv4Unspecified(), dhcp.ServerPort))
	if err != nil {
		l.t.Fatal(err)
	}
	return &handServer{l: l, sock: sock}
}

// recv waits for the client's next message of type want.
func (h *handServer) recv(want dhcp.MessageType) dhcp.Message {
	t := h.l.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	buf := make([]byte, 1500)
	for {
		n, _, err := h.sock.RecvFrom(ctx, buf)
		if err != nil {
			t.Fatalf("waiting for %v: %v", want, err)
		}
		m, o, err := dhcp.Parse(buf[:n])
		if err != nil {
			t.Fatalf("the client sent a message we cannot parse: %v", err)
		}
		if o.Type == want {
			return dhcp.Message(append([]byte(nil), m...))
		}
	}
}

// reply answers req with a message of type typ granting yiaddr for lease
// (0: no lease options), with more options from more.
func (h *handServer) reply(req dhcp.Message, typ dhcp.MessageType, yiaddr string, lease time.Duration, more func(*dhcp.Builder)) {
	var b dhcp.Builder
	b.AddType(typ)
	b.AddAddrs(dhcp.OptServerID, serverAddr.Addr())
	if lease > 0 {
		b.AddSeconds(dhcp.OptLeaseTime, lease)
		b.AddMask(24)
		b.AddAddrs(dhcp.OptRouter, serverAddr.Addr())
	}
	if more != nil {
		more(&b)
	}
	var ya netip.Addr
	if yiaddr != "" {
		ya = netip.MustParseAddr(yiaddr)
	}
	h.send(dhcp.Append(nil, dhcp.Fields{Op: dhcp.OpReply, XID: req.XID(), YourIP: ya, ClientMAC: req.ClientMAC()}, b))
}

// send broadcasts raw bytes to port 68.
func (h *handServer) send(b []byte) {
	if _, err := h.sock.SendOn(h.l.sdev, b, serverAddr.Addr(), bcast68); err != nil {
		h.l.t.Fatal(err)
	}
}
