//go:build linux

package kerneltest

import (
	"net"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/macvtap"
	"github.com/gotapip/gotapip/stack"
)

// The stack on a macvtap (-dev macvtap:IFACE), with the kernel as the
// other host on the LAN: behind a veth (the macvtap sits on one end, the
// kernel's address on the other), or on a macvlan of the same parent. A
// macvtap in bridge mode cannot be reached from its parent itself, so the
// kernel never holds an address on the parent.

// macvtapLAN is a stack on a macvtap it made in namespace ours, and a
// kernel peer at 10.0.7.2 on kernelIf in namespace theirs.
type macvtapLAN struct {
	ours, theirs, kernelIf string
	h                      *tapHost // theirs and the stack, for the UDP helpers
}

// TestMacvtapVethPeer: veth mv0 (ours, the macvtap's parent) to mv1
// (theirs, the kernel's address).
func TestMacvtapVethPeer(t *testing.T) {
	nstest.RequireRoot(t)
	ours, theirs := macvtapNetns(t)
	vethPair(t, ours, "mv0", theirs, "mv1")
	nstest.Run(t, theirs, "ip", "addr", "add", "10.0.7.2/24", "dev", "mv1")
	runMacvtapLAN(t, ours, theirs, "mv1")
}

// TestMacvtapMacvlanPeer: the kernel on a macvlan in bridge mode on the
// same parent as the macvtap, moved to its own namespace: a LAN with two
// hosts, switched by the parent's macvlan port. The parent is one end of
// a veth pair whose other end stays in ours, up and unaddressed.
func TestMacvtapMacvlanPeer(t *testing.T) {
	nstest.RequireRoot(t)
	ours, theirs := macvtapNetns(t)
	nstest.Run(t, ours, "ip", "link", "add", "mv0", "type", "veth", "peer", "name", "mvwire")
	nstest.Run(t, ours, "ip", "link", "set", "mvwire", "up")
	nstest.Run(t, ours, "ip", "link", "set", "mv0", "up")
	nstest.Run(t, ours, "ip", "link", "add", "link", "mv0", "name", "mvl0", "netns", theirs, "type", "macvlan", "mode", "bridge")
	nstest.Run(t, theirs, "ip", "addr", "add", "10.0.7.2/24", "dev", "mvl0")
	nstest.Run(t, theirs, "ip", "link", "set", "mvl0", "up")
	runMacvtapLAN(t, ours, theirs, "mvl0")
}

func macvtapNetns(t *testing.T) (ours, theirs string) {
	ours, theirs = nstest.NewNetns(t, "gtmv"), nstest.NewNetns(t, "gtmv")
	for _, ns := range []string{ours, theirs} {
		nstest.Run(t, ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1")
	}
	return ours, theirs
}

// runMacvtapLAN opens macvtap:mv0 in ours for a stack at 10.0.7.1 and runs
// every exchange with the kernel at 10.0.7.2; then it closes the stack and
// checks that the macvtap went with it.
func runMacvtapLAN(t *testing.T, ours, theirs, kernelIf string) {
	s := stack.New(stack.Config{})
	closed := false
	t.Cleanup(func() {
		if !closed {
			s.Close()
		}
	})
	var dev *netdev.NetDev
	var err error
	nstest.Do(t, ours, func() {
		dev, err = s.OpenDevice(stack.DeviceSpec{Kind: "macvtap", Iface: "mv0"}, stack.DeviceOptions{Addr: netip.MustParsePrefix("10.0.7.1/24")})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := stack.MACFor(netip.MustParseAddr("10.0.7.1")); dev.MAC() != want || dev.Kind() != "macvtap" {
		t.Fatalf("device %s (%s) has MAC %v, want %v", dev.Name(), dev.Kind(), dev.MAC(), want)
	}
	link := nstest.Run(t, ours, "ip", "-d", "-o", "link", "show", dev.Name())
	for _, want := range []string{"macvtap mode bridge", "@mv0", dev.MAC().String()} {
		if !strings.Contains(link, want) {
			t.Errorf("ip link show %s lacks %q:\n%s", dev.Name(), want, link)
		}
	}
	l := &macvtapLAN{ours: ours, theirs: theirs, kernelIf: kernelIf, h: &tapHost{ns: theirs, stack: s, dev: dev}}
	l.pings(t)
	l.arpings(t)
	l.udp(t)
	l.tcp(t)

	closed = true
	s.Close()
	if out, err := nstest.Exec(ours, "ip", "link", "show", dev.Name()); err == nil {
		t.Errorf("the macvtap %s is still there after the stack closed:\n%s", dev.Name(), out)
	}
	if nodes := leftoverNodes(t); len(nodes) != 0 {
		t.Errorf("device nodes left behind in /dev: %v", nodes)
	}
}

// pings: the kernel pings us and we ping it; the kernel's neighbour table
// then holds our own MAC.
func (l *macvtapLAN) pings(t *testing.T) {
	out := nstest.Run(t, l.theirs, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.7.1")
	if got := ipingReceived(t, out); !strings.HasPrefix(got, "3 packets transmitted, 3 received") {
		t.Errorf("kernel pings us over the macvtap: %s", got)
	}
	var buf syncbuf.Buffer
	if err := shellOn(l.h.stack, &buf).Execute(bgCtx(), "ping -c 3 -i 0.2 -W 2 10.0.7.2"); err != nil || !strings.Contains(buf.String(), "3 packets transmitted, 3 received") {
		t.Errorf("we ping the kernel over the macvtap: %v\n%s", err, buf.String())
	}
	neigh := nstest.Run(t, l.theirs, "ip", "neigh", "show", "10.0.7.1", "dev", l.kernelIf)
	if !strings.Contains(neigh, "lladdr "+l.h.dev.MAC().String()) {
		t.Errorf("the kernel's neighbour entry for us is not our MAC %v: %q", l.h.dev.MAC(), neigh)
	}
}

// arpings: iputils arping from the kernel, and the shell's arping to it,
// each answered with the other's MAC.
func (l *macvtapLAN) arpings(t *testing.T) {
	out := nstest.Run(t, l.theirs, "arping", "-c", "2", "-w", "5", "-I", l.kernelIf, "10.0.7.1")
	ours := strings.ToUpper(l.h.dev.MAC().String())
	if !strings.Contains(out, "reply from 10.0.7.1 ["+ours+"]") || !strings.Contains(out, "Received 2 response(s)") {
		t.Errorf("kernel arping to us: want 2 replies from %s:\n%s", ours, out)
	}
	kmac := strings.ToUpper(strings.TrimSpace(nstest.Run(t, l.theirs, "cat", "/sys/class/net/"+l.kernelIf+"/address")))
	var buf syncbuf.Buffer
	err := shellOn(l.h.stack, &buf).Execute(bgCtx(), "arping -c 2 10.0.7.2")
	re := regexp.MustCompile(`(?m)^Unicast reply from 10\.0\.7\.2 \[` + regexp.QuoteMeta(kmac) + `\]`)
	if err != nil || !re.MatchString(buf.String()) || !strings.Contains(buf.String(), "Received 2 response(s)") {
		t.Errorf("our arping to the kernel: %v; want 2 replies from %s:\n%s", err, kmac, buf.String())
	}
}

// udp: datagrams both ways between a kernel socket and ours, small and a
// 1472-byte one (a 1500-byte IP packet), every checksum good (the kernel
// leaves them partial on a veth or macvlan; the driver finishes them).
func (l *macvtapLAN) udp(t *testing.T) {
	s := l.h.stack
	sock := stackListen(t, l.h, "10.0.7.1:7000")
	kc := kernelUDP(t, l.h, "", "10.0.7.1:7000")
	big := strings.Repeat("0123456789abcdef", 92) // 1472 bytes
	for _, msg := range []string{"from the kernel", big} {
		if _, err := kc.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		if got, from := stackRecv(t, sock); string(got) != msg || from.Addr().String() != "10.0.7.2" {
			t.Errorf("stack received %d bytes from %v, want the kernel's %d", len(got), from, len(msg))
		}
	}
	kaddr := netip.MustParseAddrPort(kc.LocalAddr().String())
	reply := make([]byte, 2048)
	for _, msg := range []string{"from the stack", big} {
		if _, err := sock.SendTo([]byte(msg), kaddr); err != nil {
			t.Fatal(err)
		}
		if n, err := kc.Read(reply); err != nil || string(reply[:n]) != msg {
			t.Errorf("kernel socket read %d bytes (%v), want the stack's %d", n, err, len(msg))
		}
	}
	if n := s.UDP.Stats.InCsumErrors.Load(); n != 0 {
		t.Errorf("%d UDP datagrams from the kernel failed their checksum", n)
	}
	st := l.h.dev.Driver().(*macvtap.Macvtap).Stats()
	// Both of the kernel's datagrams came with their checksum left to the
	// "hardware" (TUN_F_CSUM): the driver's finishing is what made them good.
	if n := st.RxCsumFinished.Load(); n < 2 {
		t.Errorf("the driver finished %d checksums, want the kernel's 2 datagrams (offload off on the peer?)", n)
	}
	if n := st.RxGSO.Load() + st.RxBadCsum.Load() + st.RxTruncated.Load() + st.RxBadFrame.Load(); n != 0 {
		t.Errorf("the driver dropped %d frames", n)
	}
}

// tcp: 4 MB each way at once between a kernel socket and ours, both
// connecting directions, SHA-256 at both ends; nothing dropped by the
// driver (the kernel segments its TCP for a macvtap without TSO).
func (l *macvtapLAN) tcp(t *testing.T) {
	ln := kernelListen(t, l.h, "10.0.7.2:7600")
	ours, theirs := stackDialKernel(t, l.h, ln)
	stacktest.Transfer(t, ours, theirs, 4<<20)
	ours.Close()
	theirs.Close()

	sl, err := l.h.stack.Listen("tcp", ":7601")
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	accepted := make(chan net.Conn, 1)
	go func() { c, _ := sl.Accept(); accepted <- c }()
	theirs, err = kernelDial(t, l.h, "10.0.7.1:7601")
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	if ours = <-accepted; ours == nil {
		t.Fatal("accept failed")
	}
	defer ours.Close()
	stacktest.Transfer(t, ours, theirs, 4<<20)
	st := l.h.dev.Driver().(*macvtap.Macvtap).Stats()
	if n := st.RxGSO.Load() + st.RxBadCsum.Load() + st.RxTruncated.Load() + st.RxBadFrame.Load(); n != 0 {
		t.Errorf("the driver dropped %d frames during the TCP transfers (GSO %d)", n, st.RxGSO.Load())
	}
}

// leftoverNodes lists the device nodes the macvtap driver makes (and
// should have removed) that are still in /dev.
func leftoverNodes(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/dev")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".gotapip-") {
			left = append(left, e.Name())
		}
	}
	return left
}

// The program as a user runs it: tapip -dev macvtap:mv0 pings the kernel
// and, on exit, leaves no macvtap behind; -peer is refused with a macvtap,
// which has no kernel side of its own to address.
func TestCLIMacvtap(t *testing.T) {
	nstest.RequireRoot(t)
	ours, theirs := macvtapNetns(t)
	vethPair(t, ours, "mv0", theirs, "mv1")
	nstest.Run(t, theirs, "ip", "addr", "add", "10.0.7.2/24", "dev", "mv1")
	out, errOut, status := runTapip(t, ours, "", "-dev", "macvtap:mv0", "-addr", "10.0.7.1/24",
		"-c", "ping -c 2 -i 0.2 -W 2 10.0.7.2; netdev")
	if status != 0 || !strings.Contains(out, "2 packets transmitted, 2 received") || !regexp.MustCompile(`(?m)^mvtap0\s+macvtap\s+02:00:0a:00:07:01`).MatchString(out) {
		t.Errorf("tapip -dev macvtap:mv0: status %d\n%s%s", status, out, errOut)
	}
	if links := nstest.Run(t, ours, "ip", "-o", "link", "show"); strings.Contains(links, "mvtap") {
		t.Errorf("a macvtap is left after tapip exited:\n%s", links)
	}
	if nodes := leftoverNodes(t); len(nodes) != 0 {
		t.Errorf("device nodes left behind in /dev: %v", nodes)
	}
	// netdev add and del from the shell; a peer there is refused as well.
	out, errOut, _ = runTapip(t, ours, "", "-dev", "sim", "-c",
		"netdev add macvtap:mv0 10.0.7.1/24 peer 10.0.7.2/24; netdev add macvtap:mv0 10.0.7.1/24; ping -c 1 -W 2 10.0.7.2; netdev del mvtap0; netdev")
	if !strings.Contains(errOut, "does not apply") || !strings.Contains(out, "mvtap0: added (macvtap, 02:00:0a:00:07:01)") ||
		!strings.Contains(out, "1 packets transmitted, 1 received") || strings.Contains(out[strings.LastIndex(out, "Iface"):], "mvtap0") {
		t.Errorf("netdev add/del macvtap:\n%s%s", out, errOut)
	}
	if links := nstest.Run(t, ours, "ip", "-o", "link", "show"); strings.Contains(links, "mvtap") {
		t.Errorf("a macvtap is left after netdev del:\n%s", links)
	}
	_, errOut, status = runTapip(t, ours, "", "-dev", "macvtap:mv0", "-peer", "10.0.7.2/24", "-c", "netdev")
	if status != 1 || !strings.Contains(errOut, "peer 10.0.7.2/24 does not apply") {
		t.Errorf("-peer with a macvtap: status %d, stderr %q; want 1 and a refusal", status, errOut)
	}
	if links := nstest.Run(t, ours, "ip", "-o", "link", "show"); strings.Contains(links, "mvtap") {
		t.Errorf("the refused start left a macvtap:\n%s", links)
	}
}
