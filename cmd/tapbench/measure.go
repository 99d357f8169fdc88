//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
)

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
		if len(r.Runs) > 0 || r.NA != "" {
			all.bulk = append(all.bulk, r)
		}
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
