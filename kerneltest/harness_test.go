//go:build linux

package kerneltest

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/tap"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

var icmpOpts = icmp.SendOptions{Size: 56}

// The TOP2 addresses inside each test's namespace.
var (
	stackAddr  = netip.MustParsePrefix("10.0.0.1/24")
	kernelAddr = netip.MustParsePrefix("10.0.0.2/24")
)

// tapHost is our stack on a TAP whose kernel side is in a fresh namespace.
type tapHost struct {
	ns    string
	ifc   string // the TAP's name inside ns
	stack *stack.Stack
	dev   *netdev.NetDev
}

// newTapHost makes the namespace, opens the TAP inside it, gives the kernel
// side 10.0.0.2/24 and our stack 10.0.0.1/24.
func newTapHost(t *testing.T) *tapHost {
	t.Helper()
	return newTapHostWith(t, tap.Options{})
}

// newTapHostWith is newTapHost with the TAP opened with opt.
func newTapHostWith(t *testing.T, opt tap.Options) *tapHost {
	t.Helper()
	nstest.RequireRoot(t)
	h := &tapHost{ns: nstest.NewNetns(t, "gtp"), ifc: "gtap0"}
	// No IPv6 chatter from the kernel: the tests count every frame.
	nstest.Run(t, h.ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1")
	var drv *tap.TAP
	var err error
	nstest.Do(t, h.ns, func() { drv, err = tap.Open(h.ifc, opt) })
	if err != nil {
		t.Fatal(err)
	}
	nstest.Run(t, h.ns, "ip", "addr", "add", kernelAddr.String(), "dev", h.ifc)
	nstest.Run(t, h.ns, "ip", "link", "set", h.ifc, "up")
	h.stack = stack.New(stack.Config{})
	t.Cleanup(h.stack.Close)
	h.dev, err = h.stack.AddDevice(drv, netdev.Config{Name: h.ifc, MAC: stack.MACFor(stackAddr.Addr())}, stackAddr)
	if err != nil {
		drv.Close()
		t.Fatal(err)
	}
	return h
}

// kernelMAC is the MAC of the kernel's side of the TAP.
func (h *tapHost) kernelMAC(t *testing.T) netdev.MAC {
	t.Helper()
	out := nstest.Run(t, h.ns, "cat", "/sys/class/net/"+h.ifc+"/address")
	mac, err := netdev.ParseMAC(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

// ping has our stack ping dst count times and returns how many replies
// came back.
func (h *tapHost) ping(t *testing.T, dst string, count int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pg, err := h.stack.ICMP.NewPinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	got := map[uint16]bool{}
	for seq := 1; seq <= count; seq++ {
		if err := pg.Send(netip.MustParseAddr(dst), uint16(seq), icmpOpts); err != nil {
			t.Fatalf("send: %v", err)
		}
		wait := time.After(time.Second)
	waitReply:
		for !got[uint16(seq)] {
			select {
			case r := <-pg.Replies():
				if r.Err == nil {
					got[r.Seq] = true
				}
			case <-wait:
				break waitReply
			case <-ctx.Done():
				return len(got)
			}
		}
	}
	return len(got)
}

// ipingCount parses iputils ping's "N packets transmitted, M received".
func ipingReceived(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "packets transmitted") {
			return line
		}
	}
	t.Fatalf("no statistics line in ping output:\n%s", out)
	return ""
}

func newShell(h *tapHost, out *syncbuf.Buffer) *shell.Shell { return shellOn(h.stack, out) }

func shellOn(s *stack.Stack, out *syncbuf.Buffer) *shell.Shell { return shell.New(s, out, out) }

func bgCtx() context.Context { return context.Background() }
