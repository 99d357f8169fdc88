//go:build linux

package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]uint32, 100)
	for i := range hundred {
		hundred[i] = uint32(i + 1)
	}
	tests := []struct {
		name   string
		sorted []uint32
		p      float64
		want   uint32
	}{
		{"empty", nil, 50, 0},
		{"one", []uint32{7}, 99, 7},
		{"median of odd", []uint32{1, 2, 3}, 50, 2},
		{"median of even: lower middle", []uint32{1, 2, 3, 4}, 50, 2},
		{"p99 of 100", hundred, 99, 99},
		{"p100 of 100", hundred, 100, 100},
		{"p1 of 100", hundred, 1, 1},
		{"p99 of 3 is the max", []uint32{1, 2, 3}, 99, 3},
		{"tiny p is the min", []uint32{5, 6}, 0.001, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %d, want %d", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5}, 5},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.in...)
		if got := median(in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
		if in[0] != tt.in[0] {
			t.Errorf("median reordered its argument")
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Errorf("median(nil) is not NaN")
	}
}

func TestSummarize(t *testing.T) {
	r := runResult{
		Sent: 1010, Replies: 1000, Lost: 10, Elapsed: 2 * time.Second,
		RTTs: []uint32{3000, 1000, 2000},
		CPU0: cpuSample{machine: machineCPU{Busy: 100}, proc: 10, self: 5},
		CPU1: cpuSample{machine: machineCPU{Busy: 150}, proc: 20, self: 25},
	}
	got := summarize(r, true)
	if got.RepliesPerSec != 500 || got.P50us != 2 || got.P99us != 3 {
		t.Errorf("rate %v p50 %v p99 %v, want 500 2 3", got.RepliesPerSec, got.P50us, got.P99us)
	}
	if math.Abs(got.LossPct-100*10.0/1010) > 1e-9 {
		t.Errorf("loss %v%%", got.LossPct)
	}
	// 50 ticks = 500 ms over 1000 replies; 10 ticks = 100 ms; 20 ticks = 200 ms.
	if got.MachineCPUus != 500 || got.ProcCPUus == nil || *got.ProcCPUus != 100 || got.GenCPUus != 200 {
		t.Errorf("machine %v proc %v gen %v µs/reply, want 500 100 200", got.MachineCPUus, got.ProcCPUus, got.GenCPUus)
	}
	if summarize(r, false).ProcCPUus != nil {
		t.Errorf("kernel target got a stack CPU figure")
	}
}

func TestFormatTableAndRatios(t *testing.T) {
	proc, pproc := 2.5, 3.0
	rs := []result{
		{Scenario: scICMPEcho, Target: "kernel", Window: 64, Median: runSummary{RepliesPerSec: 100000, P50us: 10, P99us: 20, MachineCPUus: 8}},
		{Scenario: scICMPEcho, Target: "gotapip", Window: 64, Median: runSummary{RepliesPerSec: 160000, P50us: 5, P99us: 40, ProcCPUus: &proc, MachineCPUus: 9}},
		{Scenario: scICMPEcho, Target: "gotapip-packet", Window: 64, Median: runSummary{RepliesPerSec: 120000, P50us: 8, P99us: 30, ProcCPUus: &pproc, MachineCPUus: 10}},
		{Scenario: scUDPEcho, Target: "gotapip", Window: 1, NA: "udp: unknown command"},
		{Scenario: scUDPEcho, Target: "gotapip-packet", Window: 1, NA: "udp: unknown command"},
	}
	table := formatTable(rs)
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("table has %d lines, want a header and 5 rows:\n%s", len(lines), table)
	}
	for i, want := range [][]string{
		{"scenario", "replies/s", "p99 µs", "stack CPU µs/reply", "machine CPU µs/reply"},
		{"icmp-echo", "kernel", "100000", "10.0", "20.0", " - ", "8.00"},
		{"icmp-echo", " gotapip ", "160000", "5.0", "40.0", "2.50", "9.00"},
		{"icmp-echo", "gotapip-packet", "120000", "8.0", "30.0", "3.00", "10.00"},
		{"udp-echo", " gotapip ", "n/a", "(udp: unknown command)"},
		{"udp-echo", "gotapip-packet", "n/a", "(udp: unknown command)"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d lacks %q:\n%s", i, w, lines[i])
			}
		}
	}
	rat := ratios(rs)
	if len(rat) != 2 {
		t.Fatalf("ratios: %+v, want two (one per target of ours; the n/a rows have none)", rat)
	}
	if r := rat[0]; r.Target != "gotapip" || r.Rate != 1.6 || r.P50 != 0.5 || r.P99 != 2 || r.MachineCPU != 9.0/8 {
		t.Errorf("ratio %+v, want gotapip rate 1.6 p50 0.5 p99 2 cpu 1.125", r)
	}
	if r := rat[1]; r.Target != "gotapip-packet" || r.Rate != 1.2 || r.P50 != 0.8 || r.P99 != 1.5 || r.MachineCPU != 10.0/8 {
		t.Errorf("ratio %+v, want gotapip-packet rate 1.2 p50 0.8 p99 1.5 cpu 1.25", r)
	}
	out := formatRatios(rat)
	olines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(olines) != 3 {
		t.Fatalf("ratio table has %d lines, want a header and 2 rows:\n%s", len(olines), out)
	}
	for i, want := range [][]string{
		{"ours/kernel", "target", "goal"},
		{"icmp-echo", " gotapip ", "1.60×", "rate≥1.5× met", "cpu≤1.15× met"},
		{"icmp-echo", "gotapip-packet", "1.20×", "rate≥1.5× NOT met", "cpu≤1.15× NOT met"},
	} {
		for _, w := range want {
			if !strings.Contains(olines[i], w) {
				t.Errorf("ratio line %d lacks %q:\n%s", i, w, olines[i])
			}
		}
	}
}

func TestMedianOf(t *testing.T) {
	a, b, c := 1.0, 3.0, 2.0
	runs := []runSummary{
		{RepliesPerSec: 10, P99us: 5, ProcCPUus: &a},
		{RepliesPerSec: 30, P99us: 1, ProcCPUus: &b},
		{RepliesPerSec: 20, P99us: 9, ProcCPUus: &c},
	}
	m := medianOf(runs)
	if m.RepliesPerSec != 20 || m.P99us != 5 || m.ProcCPUus == nil || *m.ProcCPUus != 2 {
		t.Errorf("medianOf: rate %v p99 %v proc %v, want 20 5 2", m.RepliesPerSec, m.P99us, m.ProcCPUus)
	}
}
