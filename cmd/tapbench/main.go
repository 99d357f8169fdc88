//go:build linux

// Command tapbench measures gotapip end to end against the Linux kernel.
//
//	tapbench [-duration 3s] [-runs 3] [-windows 1,64] [-json FILE]
//	         [-scenarios icmp-echo,udp-echo,udp-closed,tcp-rx,tcp-tx]
//	         [-targets kernel,gotapip,gotapip-packet]
//	         [-flows N] [-tapip BIN] [-profile FILE]
//
// It makes network namespaces of its own (tb-PID-client, tb-PID-server,
// and tb-PID-stack for gotapip-packet), joined to the client by veth pairs,
// and runs in the client namespace a closed-loop load generator with W
// requests outstanding: ICMP echo, UDP echo to port 7, and UDP to a closed
// port (answered by ICMP port unreachable). The targets are the kernel of
// the server namespace (over a veth; UDP echo by a small user-space server)
// and our stack, the tapip binary: on a TAP in the client namespace
// (gotapip), and over AF_PACKET on a veth end in the stack namespace
// (gotapip-packet). Every run reports replies/s, RTT p50/p99, loss, and CPU per
// reply of the stack process and of the whole machine (/proc); the table
// shows the median of the runs and the ratios ours/kernel, and the JSON
// file keeps every run. tcp-rx and tcp-tx measure TCP bulk throughput into
// and out of each target, one connection with the client namespace's kernel
// (MB/s, CPU per MB; tcpbulk.go). Traffic goes only to addresses inside its own
// namespaces; every run stops by itself; the namespaces are removed on exit,
// on error and on Ctrl-C.
//
// With -profile FILE it instead runs the ICMP W=64 load against an
// in-process copy of the stack (tapbench -serve-stack) that writes a Go CPU
// profile to FILE.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
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
	targetKernel = "kernel"         // the kernel over a veth pair
	targetTAP    = "gotapip"        // tapip over a TAP
	targetPacket = "gotapip-packet" // tapip over AF_PACKET on a veth pair
)

var allTargets = []string{targetKernel, targetTAP, targetPacket}

// closedLossTimeout caps the loss timeout of udp-closed.
const closedLossTimeout = 5 * time.Millisecond

type options struct {
	duration, lossTimeout, warmup time.Duration
	runs, flows                   int
	windows                       []int
	scenarios, targets            []string
	tcpScenarios                  []string // tcp-rx, tcp-tx: bulk throughput, no window
	jsonPath, tapip, profile      string
	busyPoll                      time.Duration
}

func main() {
	// Helper modes, started by tapbench itself inside a namespace.
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "-echo-server", "-serve-stack", "-tcp-sink", "-tcp-send":
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
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "sending time of one run")
	fs.IntVar(&o.runs, "runs", 3, "runs per cell; the table shows their median")
	fs.IntVar(&o.flows, "flows", 1, "flows the requests take turns on: UDP source ports, ICMP source addresses")
	windows := fs.String("windows", "1,64", "requests outstanding (comma-separated)")
	scenarios := fs.String("scenarios", strings.Join([]string{scICMPEcho, scUDPEcho, scUDPClosed, scTCPRx, scTCPTx}, ","), "what to send")
	targets := fs.String("targets", strings.Join(allTargets, ","), "whom to measure")
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
	if o.flows < 1 || o.flows > maxFlows {
		return o, fmt.Errorf("-flows must be in [1, %d]", maxFlows)
	}
	for _, s := range strings.Split(*windows, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || w < 1 || w > 4096 {
			return o, fmt.Errorf("-windows: %q is not a whole number in [1, 4096]", s)
		}
		o.windows = append(o.windows, w)
	}
	for _, s := range strings.Split(*scenarios, ",") {
		switch s {
		case scICMPEcho, scUDPEcho, scUDPClosed:
			o.scenarios = append(o.scenarios, s)
		case scTCPRx, scTCPTx:
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
	topo, err := setupTopology(o.profile == "" && slices.Contains(o.targets, targetPacket))
	if err != nil {
		return err
	}
	defer topo.cleanup()

	if o.profile != "" {
		return profileRun(o, topo, self, stop)
	}
	var results []result
	var tcpResults []tcpResult
	for _, tname := range o.targets {
		rs, trs, err := measureAll(o, topo, tname, self, stop)
		results, tcpResults = append(results, rs...), append(tcpResults, trs...)
		if err != nil {
			printResults(o, order(results, o), tcpResults)
			return err
		}
	}
	return printResults(o, order(results, o), tcpResults)
}

// startTarget starts the target named tname.
func startTarget(o options, topo *topology, tname, self string) (target, error) {
	switch tname {
	case targetKernel:
		return &kernelTarget{ns: topo.server, self: self}, nil
	case targetPacket:
		return startTapip(packetTarget(topo.stack), o.tapip)
	}
	return startTapip(tapTarget(topo.client), o.tapip)
}

// measureAll runs the request/response scenarios and then the TCP ones
// against the target named tname, each on a target of its own: tapip's
// udp listen (udp-echo) holds its script until it ends, so the snc
// commands of the TCP runs go to a fresh tapip.
func measureAll(o options, topo *topology, tname, self string, stop *atomic.Bool) ([]result, []tcpResult, error) {
	var rs []result
	var trs []tcpResult
	if len(o.scenarios) > 0 {
		t, err := startTarget(o, topo, tname, self)
		if err != nil {
			return nil, nil, err
		}
		rs, err = measureTarget(o, topo, t, stop)
		t.stop()
		if err != nil {
			return rs, nil, err
		}
	}
	if len(o.tcpScenarios) > 0 {
		t, err := startTarget(o, topo, tname, self)
		if err != nil {
			return rs, nil, err
		}
		trs, err = measureTCP(o, topo, t, self, stop)
		t.stop()
		if err != nil {
			return rs, trs, err
		}
	}
	return rs, trs, nil
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

func printResults(o options, rs []result, trs []tcpResult) error {
	rat := ratios(rs)
	if len(rs) > 0 {
		fmt.Print(formatTable(rs))
	}
	if len(rat) > 0 {
		fmt.Println()
		fmt.Print(formatRatios(rat))
	}
	if len(trs) > 0 {
		if len(rs) > 0 {
			fmt.Println()
		}
		fmt.Print(formatTCP(trs))
	}
	rep := report{Time: time.Now().UTC(), Machine: machineInfo(), Results: rs, Ratios: rat, TCP: trs,
		Settings: map[string]string{
			"duration": o.duration.String(), "runs": strconv.Itoa(o.runs),
			"loss_timeout": o.lossTimeout.String(), "warmup": o.warmup.String(),
			"payload_bytes": strconv.Itoa(payloadLen), "flows": strconv.Itoa(o.flows),
		}}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.jsonPath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(o.jsonPath, append(data, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Println("\nwrote", o.jsonPath)
	return nil
}

// machineInfo is what a reader needs to compare figures across machines.
func machineInfo() map[string]string {
	m := map[string]string{"nproc": strconv.Itoa(runtime.NumCPU()), "go": runtime.Version()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(data))
	}
	return m
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
