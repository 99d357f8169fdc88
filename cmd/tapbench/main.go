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
	"strconv"
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

type options struct {
	duration, lossTimeout, warmup time.Duration
	runs, flows                   int
	windows                       []int
	scenarios, targets            []string
	tcpScenarios                  []string // bulkScenarios and tcp-rr: no window
	tcpDuration                   time.Duration
	tcpRuns, lossPct, reorderPct  int
	rrSizes, rrConns              []int
	jsonPath, tapip, profile      string
	gvisor                        string
	busyPoll                      time.Duration
}

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

func parseFlags(args []string) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("tapbench", flag.ContinueOnError)
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "sending time of one request/response run (ICMP, UDP, tcp-rr)")
	fs.IntVar(&o.runs, "runs", 3, "runs per request/response cell; the table shows their median")
	fs.IntVar(&o.flows, "flows", 1, "flows the requests take turns on: UDP source ports, ICMP source addresses")
	windows := fs.String("windows", "1,64", "requests outstanding (comma-separated)")
	all := append([]string{scICMPEcho, scUDPEcho, scUDPClosed}, append(bulkScenarios, scTCPRR)...)
	scenarios := fs.String("scenarios", strings.Join(all, ","), "what to send")
	targets := fs.String("targets", strings.Join(allTargets, ","), "whom to measure")
	fs.DurationVar(&o.tcpDuration, "tcp-duration", 10*time.Second, "time of one TCP bulk run")
	fs.IntVar(&o.tcpRuns, "tcp-runs", 1, "runs per TCP bulk cell; the table shows their median")
	fs.IntVar(&o.lossPct, "tcp-loss", 1, "percent of TCP segments dropped each way in the -loss cells")
	fs.IntVar(&o.reorderPct, "tcp-reorder", 2, "percent of our frames sent after the next one in tcp-tx-reorder")
	rrSizes := fs.String("rr-sizes", "1,1024", "tcp-rr request and response sizes in bytes (comma-separated)")
	rrConns := fs.String("rr-conns", "1,64", "tcp-rr connections, one transaction outstanding on each (comma-separated)")
	fs.StringVar(&o.gvisor, "gvisor", "bin/gvisor-target", "the gVisor target program (make gvisor-target)")
	fs.DurationVar(&o.lossTimeout, "loss-timeout", 200*time.Millisecond, "a request unanswered this long is lost and replaced")
	fs.DurationVar(&o.warmup, "warmup", 200*time.Millisecond, "unmeasured load before each run (ARP, caches)")
	fs.StringVar(&o.jsonPath, "json", "bench-results/e2e.json", "write the results here")
	fs.StringVar(&o.tapip, "tapip", "", "tapip binary (default: go build ./cmd/tapip)")
	fs.StringVar(&o.profile, "profile", "", "profile the in-process stack under ICMP W=64 into this file instead")
	fs.DurationVar(&o.busyPoll, "busy-poll", 0, "with -profile: the harness polls as tapip -poll busy does, spinning this long after the last frame")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.duration <= 0 || o.duration > 5*time.Minute || o.runs < 1 || o.runs > 50 {
		return o, errors.New("-duration must be in (0, 5m] and -runs in [1, 50]")
	}
	if o.tcpDuration <= 0 || o.tcpDuration > 5*time.Minute || o.tcpRuns < 1 || o.tcpRuns > 50 {
		return o, errors.New("-tcp-duration must be in (0, 5m] and -tcp-runs in [1, 50]")
	}
	if o.lossPct < 1 || o.lossPct > 50 || o.reorderPct < 1 || o.reorderPct > 50 {
		return o, errors.New("-tcp-loss and -tcp-reorder must be whole percents in [1, 50]")
	}
	if o.flows < 1 || o.flows > maxFlows {
		return o, fmt.Errorf("-flows must be in [1, %d]", maxFlows)
	}
	var err error
	if o.windows, err = parseInts("-windows", *windows, 4096); err != nil {
		return o, err
	}
	if o.rrSizes, err = parseInts("-rr-sizes", *rrSizes, 1<<20); err != nil {
		return o, err
	}
	if o.rrConns, err = parseInts("-rr-conns", *rrConns, 1024); err != nil {
		return o, err
	}
	for _, s := range strings.Split(*scenarios, ",") {
		switch {
		case s == scICMPEcho || s == scUDPEcho || s == scUDPClosed:
			o.scenarios = append(o.scenarios, s)
		case s == scTCPRR || slices.Contains(bulkScenarios, s):
			o.tcpScenarios = append(o.tcpScenarios, s)
		default:
			return o, fmt.Errorf("-scenarios: unknown %q", s)
		}
	}
	o.targets = strings.Split(*targets, ",")
	for _, t := range o.targets {
		if !slices.Contains(allTargets, t) {
			return o, fmt.Errorf("-targets: unknown %q (%s)", t, strings.Join(allTargets, ", "))
		}
	}
	return o, nil
}

// parseInts parses a comma-separated list of whole numbers in [1, hi].
func parseInts(name, list string, hi int) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > hi {
			return nil, fmt.Errorf("%s: %q is not a whole number in [1, %d]", name, s, hi)
		}
		out = append(out, n)
	}
	return out, nil
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

// results is everything measured, target by target.
type results struct {
	udp  []result    // ICMP and UDP
	bulk []tcpResult // TCP bulk
	rr   []rrResult  // TCP request/response
}

// startTarget starts the target named tname; a naError says why it
// cannot run.
func startTarget(o options, topo *topology, tname, self string) (target, error) {
	switch tname {
	case targetKernel:
		return &kernelTarget{ns: topo.server, self: self}, nil
	case targetPacket:
		return startTapip(packetTarget(topo.stack), o.tapip)
	case targetNoOffload:
		return startTapip(noOffloadTarget(topo.client), o.tapip)
	case targetGVisor:
		return newGVisorTarget(o.gvisor, topo.client)
	}
	return startTapip(tapTarget(topo.client), o.tapip)
}

// measureAll runs the request/response scenarios and then the TCP ones
// against the target named tname, each on a target of its own: tapip's
// udp listen (udp-echo) holds its script until it ends, so the snc
// commands of the TCP runs go to a fresh tapip.
func measureAll(o options, topo *topology, tname, self string, stop *atomic.Bool, all *results) error {
	if len(o.scenarios) > 0 && !slices.Contains(tcpOnly, tname) {
		t, err := startTarget(o, topo, tname, self)
		if err != nil {
			return err
		}
		rs, err := measureTarget(o, topo, t, stop)
		all.udp = append(all.udp, rs...)
		t.stop()
		if err != nil {
			return err
		}
	}
	if len(o.tcpScenarios) == 0 {
		return nil
	}
	t, err := startTarget(o, topo, tname, self)
	var na naError
	if errors.As(err, &na) {
		all.addNA(o, tname, na.reason)
		return nil
	}
	if err != nil {
		return err
	}
	defer t.stop()
	for _, sc := range o.tcpScenarios {
		if stop.Load() {
			return nil
		}
		if sc == scTCPRR {
			rs, err := measureRR(o, topo, t, self, stop)
			all.rr = append(all.rr, rs...)
			if err != nil {
				return err
			}
			continue
		}
		r, err := measureBulkCell(o, topo, t, self, sc, stop)
		all.bulk = append(all.bulk, r)
		if err != nil {
			return err
		}
	}
	return nil
}

// addNA records every TCP cell of target tname as n/a for reason.
func (all *results) addNA(o options, tname, reason string) {
	for _, sc := range o.tcpScenarios {
		if sc != scTCPRR {
			all.bulk = append(all.bulk, tcpResult{Scenario: sc, Target: tname, NA: reason})
			continue
		}
		for _, size := range o.rrSizes {
			for _, conns := range o.rrConns {
				all.rr = append(all.rr, rrResult{Target: tname, Size: size, Conns: conns, NA: reason})
			}
		}
	}
}

// measureTarget runs every scenario and window against t.
func measureTarget(o options, topo *topology, t target, stop *atomic.Bool) ([]result, error) {
	var rs []result
	for _, sc := range o.scenarios {
		pid, na, err := t.prepare(sc)
		if err != nil {
			return rs, err
		}
		for _, w := range o.windows {
			res := result{Scenario: sc, Target: t.name(), Window: w, NA: na}
			if na == "" {
				fmt.Fprintf(os.Stderr, "%s %s W=%d: ", t.name(), sc, w)
				res.Runs, err = measureCell(o, topo.client, t.addr(), sc, w, pid, stop)
				fmt.Fprintln(os.Stderr)
				if len(res.Runs) > 0 {
					res.Median = medianOf(res.Runs)
				}
				if err != nil {
					return append(rs, res), err
				}
			}
			rs = append(rs, res)
		}
	}
	return rs, nil
}

// measureCell does o.runs runs (each after a warm-up) of one cell.
func measureCell(o options, ns string, dst [4]byte, sc string, w, pid int, stop *atomic.Bool) ([]runSummary, error) {
	if sc == scICMPEcho && o.flows > 1 {
		if err := addFlowSources(ns, dst, o.flows); err != nil {
			return nil, err
		}
	}
	c, err := openConn(ns, sc, dst, o.flows)
	if err != nil {
		return nil, err
	}
	defer c.close()
	g := newGenerator(c, int(min(o.duration.Seconds()*1e6, 16e6))+w)
	cfg := loadConfig{scenario: sc, dst: dst, window: w, flows: o.flows, lossTimeout: o.lossTimeout, cpuPID: pid, stop: stop}
	if sc == scUDPClosed {
		// A rate-limited error is silently not sent: replace it soon, or the
		// run measures the loss timeout instead of the stack.
		cfg.lossTimeout = min(cfg.lossTimeout, closedLossTimeout)
	}
	var runs []runSummary
	for i := 0; i < o.runs; i++ {
		cfg.duration = o.warmup
		if _, err := g.run(cfg); err != nil {
			return runs, err
		}
		cfg.duration = o.duration
		r, err := g.run(cfg)
		if err != nil {
			return runs, err
		}
		s := summarize(r, pid > 0)
		fmt.Fprintf(os.Stderr, " %.0f/s", s.RepliesPerSec)
		runs = append(runs, s)
	}
	return runs, nil
}

// order puts the results scenario by scenario, the kernel first.
func order(rs []result, o options) []result {
	var out []result
	for _, sc := range o.scenarios {
		for _, w := range o.windows {
			for _, t := range allTargets {
				for _, r := range rs {
					if r.Scenario == sc && r.Window == w && r.Target == t {
						out = append(out, r)
					}
				}
			}
		}
	}
	return out
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
