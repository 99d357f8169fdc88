//go:build linux

package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// options are tapbench's flags, parsed.
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
