//go:build linux

package kerneltest

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/packet"
	"github.com/gotapip/gotapip/stack"
)

// vethPair joins namespaces a and b with a veth pair (nameA in a, nameB in b),
// both ends up.
func vethPair(t *testing.T, a, nameA, b, nameB string) {
	t.Helper()
	nstest.Run(t, a, "ip", "link", "add", nameA, "type", "veth", "peer", "name", nameB, "netns", b)
	nstest.Run(t, a, "ip", "link", "set", nameA, "up")
	nstest.Run(t, b, "ip", "link", "set", nameB, "up")
}

// packetStack opens the packet driver on pk0 in namespace ns and gives
// it a stack of its own at 10.0.5.1/24.
func packetStack(t *testing.T, ns string) (*stack.Stack, *netdev.NetDev, *packet.Packet) {
	t.Helper()
	var drv *packet.Packet
	var err error
	nstest.Do(t, ns, func() { drv, err = packet.Open("pk0") })
	if err != nil {
		t.Fatal(err)
	}
	s := stack.New(stack.Config{})
	t.Cleanup(s.Close)
	dev, err := s.OpenDriver(drv, "pk0", stack.DeviceOptions{Addr: netip.MustParsePrefix("10.0.5.1/24")})
	if err != nil {
		t.Fatal(err)
	}
	return s, dev, drv
}

// The packet driver takes over one end of a veth pair (no kernel address on
// it); the kernel on the other end pings us and we ping it, and UDP crosses
// both ways between its sockets and ours, small and MTU-sized.
func TestPacketDriverAgainstKernel(t *testing.T) {
	nstest.RequireRoot(t)
	ours, theirs := nstest.NewNetns(t, "gtpk"), nstest.NewNetns(t, "gtpk")
	for _, ns := range []string{ours, theirs} {
		nstest.Run(t, ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1")
	}
	vethPair(t, ours, "pk0", theirs, "pk1")
	nstest.Run(t, theirs, "ip", "addr", "add", "10.0.5.2/24", "dev", "pk1")
	// pk1 keeps its tx checksum offload: the kernel's UDP checksums arrive
	// partial, and the driver finishes them.

	s, dev, drv := packetStack(t, ours)
	if want := drv.HardwareAddr(); dev.MAC() != want {
		t.Errorf("device MAC %v, want the interface's own %v", dev.MAC(), want)
	}
	out := nstest.Run(t, theirs, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.5.1")
	if got := ipingReceived(t, out); !strings.HasPrefix(got, "3 packets transmitted, 3 received") {
		t.Errorf("kernel pings us over the packet driver: %s", got)
	}
	var buf syncbuf.Buffer
	if err := shellOn(s, &buf).Execute(bgCtx(), "ping -c 3 -i 0.2 -W 2 10.0.5.2"); err != nil || !strings.Contains(buf.String(), "3 packets transmitted, 3 received") {
		t.Errorf("we ping the kernel over the packet driver: %v\n%s", err, buf.String())
	}

	h := &tapHost{ns: theirs, stack: s, dev: dev} // the UDP helpers need only these
	sock := stackListen(t, h, "10.0.5.1:7000")
	kc := kernelUDP(t, h, "", "10.0.5.1:7000")
	if _, err := kc.Write([]byte("from the kernel")); err != nil {
		t.Fatal(err)
	}
	if got, from := stackRecv(t, sock); string(got) != "from the kernel" || from.Addr().String() != "10.0.5.2" {
		t.Errorf("stack received %q from %v", got, from)
	}
	big := []byte(strings.Repeat("0123456789abcdef", 92)) // 1472 bytes: a 1500-byte datagram
	if _, err := kc.Write(big); err != nil {
		t.Fatal(err)
	}
	if got, _ := stackRecv(t, sock); string(got) != string(big) {
		t.Errorf("stack received %d bytes, want the kernel's %d", len(got), len(big))
	}
	if n := s.UDP.Stats.InCsumErrors.Load(); n != 0 {
		t.Errorf("%d UDP datagrams from the kernel failed their checksum", n)
	}
	if _, err := sock.SendTo([]byte("from the stack"), netip.MustParseAddrPort(kc.LocalAddr().String())); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 64)
	if n, err := kc.Read(reply); err != nil || string(reply[:n]) != "from the stack" {
		t.Errorf("kernel socket read %q, %v", reply[:n], err)
	}
}

// tapip's TOP1: brcfg.sh bridges a TAP with the "eth0" of a host namespace,
// whose LAN (another namespace) has the gateway 10.20.133.20 routing to a
// further subnet. tapip with -peer none -gw reaches the gateway and a host
// behind it; brcfg.sh close leaves nothing behind.
func TestBridgedTOP1WithBrcfg(t *testing.T) {
	nstest.RequireRoot(t)
	brcfg, err := filepath.Abs("../scripts/brcfg.sh")
	if err != nil {
		t.Fatal(err)
	}
	host, lan, far := nstest.NewNetns(t, "gttop1"), nstest.NewNetns(t, "gttop1"), nstest.NewNetns(t, "gttop1")
	vethPair(t, host, "eth0", lan, "lan0")
	vethPair(t, lan, "lan1", far, "far0")
	nstest.Run(t, lan, "ip", "addr", "add", "10.20.133.20/24", "dev", "lan0")
	nstest.Run(t, lan, "ip", "addr", "add", "10.20.134.1/24", "dev", "lan1")
	nstest.Run(t, lan, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	nstest.Run(t, far, "ip", "addr", "add", "10.20.134.2/24", "dev", "far0")
	nstest.Run(t, far, "ip", "route", "add", "default", "via", "10.20.134.1")

	t.Cleanup(func() { nstest.Exec(host, brcfg, "close") })
	nstest.Run(t, host, brcfg, "open")
	out, errOut, status := runTapip(t, host, "", "-dev", "tap:tap0", "-peer", "none",
		"-addr", "10.20.133.10/24", "-gw", "10.20.133.20",
		"-c", "ping -c 2 -i 0.2 -W 2 10.20.133.20; ping -c 2 -i 0.2 -W 2 10.20.134.2")
	if status != 0 {
		t.Fatalf("tapip on the bridged TAP: status %d\n%s%s", status, out, errOut)
	}
	for _, want := range []string{"64 bytes from 10.20.133.20: icmp_seq=2 ttl=64", "64 bytes from 10.20.134.2: icmp_seq=2 ttl=63"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := nstest.Exec(host, "ip", "link", "show", "tap0"); err != nil {
		t.Errorf("tapip removed brcfg.sh's persistent tap0 on exit: %v", err)
	}
	nstest.Run(t, host, brcfg, "close")
	nstest.Run(t, host, brcfg, "close") // twice: harmless
	links := nstest.Run(t, host, "ip", "-o", "link", "show")
	if strings.Contains(links, "tap0") || strings.Contains(links, "br0") {
		t.Errorf("brcfg.sh close left devices behind:\n%s", links)
	}
}
