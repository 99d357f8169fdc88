//go:build linux

package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
)

// The TCP tables: every cell with its ratios to the kernel and to gVisor
// in the same cell, and the goals (issue 12) where one applies.

// references are the stacks ours are compared with.
var references = []string{targetKernel, targetGVisor}

// isOurs says whether target is one of our stack's.
func isOurs(target string) bool { return !slices.Contains(references, target) }

// tcpRatio is one of our cells against a reference's (the kernel or
// gVisor) in the same scenario.
type tcpRatio struct {
	Scenario   string  `json:"scenario"`              // a bulk scenario, or tcp-rr
	Size       int     `json:"size_bytes,omitempty"`  // tcp-rr
	Conns      int     `json:"connections,omitempty"` // tcp-rr
	Target     string  `json:"target"`
	Versus     string  `json:"versus"`                // kernel or gvisor
	Rate       float64 `json:"rate"`                  // MB/s or transactions/s, ours/theirs
	P50        float64 `json:"latency_p50,omitempty"` // tcp-rr
	P99        float64 `json:"latency_p99,omitempty"` // tcp-rr
	MachineCPU float64 `json:"machine_cpu"`           // per MB or per transaction
	Goal       string  `json:"goal,omitempty"`
}

// mark reads a goal's outcome.
func mark(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// pairRatios pairs every cell of ours that ran with each reference's
// cell that ran with the same key; ratio computes one pair.
func pairRatios[T any, K comparable](rs []T, cell func(T) (target, na string, key K), ratio func(ours, ref T) tcpRatio) []tcpRatio {
	var out []tcpRatio
	for _, r := range rs {
		target, na, key := cell(r)
		if !isOurs(target) || na != "" {
			continue
		}
		for _, k := range rs {
			if ktarget, kna, kkey := cell(k); !isOurs(ktarget) && kna == "" && kkey == key {
				out = append(out, ratio(r, k))
			}
		}
	}
	return out
}

// bulkRatios pairs the bulk cells by scenario.
func bulkRatios(rs []tcpResult) []tcpRatio {
	return pairRatios(rs, func(r tcpResult) (string, string, string) { return r.Target, r.NA, r.Scenario },
		func(r, k tcpResult) tcpRatio {
			q := tcpRatio{Scenario: r.Scenario, Target: r.Target, Versus: k.Target,
				Rate:       div(r.Median.MBps, k.Median.MBps),
				MachineCPU: div(r.Median.MachineCPUus, k.Median.MachineCPUus)}
			q.Goal = bulkGoal(q)
			return q
		})
}

// bulkGoal: with offloads (the gotapip target), at least 1.5× gVisor's
// and 0.5× the kernel's throughput each way; at loss, within 2× of the
// kernel's at the same loss.
func bulkGoal(q tcpRatio) string {
	switch {
	case strings.HasSuffix(q.Scenario, "-loss") && q.Versus == targetKernel:
		return "≥0.5× kernel " + mark(q.Rate >= 0.5)
	case (q.Scenario == scTCPRx || q.Scenario == scTCPTx) && q.Target == targetTAP:
		if q.Versus == targetGVisor {
			return "≥1.5× gVisor " + mark(q.Rate >= 1.5)
		}
		return "≥0.5× kernel " + mark(q.Rate >= 0.5)
	}
	return ""
}

// rrRatios pairs the request/response cells by size and connections.
func rrRatios(rs []rrResult) []tcpRatio {
	return pairRatios(rs, func(r rrResult) (string, string, [2]int) { return r.Target, r.NA, [2]int{r.Size, r.Conns} },
		func(r, k rrResult) tcpRatio {
			q := tcpRatio{Scenario: scTCPRR, Size: r.Size, Conns: r.Conns, Target: r.Target, Versus: k.Target,
				Rate:       div(r.Median.TransPerSec, k.Median.TransPerSec),
				P50:        div(r.Median.P50us, k.Median.P50us),
				P99:        div(r.Median.P99us, k.Median.P99us),
				MachineCPU: div(r.Median.MachineCPUus, k.Median.MachineCPUus)}
			q.Goal = rrGoal(q)
			return q
		})
}

// rrGoal: one connection's latency (p50) within 1.5× of the kernel's; 64
// connections' transactions/s at least gVisor's.
func rrGoal(q tcpRatio) string {
	switch {
	case q.Conns == 1 && q.Versus == targetKernel:
		return "p50≤1.5× kernel " + mark(q.P50 <= 1.5)
	case q.Conns == 64 && q.Versus == targetGVisor:
		return "≥1× gVisor " + mark(q.Rate >= 1)
	}
	return ""
}

// ratioCells finds the ratios of one cell of ours: against the kernel and
// against gVisor ("" where there is none), and the goals.
func ratioCells(rat []tcpRatio, match func(tcpRatio) bool, show func(tcpRatio) string) (kernel, gvisor, goals string) {
	var gs []string
	for _, q := range rat {
		if !match(q) {
			continue
		}
		if q.Versus == targetKernel {
			kernel = show(q)
		} else {
			gvisor = show(q)
		}
		if q.Goal != "" {
			gs = append(gs, q.Goal)
		}
	}
	return kernel, gvisor, strings.Join(gs, ", ")
}

// formatBulk prints the bulk cells in the order given, with ratios.
func formatBulk(rs []tcpResult, rat []tcpRatio) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\ttarget\tMB/s\tapp CPU µs/MB\tmachine CPU µs/MB\tdropped\tMB/s ×kernel\tMB/s ×gVisor\tgoal\t")
	for _, r := range rs {
		if r.NA != "" {
			fmt.Fprintf(w, "%s\t%s\tn/a\t\t\t\t\t\t\t  (%s)\n", r.Scenario, r.Target, r.NA)
			continue
		}
		m := r.Median
		dropped := ""
		if strings.HasSuffix(r.Scenario, "-loss") {
			dropped = fmt.Sprint(m.Dropped)
		}
		k, g, goals := ratioCells(rat, func(q tcpRatio) bool { return q.Scenario == r.Scenario && q.Target == r.Target },
			func(q tcpRatio) string { return fmt.Sprintf("%.2f×", q.Rate) })
		fmt.Fprintf(w, "%s\t%s\t%.1f\t%s\t%.0f\t%s\t%s\t%s\t%s\t\n", r.Scenario, r.Target, m.MBps, optFloat(m.ProcCPUus, "%.0f"), m.MachineCPUus, dropped, k, g, goals)
	}
	w.Flush()
	return b.String()
}

// formatRR prints the request/response cells in the order given, with
// ratios: transactions/s and p50 latency, ours over the reference's.
func formatRR(rs []rrResult, rat []tcpRatio) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "tcp-rr\tconns\ttarget\ttrans/s\tp50 µs\tp99 µs\tapp CPU µs/trans\tmachine CPU µs/trans\trate, p50 ×kernel\trate, p50 ×gVisor\tgoal\t")
	for _, r := range rs {
		size := fmt.Sprintf("%d B", r.Size)
		if r.NA != "" {
			fmt.Fprintf(w, "%s\t%d\t%s\tn/a\t\t\t\t\t\t\t\t  (%s)\n", size, r.Conns, r.Target, r.NA)
			continue
		}
		m := r.Median
		k, g, goals := ratioCells(rat, func(q tcpRatio) bool { return q.Size == r.Size && q.Conns == r.Conns && q.Target == r.Target },
			func(q tcpRatio) string { return fmt.Sprintf("%.2f×, %.2f×", q.Rate, q.P50) })
		fmt.Fprintf(w, "%s\t%d\t%s\t%.0f\t%.1f\t%.1f\t%s\t%.1f\t%s\t%s\t%s\t\n", size, r.Conns, r.Target, m.TransPerSec, m.P50us, m.P99us,
			optFloat(m.ProcCPUus, "%.1f"), m.MachineCPUus, k, g, goals)
	}
	w.Flush()
	return b.String()
}

// optFloat formats a figure some targets lack.
func optFloat(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

// orderBulk puts the bulk cells scenario by scenario, the targets in
// allTargets' order.
func orderBulk(rs []tcpResult) []tcpResult {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b tcpResult) int {
		if d := slices.Index(bulkScenarios, a.Scenario) - slices.Index(bulkScenarios, b.Scenario); d != 0 {
			return d
		}
		return slices.Index(allTargets, a.Target) - slices.Index(allTargets, b.Target)
	})
	return out
}

// orderRR puts the request/response cells by size, then connections,
// the targets in allTargets' order.
func orderRR(rs []rrResult) []rrResult {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b rrResult) int {
		if a.Size != b.Size {
			return a.Size - b.Size
		}
		if a.Conns != b.Conns {
			return a.Conns - b.Conns
		}
		return slices.Index(allTargets, a.Target) - slices.Index(allTargets, b.Target)
	})
	return out
}
