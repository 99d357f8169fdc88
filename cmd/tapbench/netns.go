//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// nsPrefix starts the name of every namespace tapbench makes:
// tb-PID-ROLE, so a leftover from a crashed run can be told apart and
// removed by the next one (see removeStale).
const nsPrefix = "tb-"

// netnsName names the namespace for role in this process.
func netnsName(role string) string {
	return fmt.Sprintf("%s%d-%s", nsPrefix, os.Getpid(), role)
}

// ownerPID returns the PID inside a tapbench namespace name, or 0.
func ownerPID(name string) int {
	rest, ok := strings.CutPrefix(name, nsPrefix)
	if !ok {
		return 0
	}
	pid, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// removeStale deletes tapbench namespaces whose owning process is gone
// (left by a run that was killed with SIGKILL).
func removeStale() {
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range ents {
		pid := ownerPID(e.Name())
		if pid == 0 || pid == os.Getpid() {
			continue
		}
		if err := unix.Kill(pid, 0); err == unix.ESRCH {
			exec.Command("ip", "netns", "delete", e.Name()).Run()
		}
	}
}

// ipCmd runs ip(8) with args and returns an error quoting its output.
func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// nsExec runs cmd inside namespace ns (ip netns exec).
func nsExec(ns string, cmd ...string) error {
	return ipCmd(append([]string{"netns", "exec", ns}, cmd...)...)
}

// nsCommand is an exec.Cmd that runs argv inside ns. ip netns exec execs
// argv in place, so the child's PID is argv's PID. The child gets SIGTERM
// if tapbench dies, and has a process group of its own: Ctrl-C reaches
// tapbench only, which stops the child.
func nsCommand(ns string, argv ...string) *exec.Cmd {
	c := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
	return c
}

// nsOutput runs cmd inside ns and returns its output.
func nsOutput(ns string, cmd ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, cmd...)...).CombinedOutput()
	return string(out), err
}

// inNetns runs f on an OS thread that has joined namespace ns and returns
// f's error. Sockets f opens stay in ns for their whole life. If the thread
// cannot go back to its namespace it stays locked, so the runtime destroys
// it instead of reusing it.
func inNetns(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open own netns: %w", err)
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open netns %s: %w", ns, err)
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ferr := f()
		if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

// topology is the namespaces and links of one tapbench run:
//
//	client ns: tapbench's sockets; veth tbv0 10.77.1.2/24; TAP gtb0 10.77.0.2/24;
//	           veth tbv2 10.77.2.2/24 (offloads on, as tbv0); TAP gvb0
//	           10.77.3.2/24 (made by the gVisor target, gvisor.go); veth
//	           tbv9 10.77.9.1/24 toward the peer ns (impair.go)
//	server ns: veth tbv1 10.77.1.1/24 (the kernel target)
//	stack ns:  veth tbv3, up, no address (gotapip-packet: tapip -dev packet:tbv3)
//	peer ns:   veth tbv8 10.77.9.2/24: the kernel's TCP end of the loss cells
//	our stack: 10.77.0.1 behind gtb0 (made by tapip inside the client ns);
//	           10.77.2.1 on tbv3 (tapip in the stack ns)
//	gVisor:    10.77.3.1 behind gvb0 (in the client ns)
//
// The stack namespace and the second veth pair exist only when the
// gotapip-packet target is measured, the peer namespace only when a loss
// cell is.
type topology struct {
	client, server string
	stack          string // "" when not made
	peer           string // "" when not made (impair.go)
	made           []string
}

const (
	tapName      = "gtb0"
	stackAddr    = "10.77.0.1"
	tapPeerAddr  = "10.77.0.2"
	kernelAddr   = "10.77.1.1"
	clientVeth   = "10.77.1.2"
	subnetPrefix = "/24"

	// gotapip-packet: tapip takes packetIface over with AF_PACKET.
	packetIface      = "tbv3" // in the stack ns
	packetClientDev  = "tbv2" // its peer, in the client ns
	packetStackAddr  = "10.77.2.1"
	packetClientAddr = "10.77.2.2"
)

// clientDev is the client namespace's interface toward target address dst:
// each target has a subnet of its own on an interface of its own.
func clientDev(dst [4]byte) string {
	switch dst {
	case ip4(stackAddr):
		return tapName
	case ip4(packetStackAddr):
		return packetClientDev
	case ip4(gvisorAddr):
		return gvisorTap
	}
	return "tbv0"
}

// setupTopology makes the namespaces and the veth pairs (the stack
// namespace only if withPacket, the peer namespace only if withPeer). On
// error what was made is already removed.
func setupTopology(withPacket, withPeer bool) (*topology, error) {
	t := &topology{client: netnsName("client"), server: netnsName("server")}
	err := t.build()
	if err == nil && withPacket {
		err = t.buildPacket()
	}
	if err == nil && withPeer {
		err = t.buildPeer()
	}
	if err != nil {
		t.cleanup()
	}
	return t, err
}

// addNetns makes namespace ns with lo up and IPv6 off (inherited by the
// interfaces made in it later).
func (t *topology) addNetns(ns string) error {
	if err := ipCmd("netns", "add", ns); err != nil {
		return err
	}
	t.made = append(t.made, ns)
	for _, c := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		// No IPv6 chatter (router solicitations, MLD) on the links we measure.
		{"sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
	} {
		if err := nsExec(ns, c...); err != nil {
			return err
		}
	}
	return nil
}

func (t *topology) build() error {
	for _, ns := range []string{t.client, t.server} {
		if err := t.addNetns(ns); err != nil {
			return err
		}
	}
	// The veth pair is created straight into the two namespaces: the
	// host's interface list is never touched.
	steps := [][]string{
		{"link", "add", "tbv0", "netns", t.client, "type", "veth", "peer", "name", "tbv1", "netns", t.server},
		{"-n", t.client, "addr", "add", clientVeth + subnetPrefix, "dev", "tbv0"},
		{"-n", t.server, "addr", "add", kernelAddr + subnetPrefix, "dev", "tbv1"},
		{"-n", t.client, "link", "set", "tbv0", "up"},
		{"-n", t.server, "link", "set", "tbv1", "up"},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			return err
		}
	}
	// Port unreachable from the kernel at full speed: no per-peer limit and
	// a global bucket far above what we send, so udp-closed measures its
	// error path. Ours is fixed at 1000/s, burst 50 (icmp/errors.go): there
	// the scenario measures that limit (see doc/performance.md).
	return nsExec(t.server, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0",
		"net.ipv4.icmp_msgs_per_sec=10000000", "net.ipv4.icmp_msgs_burst=10000000")
}

// buildPacket makes the stack namespace and the veth pair tbv2 (client,
// 10.77.2.2/24) -- tbv3 (stack ns, up, no address: the kernel there must
// not answer ARP or ICMP for frames meant for our stack). tbv2 keeps its
// offloads, as tbv0 does for the kernel target: the UDP checksums it
// leaves for the "hardware" (CHECKSUM_PARTIAL) the packet driver finishes.
func (t *topology) buildPacket() error {
	t.stack = netnsName("stack")
	if err := t.addNetns(t.stack); err != nil {
		return err
	}
	steps := [][]string{
		{"link", "add", packetClientDev, "netns", t.client, "type", "veth", "peer", "name", packetIface, "netns", t.stack},
		{"-n", t.client, "addr", "add", packetClientAddr + subnetPrefix, "dev", packetClientDev},
		// TCP in segments of one MSS toward the packet driver, which drops
		// GSO super-frames until the stack has TCP offloads (netdev/packet's
		// doc); over the TAP (no TUNSETOFFLOAD) the client's kernel does the
		// same. Checksum offload stays on.
		{"-n", t.client, "link", "set", packetClientDev, "gso_max_segs", "1"},
		{"-n", t.client, "link", "set", packetClientDev, "up"},
		{"-n", t.stack, "link", "set", packetIface, "up"},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			return err
		}
	}
	// IPv6 is off namespace-wide already (default, inherited); say it for
	// this interface too, as netdev/packet's doc asks.
	return nsExec(t.stack, "sysctl", "-qw", "net.ipv6.conf."+packetIface+".disable_ipv6=1")
}

// cleanup deletes every namespace made (and the interfaces in them).
func (t *topology) cleanup() {
	for _, ns := range t.made {
		if err := ipCmd("netns", "delete", ns); err != nil {
			fmt.Fprintln(os.Stderr, "tapbench: cleanup:", err)
		}
	}
	t.made = nil
}

// addFlowSources gives the client's interface toward dst (the TAP or the
// second veth for our stack, the first veth for the kernel) the extra
// source addresses of ICMP flows 1 to flows-1 (flowSource). They stay until
// the namespace goes.
func addFlowSources(ns string, dst [4]byte, flows int) error {
	dev := clientDev(dst)
	for f := 1; f < flows; f++ {
		a := flowSource(dst, f)
		if err := ipCmd("-n", ns, "addr", "replace", fmt.Sprintf("%d.%d.%d.%d%s", a[0], a[1], a[2], a[3], subnetPrefix), "dev", dev); err != nil {
			return err
		}
	}
	return nil
}
