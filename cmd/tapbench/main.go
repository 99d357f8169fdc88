//go:build linux

// Command tapbench measures gotapip end to end against the Linux kernel
// and gVisor's netstack.
//
//	tapbench [-duration 3s] [-runs 3] [-windows 1,64] [-json FILE]
//	         [-scenarios icmp-echo,udp-echo,udp-closed,tcp-rx,tcp-tx,
//	                     tcp-rx-loss,tcp-tx-loss,tcp-tx-reorder,tcp-rr]
//	         [-targets kernel,gotapip,gotapip-nooffload,gotapip-packet,gvisor]
//	         [-tcp-duration 10s] [-tcp-runs 1] [-tcp-loss 1] [-tcp-reorder 2]
//	         [-rr-sizes 1,1024] [-rr-conns 1,64] [-gvisor BIN]
//	         [-flows N] [-tapip BIN] [-profile FILE]
//
// It makes network namespaces of its own (tb-PID-client, tb-PID-server,
// tb-PID-stack for gotapip-packet, tb-PID-peer for the loss cells), joined
// to the client by veth pairs,
// and runs in the client namespace a closed-loop load generator with W
// requests outstanding: ICMP echo, UDP echo to port 7, and UDP to a closed
// port (answered by ICMP port unreachable). The targets are the kernel of
// the server namespace (over a veth; UDP echo by a small user-space server)
// and our stack, the tapip binary: on a TAP in the client namespace
// (gotapip), and over AF_PACKET on a veth end in the stack namespace
// (gotapip-packet). Every run reports replies/s, RTT p50/p99, loss, and CPU per
// reply of the stack process and of the whole machine (/proc); the table
// shows the median of the runs and the ratios ours/kernel, and the JSON
// file keeps every run.
//
// The TCP scenarios measure every target, also gotapip-nooffload (tapip
// -offload=false) and gvisor (gVisor's netstack on a TAP of its own,
// gvisor.go), against the client namespace's kernel TCP: bulk throughput
// each way (tcp-rx, tcp-tx; tcpbulk.go), the same through 1% loss or with
// our sends reordered (impair.go), and request/response like netperf's
// TCP_RR (tcp-rr; tcprr.go), with ratios to the kernel and to gVisor
// (tcpreport.go). Traffic goes only to addresses inside its own
// namespaces; every run stops by itself; the namespaces are removed on exit,
// on error and on Ctrl-C.
//
// With -profile FILE it instead runs the ICMP W=64 load against an
// in-process copy of the stack (tapbench -serve-stack) that writes a Go CPU
// profile to FILE.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// maxFlows bounds -flows: ICMP flows take source addresses .101 to .1xx.
const maxFlows = 64

// The targets, in the order the table shows them.
const (
	targetKernel    = "kernel"            // the kernel over a veth pair
	targetTAP       = "gotapip"           // tapip over a TAP
	targetNoOffload = "gotapip-nooffload" // the same, tapip -offload=false
	targetPacket    = "gotapip-packet"    // tapip over AF_PACKET on a veth pair
	targetGVisor    = "gvisor"            // gVisor's netstack over a TAP (TCP only)
)

var allTargets = []string{targetKernel, targetTAP, targetNoOffload, targetPacket, targetGVisor}

// tcpOnly are the targets the ICMP and UDP scenarios leave out: offloads
// do nothing for one-frame requests, and gVisor's program serves TCP only.
var tcpOnly = []string{targetNoOffload, targetGVisor}

// closedLossTimeout caps the loss timeout of udp-closed.
const closedLossTimeout = 5 * time.Millisecond

func main() {
	// Helper modes, started by tapbench itself inside a namespace.
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "-echo-server", "-serve-stack", "-tcp-sink", "-tcp-send", "-tcp-echo":
			os.Exit(helper(os.Args[1], os.Args[2:]))
		}
	}
	os.Exit(run(os.Args[1:]))
}

func helper(mode string, args []string) int {
	fs := flag.NewFlagSet("tapbench "+mode, flag.ContinueOnError)
	life := fs.Duration("max-life", maxLife, "stop after this long")
	profile := fs.String("cpuprofile", "", "CPU profile file (-serve-stack)")
	spin := fs.Duration("busy-poll", 0, "spin this long on read before poll(2) (-serve-stack)")
	if fs.Parse(args) != nil {
		return 2
	}
	var err error
	switch mode {
	case "-echo-server":
		err = echoServer(*life)
	case "-tcp-sink":
		err = tcpSink(*life)
	case "-tcp-echo":
		err = tcpEcho(*life)
	case "-tcp-send":
		if fs.NArg() != 1 {
			return 2
		}
		err = tcpSend(fs.Arg(0), *life)
	default:
		err = serveStack(*profile, *life, *spin)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tapbench %s: %v\n", mode, err)
		return 1
	}
	return 0
}

func run(args []string) int {
	o, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "tapbench:", err)
		return 2
	}
	if os.Geteuid() != 0 {
		fmt.Println("tapbench: the end-to-end run needs root (network namespaces, TAP, raw sockets); skipped")
		return 0
	}
	if _, err := exec.LookPath("ip"); err != nil {
		fmt.Println("tapbench: needs ip(8) from iproute2; skipped")
		return 0
	}
	var stop atomic.Bool
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "tapbench: stopping (cleaning up; again to force)")
		stop.Store(true)
		<-sig
		os.Exit(130) // the children get SIGTERM (Pdeathsig); namespaces go on the next run
	}()
	if err := bench(o, &stop); err != nil {
		fmt.Fprintln(os.Stderr, "tapbench:", err)
		return 1
	}
	return 0
}

func bench(o options, stop *atomic.Bool) error {
	removeStale()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "tapbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.tapip == "" && o.profile == "" {
		o.tapip = filepath.Join(tmp, "tapip")
		if out, err := exec.Command("go", "build", "-o", o.tapip, "./cmd/tapip").CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/tapip (run from the module root, or give -tapip): %v\n%s", err, out)
		}
	}
	withPeer := slices.ContainsFunc(o.tcpScenarios, func(sc string) bool { return strings.HasSuffix(sc, "-loss") })
	topo, err := setupTopology(o.profile == "" && slices.Contains(o.targets, targetPacket), o.profile == "" && withPeer)
	if err != nil {
		return err
	}
	defer topo.cleanup()

	if o.profile != "" {
		return profileRun(o, topo, self, stop)
	}
	var all results
	for _, tname := range o.targets {
		err := measureAll(o, topo, tname, self, stop, &all)
		if err != nil {
			printResults(o, all)
			return err
		}
	}
	return printResults(o, all)
}

// profileRun loads the in-process harness with ICMP W=64 for one run and
// leaves its CPU profile in o.profile.
func profileRun(o options, topo *topology, self string, stop *atomic.Bool) error {
	abs, err := filepath.Abs(o.profile)
	if err != nil {
		return err
	}
	t, err := startStackServer(topo.client, self, abs, o.busyPoll)
	if err != nil {
		return err
	}
	pid, _, _ := t.prepare(scICMPEcho)
	runs, err := measureCell(options{duration: o.duration, runs: 1, flows: o.flows, warmup: o.warmup, lossTimeout: o.lossTimeout},
		topo.client, t.addr(), scICMPEcho, 64, pid, stop)
	fmt.Fprintln(os.Stderr)
	t.stop() // SIGTERM: the harness writes the profile
	if err != nil {
		return err
	}
	fmt.Print(formatTable([]result{{Scenario: scICMPEcho, Target: t.name(), Window: 64, Runs: runs, Median: medianOf(runs)}}))
	fmt.Println("\nCPU profile of the stack process:", abs, "(go tool pprof -top", abs+")")
	return nil
}
