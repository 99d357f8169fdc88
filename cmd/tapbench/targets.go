//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/gotapip/gotapip/internal/syncbuf"
)

// A target is a stack under test, answering inside the topology.
type target interface {
	name() string
	addr() [4]byte
	// prepare readies scenario; it returns the PID whose CPU is charged to
	// the target (0: none, the kernel does the work) or why the scenario
	// cannot run ("n/a" in the table).
	prepare(scenario string) (pid int, na string, err error)
	stop()
}

// kernelTarget is the Linux stack in the server namespace over the veth
// pair; UDP echo is served by a small user-space server (tapbench
// -echo-server) running there, TCP by the helpers of tcphelpers.go.
type kernelTarget struct {
	ns   string
	self string
	echo *child // -echo-server
	sink *child // -tcp-sink, once a TCP run needs it
	rr   *child // -tcp-echo
}

func (k *kernelTarget) name() string  { return "kernel" }
func (k *kernelTarget) addr() [4]byte { return ip4(kernelAddr) }

func (k *kernelTarget) prepare(scenario string) (int, string, error) {
	if scenario != scUDPEcho {
		return 0, "", nil
	}
	if k.echo == nil {
		var err error
		if k.echo, err = k.helper("-echo-server"); err != nil {
			return 0, "", fmt.Errorf("echo server: %w", err)
		}
		time.Sleep(200 * time.Millisecond) // it binds port 7 at once
	}
	return k.echo.pid(), "", nil
}

// helper starts tapbench in mode in the server namespace; extra goes
// after the flags.
func (k *kernelTarget) helper(mode string, extra ...string) (*child, error) {
	c := nsCommand(k.ns, append([]string{k.self, mode, "-max-life", maxLife.String()}, extra...)...)
	c.Stderr = os.Stderr
	return startChild(c)
}

func (k *kernelTarget) stop() {
	k.echo.stop()
	k.sink.stop()
	k.rr.stop()
}

// procTarget is our stack in a child process: the tapip binary fed
// commands on stdin (held open so it keeps running), over the TAP gtb0 in
// the client namespace (gotapip, gotapip-nooffload) or over AF_PACKET on
// the veth end tbv3 in the stack namespace (gotapip-packet); or tapbench
// -serve-stack (the profiling harness, on the TAP).
type procTarget struct {
	label  string
	ip     [4]byte // the stack's address
	iface  string  // the device's name in the shell
	cmd    *exec.Cmd
	proc   *child
	stdin  io.WriteCloser
	out    *syncbuf.Buffer // stdout and stderr together
	errs   *syncbuf.Buffer // stderr alone
	udpNA  string          // why UDP echo cannot run, once known
	udpOK  bool
	echoOn bool // snc -k -e runs
}

func (p *procTarget) name() string  { return p.label }
func (p *procTarget) addr() [4]byte { return p.ip }

// tapipConfig is how one of our targets runs tapip.
type tapipConfig struct {
	label string   // the target's name
	ns    string   // the namespace tapip runs in
	dev   string   // -dev: tap:NAME or packet:IFACE
	addr  string   // -addr's address (the prefix is subnetPrefix)
	peer  string   // -peer: the TAP's kernel side (CIDR), or none
	extra []string // more flags; a tapip that refuses them makes the target n/a
}

// The tapip targets.
func tapTarget(client string) tapipConfig {
	return tapipConfig{label: targetTAP, ns: client, dev: "tap:" + tapName, addr: stackAddr, peer: tapPeerAddr + subnetPrefix}
}

// noOffloadTarget is the TAP target with offloads off (-offload=false).
func noOffloadTarget(client string) tapipConfig {
	c := tapTarget(client)
	c.label, c.extra = targetNoOffload, []string{"-offload=false"}
	return c
}

// packetTarget: -peer only configures a TAP's kernel side (stack.OpenDevice
// ignores it for packet), so none.
func packetTarget(stackNS string) tapipConfig {
	return tapipConfig{label: targetPacket, ns: stackNS, dev: "packet:" + packetIface, addr: packetStackAddr, peer: "none"}
}

// startTapip runs tapip as c says and waits until its shell answers (the
// device is open by then).
func startTapip(c tapipConfig, bin string) (*procTarget, error) {
	_, iface, _ := strings.Cut(c.dev, ":")
	p := &procTarget{label: c.label, ip: ip4(c.addr), iface: iface, out: &syncbuf.Buffer{}, errs: &syncbuf.Buffer{}}
	args := append([]string{bin, "-dev", c.dev, "-addr", c.addr + subnetPrefix, "-peer", c.peer, "-no-color"}, c.extra...)
	p.cmd = nsCommand(c.ns, args...)
	// Lift our ICMP error limit, as the kernel's is lifted, so udp-closed
	// measures the stack's error path rather than the limiter.
	err := p.start("sysctl net.ipv4.icmp_msgs_per_sec=1000000\nsysctl net.ipv4.icmp_msgs_burst=1000000\nifconfig "+iface+"\n", iface+":")
	if err != nil && len(c.extra) > 0 && p.proc != nil && p.proc.exited() {
		return nil, naError{fmt.Sprintf("tapip %s: %s", strings.Join(c.extra, " "), firstLine(strings.TrimSpace(p.errs.String())))}
	}
	return p, err
}

// naError says why a target cannot be measured: its cells are n/a.
type naError struct{ reason string }

func (e naError) Error() string { return e.reason }

// startStackServer runs the in-process profiling harness (tapbench
// -serve-stack) the same way.
func startStackServer(ns, self, profile string, spin time.Duration) (*procTarget, error) {
	p := &procTarget{label: "gotapip-prof", ip: ip4(stackAddr), out: &syncbuf.Buffer{}, errs: &syncbuf.Buffer{}, udpNA: "no UDP in the harness"}
	p.cmd = nsCommand(ns, self, "-serve-stack", "-cpuprofile", profile, "-max-life", maxLife.String(), "-busy-poll", spin.String())
	return p, p.start("", "ready")
}

func (p *procTarget) start(probe, want string) error {
	p.cmd.Stdout = p.out
	p.cmd.Stderr = io.MultiWriter(p.out, p.errs)
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return err
	}
	if p.proc, err = startChild(p.cmd); err != nil {
		return fmt.Errorf("%s: %w", p.label, err)
	}
	if probe != "" {
		io.WriteString(p.stdin, probe)
	}
	if !waitFor(5*time.Second, func() bool { return strings.Contains(p.out.String(), want) || p.proc.exited() }) || p.proc.exited() {
		p.stop()
		return fmt.Errorf("%s ended or did not come up in 5 s; its output:\n%s", p.label, p.out.String())
	}
	return nil
}

func (p *procTarget) prepare(scenario string) (int, string, error) {
	if scenario == scUDPEcho && !p.udpOK {
		if p.udpNA != "" {
			return 0, p.udpNA, nil
		}
		// An older tapip has no udp listen: any complaint on
		// stderr within a moment means the scenario is not available.
		before := p.errs.String()
		io.WriteString(p.stdin, "udp listen -e -q 7\n")
		time.Sleep(300 * time.Millisecond)
		if msg := strings.TrimSpace(strings.TrimPrefix(p.errs.String(), before)); msg != "" {
			p.udpNA = firstLine(msg)
			return 0, p.udpNA, nil
		}
		p.udpOK = true
	}
	return p.proc.pid(), "", nil
}

func (p *procTarget) stop() {
	if p.stdin != nil {
		p.stdin.Close()
	}
	p.proc.stop()
}

func waitFor(d time.Duration, ok func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return true
		}
	}
	return ok()
}

func ip4(s string) [4]byte {
	var a [4]byte
	fmt.Sscanf(s, "%d.%d.%d.%d", &a[0], &a[1], &a[2], &a[3])
	return a
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
