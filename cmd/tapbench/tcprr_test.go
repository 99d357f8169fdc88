//go:build linux

package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSummarizeRR(t *testing.T) {
	lat := make([]uint32, 0, 200)
	for i := 200; i >= 1; i-- { // 1 µs to 200 µs, unsorted
		lat = append(lat, uint32(i*1000))
	}
	l := rrLoad{lat: lat, count: 1000, elapsed: 2 * time.Second, withProc: true,
		cpu0: cpuSample{machine: machineCPU{Busy: 100}, proc: 10},
		cpu1: cpuSample{machine: machineCPU{Busy: 110}, proc: 15}}
	r := summarizeRR(l)
	// 1000 transactions in 2 s; nearest rank: p50 of 200 is the 100th, p99 the 198th.
	if r.TransPerSec != 500 || r.P50us != 100 || r.P99us != 198 || r.Transactions != 1000 {
		t.Errorf("rate %v p50 %v p99 %v n %d, want 500 100 198 1000", r.TransPerSec, r.P50us, r.P99us, r.Transactions)
	}
	// 10 ticks = 100 ms over 1000 transactions; 5 ticks = 50 ms.
	if r.MachineCPUus != 100 || r.ProcCPUus == nil || *r.ProcCPUus != 50 {
		t.Errorf("machine %v app %v µs/transaction, want 100 and 50", r.MachineCPUus, r.ProcCPUus)
	}
	l.withProc = false
	if summarizeRR(l).ProcCPUus != nil {
		t.Errorf("a target without a process got an app CPU figure")
	}
	if r := summarizeRR(rrLoad{}); r.TransPerSec != 0 || r.P50us != 0 || r.MachineCPUus != 0 {
		t.Errorf("an empty run: %+v", r)
	}
}

func TestRRMedian(t *testing.T) {
	m := rrMedian([]rrRun{{TransPerSec: 3, P99us: 30}, {TransPerSec: 1, P99us: 10}, {TransPerSec: 2, P99us: 50}})
	if m.TransPerSec != 2 || m.P99us != 30 {
		t.Errorf("median %+v, want 2/s and p99 30", m)
	}
}

// rrCells: one connection against the kernel, 64 against gVisor, gVisor
// n/a at one connection, and the kernel's 64 connections missing.
func rrCells() []rrResult {
	return []rrResult{
		{Target: targetGVisor, Size: 1, Conns: 64, Median: rrRun{TransPerSec: 50000, P50us: 1200, P99us: 3000, MachineCPUus: 30}},
		{Target: targetKernel, Size: 1, Conns: 1, Median: rrRun{TransPerSec: 20000, P50us: 40, P99us: 90, MachineCPUus: 25}},
		{Target: targetTAP, Size: 1, Conns: 1, Median: rrRun{TransPerSec: 10000, P50us: 80, P99us: 150, MachineCPUus: 60}},
		{Target: targetTAP, Size: 1, Conns: 64, Median: rrRun{TransPerSec: 60000, P50us: 1000, P99us: 2500, MachineCPUus: 28}},
	}
}

func TestRRRatiosAndTable(t *testing.T) {
	rs := orderRR(append(rrCells(), rrResult{Target: targetGVisor, Size: 1, Conns: 1, NA: gvisorMissing}))
	var order []string
	for _, r := range rs {
		order = append(order, r.Target)
	}
	if want := []string{targetKernel, targetTAP, targetGVisor, targetTAP, targetGVisor}; !slices.Equal(order, want) {
		t.Fatalf("order %q, want %q", order, want)
	}
	rat := rrRatios(rs)
	want := []tcpRatio{
		{Scenario: scTCPRR, Size: 1, Conns: 1, Target: targetTAP, Versus: targetKernel, Rate: 0.5, P50: 2, P99: 150.0 / 90, MachineCPU: 2.4, Goal: "p50≤1.5× kernel NOT met"},
		{Scenario: scTCPRR, Size: 1, Conns: 64, Target: targetTAP, Versus: targetGVisor, Rate: 1.2, P50: 1000.0 / 1200, P99: 2500.0 / 3000, MachineCPU: 28.0 / 30, Goal: "≥1× gVisor met"},
	}
	if !slices.Equal(rat, want) {
		t.Fatalf("ratios:\n got %+v\nwant %+v", rat, want)
	}
	table := formatRR(rs, rat)
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("table has %d lines, want a header and 5 rows:\n%s", len(lines), table)
	}
	wantInLines(t, lines, [][]string{
		{"tcp-rr", "conns", "trans/s", "p99 µs", "rate, p50 ×kernel", "rate, p50 ×gVisor"},
		{"1 B", "kernel", "20000", "40.0", "90.0", " - "},
		{"1 B", " gotapip ", "10000", "80.0", "0.50×, 2.00×", "p50≤1.5× kernel NOT met"},
		{"1 B", "gvisor", "n/a", "(" + gvisorMissing + ")"},
		{"1 B", "64", " gotapip ", "60000", "1.20×, 0.83×", "≥1× gVisor met"},
		{"1 B", "64", "gvisor", "50000"},
	})
	if strings.Count(lines[2], "×, ") != 1 { // one pair: the kernel's
		t.Errorf("gotapip at one connection has a gVisor ratio without a gVisor cell:\n%s", lines[2])
	}
}
