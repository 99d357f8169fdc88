//go:build linux

package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
)

// runSummary is one run reduced to the figures the table shows.
type runSummary struct {
	RepliesPerSec float64  `json:"replies_per_sec"`
	P50us         float64  `json:"rtt_p50_us"`
	P99us         float64  `json:"rtt_p99_us"`
	LossPct       float64  `json:"loss_pct"`
	ProcCPUus     *float64 `json:"proc_cpu_us_per_reply,omitempty"` // the stack process; nil: the kernel alone
	MachineCPUus  float64  `json:"machine_cpu_us_per_reply"`
	GenCPUus      float64  `json:"loadgen_cpu_us_per_reply"` // tapbench's own share of the machine's
	Sent          uint64   `json:"sent"`
	Replies       uint64   `json:"replies"`
	Lost          uint64   `json:"lost"`
}

// result is one (scenario, target, window) cell: its runs and their median.
type result struct {
	Scenario string       `json:"scenario"`
	Target   string       `json:"target"`
	Window   int          `json:"window"`
	NA       string       `json:"na,omitempty"` // why it did not run
	Median   runSummary   `json:"median"`
	Runs     []runSummary `json:"runs,omitempty"`
}

// summarize reduces a run; rtts is sorted in place.
func summarize(r runResult, hasProc bool) runSummary {
	s := runSummary{Sent: r.Sent, Replies: r.Replies, Lost: r.Lost}
	if r.Elapsed > 0 {
		s.RepliesPerSec = float64(r.Replies) / r.Elapsed.Seconds()
	}
	slices.Sort(r.RTTs)
	s.P50us = float64(percentile(r.RTTs, 50)) / 1e3
	s.P99us = float64(percentile(r.RTTs, 99)) / 1e3
	if r.Sent > 0 {
		s.LossPct = 100 * float64(r.Lost) / float64(r.Sent)
	}
	if r.Replies > 0 {
		s.MachineCPUus = ticksToMicros(r.CPU1.machine.Busy-r.CPU0.machine.Busy) / float64(r.Replies)
		s.GenCPUus = ticksToMicros(r.CPU1.self-r.CPU0.self) / float64(r.Replies)
		if hasProc {
			v := ticksToMicros(r.CPU1.proc-r.CPU0.proc) / float64(r.Replies)
			s.ProcCPUus = &v
		}
	}
	return s
}

// medianOf takes the median of each figure over runs independently.
func medianOf(runs []runSummary) runSummary {
	pick := func(f func(runSummary) float64) float64 { return medianBy(runs, f) }
	return runSummary{
		RepliesPerSec: pick(func(r runSummary) float64 { return r.RepliesPerSec }),
		P50us:         pick(func(r runSummary) float64 { return r.P50us }),
		P99us:         pick(func(r runSummary) float64 { return r.P99us }),
		LossPct:       pick(func(r runSummary) float64 { return r.LossPct }),
		ProcCPUus:     medianOpt(runs, func(r runSummary) *float64 { return r.ProcCPUus }),
		MachineCPUus:  pick(func(r runSummary) float64 { return r.MachineCPUus }),
		GenCPUus:      pick(func(r runSummary) float64 { return r.GenCPUus }),
		Sent:          uint64(pick(func(r runSummary) float64 { return float64(r.Sent) })),
		Replies:       uint64(pick(func(r runSummary) float64 { return float64(r.Replies) })),
		Lost:          uint64(pick(func(r runSummary) float64 { return float64(r.Lost) })),
	}
}

// formatTable prints the results, one row per cell, in the order given.
func formatTable(rs []result) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\ttarget\tW\treplies/s\tp50 µs\tp99 µs\tloss %\tstack CPU µs/reply\tmachine CPU µs/reply\t")
	for _, r := range rs {
		if r.NA != "" {
			fmt.Fprintf(w, "%s\t%s\t%d\tn/a\t\t\t\t\t\t  (%s)\n", r.Scenario, r.Target, r.Window, r.NA)
			continue
		}
		m := r.Median
		proc := "-"
		if m.ProcCPUus != nil {
			proc = fmt.Sprintf("%.2f", *m.ProcCPUus)
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%.0f\t%.1f\t%.1f\t%.2f\t%s\t%.2f\t\n",
			r.Scenario, r.Target, r.Window, m.RepliesPerSec, m.P50us, m.P99us, m.LossPct, proc, m.MachineCPUus)
	}
	w.Flush()
	return b.String()
}

// ratio is ours/kernel for one (scenario, window).
type ratio struct {
	Scenario   string  `json:"scenario"`
	Window     int     `json:"window"`
	Target     string  `json:"target"`
	Rate       float64 `json:"replies_per_sec"`
	P50        float64 `json:"rtt_p50"`
	P99        float64 `json:"rtt_p99"`
	MachineCPU float64 `json:"machine_cpu_per_reply"`
}

// ratios pairs every non-kernel result with the kernel's for the same
// scenario and window.
func ratios(rs []result) []ratio {
	var out []ratio
	for _, r := range rs {
		if r.Target == "kernel" || r.NA != "" {
			continue
		}
		for _, k := range rs {
			if k.Target == "kernel" && k.NA == "" && k.Scenario == r.Scenario && k.Window == r.Window {
				out = append(out, ratio{Scenario: r.Scenario, Window: r.Window, Target: r.Target,
					Rate:       div(r.Median.RepliesPerSec, k.Median.RepliesPerSec),
					P50:        div(r.Median.P50us, k.Median.P50us),
					P99:        div(r.Median.P99us, k.Median.P99us),
					MachineCPU: div(r.Median.MachineCPUus, k.Median.MachineCPUus)})
			}
		}
	}
	return out
}

func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// formatRatios prints ours/kernel, with the goals where one applies.
func formatRatios(rs []ratio) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "ours/kernel\ttarget\tW\treplies/s\tp50\tp99\tmachine CPU/reply\tgoal\t")
	for _, r := range rs {
		fmt.Fprintf(w, "%s\t%s\t%d\t%.2f×\t%.2f×\t%.2f×\t%.2f×\t%s\t\n",
			r.Scenario, r.Target, r.Window, r.Rate, r.P50, r.P99, r.MachineCPU, goal(r))
	}
	w.Flush()
	return b.String()
}

// goal states the targets for a row: rate ≥1.5× for ICMP and UDP
// echo at W=64; machine CPU per ICMP reply ≤1.15×.
func goal(r ratio) string {
	if r.Window < 64 {
		return ""
	}
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	switch r.Scenario {
	case scICMPEcho:
		return fmt.Sprintf("rate≥1.5× %s, cpu≤1.15× %s", mark(r.Rate >= 1.5), mark(r.MachineCPU <= 1.15))
	case scUDPEcho:
		return fmt.Sprintf("rate≥1.5× %s", mark(r.Rate >= 1.5))
	}
	return ""
}
