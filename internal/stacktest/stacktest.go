// Package stacktest builds the two-host LAN most in-process tests start
// from: two stacks joined by a pipe wire, 10.0.0.1/24 and 10.0.0.2/24 on
// their veth0, each with the MAC stack.MACFor gives its address.
package stacktest

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/udp"
)

// The two hosts' addresses.
var (
	AddrA = netip.MustParsePrefix("10.0.0.1/24")
	AddrB = netip.MustParsePrefix("10.0.0.2/24")
)

// Pair returns stacks a (10.0.0.1) and b (10.0.0.2), made with cfgA and
// cfgB (a fake clock, say), on a pipe wire seeded with seed, and the wire's
// two ends (a's first: make it drop, delay or duplicate). Both stacks are
// closed when the test ends.
func Pair(t testing.TB, seed uint64, cfgA, cfgB stack.Config) (a, b *stack.Stack, ea, eb *pipe.End) {
	t.Helper()
	ea, eb = pipe.New(seed)
	a, b = stack.New(cfgA), stack.New(cfgB)
	t.Cleanup(func() { a.Close(); b.Close() })
	for _, h := range []struct {
		s    *stack.Stack
		end  *pipe.End
		addr netip.Prefix
	}{{a, ea, AddrA}, {b, eb, AddrB}} {
		if _, err := h.s.AddDevice(h.end, netdev.Config{Name: "veth0", MAC: stack.MACFor(h.addr.Addr())}, h.addr); err != nil {
			t.Fatal(err)
		}
	}
	return a, b, ea, eb
}

// RecvString waits up to 5 s for a datagram on s and returns its payload;
// the test fails if none comes.
func RecvString(t testing.TB, s *udp.Socket) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	buf := make([]byte, 2048)
	n, _, err := s.RecvFrom(ctx, buf)
	if err != nil {
		t.Fatalf("no datagram within 5 s: %v", err)
	}
	return string(buf[:n])
}
