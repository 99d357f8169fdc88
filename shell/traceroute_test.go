package shell_test

import (
	"context"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/sim"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/udp"
)

// simShell is a shell on 10.0.0.1 plugged into the simulated LAN, with the
// default route via its router (10.0.0.254 | 10.0.1.1) and a route to
// 10.9.0.0/16, which the router cannot reach.
func simShell(t *testing.T) (*shell.Shell, *syncbuf.Buffer, *sim.LAN) {
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
	out := &syncbuf.Buffer{}
	sh := shell.New(s, out, out)
	if err := sh.Execute(context.Background(), "route add 10.9.0.0/16 via 10.0.0.254"); err != nil {
		t.Fatal(err)
	}
	return sh, out, lan
}

// rttRE matches traceroute's round-trip times, which vary.
var rttRE = regexp.MustCompile(`  [0-9]+\.[0-9]{3} ms`)

func TestTracerouteOnTheSim(t *testing.T) {
	cases := []struct {
		setup string
		line  string
		want  string
	}{
		{"", "traceroute 10.0.1.2", `traceroute to 10.0.1.2 (10.0.1.2), 30 hops max, 60 byte packets
 1  10.0.0.254  X ms  X ms  X ms
 2  10.0.1.2  X ms  X ms  X ms
`},
		{"", "traceroute 10.0.0.2", `traceroute to 10.0.0.2 (10.0.0.2), 30 hops max, 60 byte packets
 1  10.0.0.2  X ms  X ms  X ms
`},
		// The router looks up the route before the TTL, as Linux does: the
		// first probes already hear net unreachable.
		{"", "traceroute -q 2 10.9.9.9", `traceroute to 10.9.9.9 (10.9.9.9), 30 hops max, 60 byte packets
 1  10.0.0.254  X ms !N  X ms !N
`},
		{"", "traceroute -m 1 10.0.1.2", `traceroute to 10.0.1.2 (10.0.1.2), 1 hops max, 60 byte packets
 1  10.0.0.254  X ms  X ms  X ms
`},
		{"", "traceroute -q 1 -w 0.05 -m 2 10.0.0.99", `traceroute to 10.0.0.99 (10.0.0.99), 2 hops max, 60 byte packets
 1  *
 2  *
`},
		// Nobody answers ARP for 10.0.0.99: our own stack says host
		// unreachable once ARP gives up (4 requests, 50 ms apart here).
		{"sysctl net.ipv4.neigh.default.retrans_time_ms=50", "traceroute -q 2 10.0.0.99", `traceroute to 10.0.0.99 (10.0.0.99), 30 hops max, 60 byte packets
 1  10.0.0.1  X ms !H  X ms !H
`},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			sh, out, _ := simShell(t)
			if c.setup != "" {
				if err := sh.Execute(context.Background(), c.setup); err != nil {
					t.Fatal(err)
				}
				out.Reset()
			}
			if err := sh.Execute(context.Background(), c.line); err != nil {
				t.Fatalf("%s: %v\n%s", c.line, err, out)
			}
			if got := rttRE.ReplaceAllString(out.String(), "  X ms"); got != c.want {
				t.Errorf("%s (-want +got):\n-%s\n+%s", c.line, c.want, got)
			}
		})
	}
}

// Each probe goes to the next port from -p, wrapping after 65535 (to 1),
// with the next TTL after -q probes; the payload is traceroute's 32 bytes.
func TestTracerouteProbePorts(t *testing.T) {
	cases := []struct {
		line  string
		ports []uint16
	}{
		{"traceroute 10.0.1.2", []uint16{33434, 33435, 33436, 33437, 33438, 33439}},
		{"traceroute -p 65534 -q 2 10.0.1.2", []uint16{65534, 65535, 1, 2}},
		{"traceroute -q 1 -m 1 10.0.1.2", []uint16{33434}},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			sh, out, _ := simShell(t)
			var mu sync.Mutex
			var ports []uint16
			var lens []int
			sh.Stack.Tracer.Set(1<<netdev.LayerUDP, func(e netdev.TraceEvent) {
				if e.Dir == netdev.TraceOut {
					mu.Lock()
					ports = append(ports, udp.Header(e.Data).DstPort())
					lens = append(lens, len(e.Data)-udp.HeaderLen)
					mu.Unlock()
				}
			})
			if err := sh.Execute(context.Background(), c.line); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			sh.Stack.Tracer.Set(0, nil)
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(ports, c.ports) {
				t.Errorf("probe ports: got %v, want %v", ports, c.ports)
			}
			for _, n := range lens {
				if n != 32 {
					t.Errorf("probe payload %d bytes, want 32", n)
				}
			}
		})
	}
}

// Ctrl-C ends a traceroute waiting for an answer that will not come; the
// hop's line is ended and the shell goes on.
func TestTracerouteStopsOnCancel(t *testing.T) {
	sh, out, _ := simShell(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sh.Execute(ctx, "traceroute -w 60 10.0.0.99") }()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), " 1 "); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("traceroute printed no hop:\n%s", out)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("traceroute after Ctrl-C: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("traceroute did not stop at Ctrl-C")
	}
	if got := out.String(); !strings.HasSuffix(got, " 1 \n") {
		t.Errorf("after Ctrl-C the hop's line is ended: %q", got)
	}
	if err := sh.Execute(context.Background(), "traceroute -m 1 10.0.0.2"); err != nil {
		t.Errorf("the next traceroute: %v", err)
	}
}

func TestTracerouteErrors(t *testing.T) {
	l := newLab(t)                          // no default route
	cases := []struct{ line, want string }{ // the first line; a usage line may follow
		{"traceroute", "traceroute: give one destination host"},
		{"traceroute 10.0.0.2 10.0.0.3", "traceroute: give one destination host"},
		{"traceroute example.org", "traceroute: example.org: Name or service not known (no name server: resolv SERVER sets one)"},
		{"traceroute -m 0 10.0.0.2", "traceroute: -m 0: invalid argument (give a whole number from 1 to 255)"},
		{"traceroute -q 11 10.0.0.2", "traceroute: -q 11: invalid argument (give a whole number from 1 to 10)"},
		{"traceroute -w x 10.0.0.2", "traceroute: -w x: invalid argument (give seconds from 0.001 to 60)"},
		{"traceroute -p 0 10.0.0.2", "traceroute: -p 0: invalid argument (give a whole number from 1 to 65535)"},
		{"traceroute 192.168.7.7", "traceroute: connect: Network is unreachable"},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			err := l.run(t, c.line)
			if err == nil {
				t.Fatalf("%s succeeded, want an error", c.line)
			}
			if got, _, _ := strings.Cut(err.Error(), "\n"); got != c.want {
				t.Errorf("%s: error (-want +got):\n-%s\n+%s", c.line, c.want, got)
			}
		})
	}
}
