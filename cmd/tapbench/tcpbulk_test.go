//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsTCPScenarios(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	wantTCP := []string{scTCPRx, scTCPTx, scTCPRxLoss, scTCPTxLoss, scTCPTxReorder, scTCPRR}
	if !slices.Equal(o.scenarios, []string{scICMPEcho, scUDPEcho, scUDPClosed}) || !slices.Equal(o.tcpScenarios, wantTCP) {
		t.Errorf("default scenarios %q and %q", o.scenarios, o.tcpScenarios)
	}
	if o.tcpDuration != 10*time.Second || o.tcpRuns != 1 || o.lossPct != 1 || !slices.Equal(o.rrSizes, []int{1, 1024}) || !slices.Equal(o.rrConns, []int{1, 64}) {
		t.Errorf("TCP defaults: %v ×%d, loss %d%%, rr sizes %v conns %v", o.tcpDuration, o.tcpRuns, o.lossPct, o.rrSizes, o.rrConns)
	}
	o, err = parseFlags([]string{"-scenarios", "tcp-tx,tcp-rr", "-rr-conns", "8"})
	if err != nil || len(o.scenarios) != 0 || !slices.Equal(o.tcpScenarios, []string{scTCPTx, scTCPRR}) || !slices.Equal(o.rrConns, []int{8}) {
		t.Errorf("-scenarios tcp-tx,tcp-rr -rr-conns 8: %q %q %v %v", o.scenarios, o.tcpScenarios, o.rrConns, err)
	}
	for _, bad := range [][]string{{"-rr-sizes", "0"}, {"-rr-conns", "1,x"}, {"-tcp-loss", "0"}, {"-tcp-duration", "0s"}, {"-scenarios", "tcp-rx-reorder"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestTCPMedian(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	m := tcpMedian([]tcpRun{{MBps: 10, ProcCPUus: f(300), MachineCPUus: 900}, {MBps: 30, ProcCPUus: f(100), MachineCPUus: 500}, {MBps: 20, ProcCPUus: f(200), MachineCPUus: 700}})
	if m.MBps != 20 || *m.ProcCPUus != 200 || m.MachineCPUus != 700 {
		t.Errorf("median %+v, want 20 MB/s, 200 and 700 µs/MB", m)
	}
	if m := tcpMedian([]tcpRun{{MBps: 5}}); m.ProcCPUus != nil {
		t.Errorf("the kernel's runs have no app CPU figure, the median has %v", *m.ProcCPUus)
	}
}

// bulkCells: the kernel and gVisor as references, gotapip meeting both
// bulk goals, an n/a cell, and a loss cell.
func bulkCells() []tcpResult {
	f := func(v float64) *float64 { return &v }
	return []tcpResult{
		{Scenario: scTCPRx, Target: targetKernel, Median: tcpRun{MBps: 1000, MachineCPUus: 2000}},
		{Scenario: scTCPRx, Target: targetTAP, Median: tcpRun{MBps: 600, ProcCPUus: f(1500), MachineCPUus: 3000}},
		{Scenario: scTCPRx, Target: targetNoOffload, NA: "tapip -offload=false: flag provided but not defined: -offload"},
		{Scenario: scTCPRx, Target: targetGVisor, Median: tcpRun{MBps: 300, ProcCPUus: f(2500), MachineCPUus: 4000}},
		{Scenario: scTCPTxLoss, Target: targetKernel, Median: tcpRun{MBps: 100, MachineCPUus: 2000, Dropped: 700}},
		{Scenario: scTCPTxLoss, Target: targetTAP, Median: tcpRun{MBps: 40, ProcCPUus: f(5000), MachineCPUus: 9000, Dropped: 300}},
		{Scenario: scTCPTxReorder, Target: targetKernel, NA: "no netem qdisc in this kernel"},
	}
}

func TestBulkRatiosAndTable(t *testing.T) {
	rs := bulkCells()
	rat := bulkRatios(rs)
	// gotapip tcp-rx against the kernel and gVisor; gotapip's loss cell
	// against the kernel (gVisor has none there); n/a cells have none.
	want := []tcpRatio{
		{Scenario: scTCPRx, Target: targetTAP, Versus: targetKernel, Rate: 0.6, MachineCPU: 1.5, Goal: "≥0.5× kernel met"},
		{Scenario: scTCPRx, Target: targetTAP, Versus: targetGVisor, Rate: 2, MachineCPU: 0.75, Goal: "≥1.5× gVisor met"},
		{Scenario: scTCPTxLoss, Target: targetTAP, Versus: targetKernel, Rate: 0.4, MachineCPU: 4.5, Goal: "≥0.5× kernel NOT met"},
	}
	if !slices.Equal(rat, want) {
		t.Fatalf("ratios:\n got %+v\nwant %+v", rat, want)
	}
	table := formatBulk(rs, rat)
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("table has %d lines, want a header and 7 rows:\n%s", len(lines), table)
	}
	wantInLines(t, lines, [][]string{
		{"scenario", "MB/s ×kernel", "MB/s ×gVisor", "goal"},
		{"tcp-rx", "kernel", "1000.0", " - ", "2000"},
		{"tcp-rx", " gotapip ", "600.0", "1500", "0.60×", "2.00×", "≥0.5× kernel met, ≥1.5× gVisor met"},
		{"tcp-rx", "gotapip-nooffload", "n/a", "(tapip -offload=false: flag provided but not defined: -offload)"},
		{"tcp-rx", "gvisor", "300.0", "2500"},
		{"tcp-tx-loss", "kernel", "100.0", "700"},
		{"tcp-tx-loss", " gotapip ", "40.0", "300", "0.40×", "≥0.5× kernel NOT met"},
		{"tcp-tx-reorder", "kernel", "n/a", "(no netem qdisc in this kernel)"},
	})
	if strings.Contains(lines[1], "×") || strings.Contains(lines[4], "×") {
		t.Errorf("a reference's row has a ratio:\n%s", table)
	}
}

func TestOrderBulk(t *testing.T) {
	rs := []tcpResult{
		{Scenario: scTCPTx, Target: targetGVisor}, {Scenario: scTCPRx, Target: targetGVisor},
		{Scenario: scTCPTx, Target: targetKernel}, {Scenario: scTCPRx, Target: targetTAP}, {Scenario: scTCPRx, Target: targetKernel},
	}
	var got []string
	for _, r := range orderBulk(rs) {
		got = append(got, r.Scenario+"/"+r.Target)
	}
	want := []string{"tcp-rx/kernel", "tcp-rx/gotapip", "tcp-rx/gvisor", "tcp-tx/kernel", "tcp-tx/gvisor"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
}

func TestReportJSONShape(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := newReport(o, results{bulk: bulkCells(), rr: rrCells()})
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Settings map[string]string `json:"settings"`
		TCP      []struct {
			Scenario, Target, NA string
			Median               map[string]any `json:"median"`
		} `json:"tcp"`
		TCPRR []struct {
			Target string
			Size   int `json:"size_bytes"`
			Conns  int `json:"connections"`
			Median map[string]any
		} `json:"tcp_rr"`
		TCPRatios []map[string]any `json:"tcp_ratios"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Settings["tcp_duration"] != "10s" || got.Settings["tcp_loss_pct"] != "1" {
		t.Errorf("settings %v", got.Settings)
	}
	if len(got.TCP) != 7 || got.TCP[2].NA == "" || got.TCP[0].Median["mb_per_sec"] != 1000.0 {
		t.Errorf("tcp cells %+v", got.TCP)
	}
	if len(got.TCPRR) != 4 || got.TCPRR[0].Size != 1 || got.TCPRR[0].Conns != 1 || got.TCPRR[0].Median["latency_p99_us"] == nil {
		t.Errorf("tcp_rr cells %+v", got.TCPRR)
	}
	// Three bulk ratios and two request/response ones (gotapip against the
	// kernel at one connection, against gVisor at 64).
	if len(got.TCPRatios) != 5 {
		t.Fatalf("tcp_ratios: %v", got.TCPRatios)
	}
	for _, q := range got.TCPRatios {
		if q["versus"] != "kernel" && q["versus"] != "gvisor" || q["rate"] == nil || q["target"] != targetTAP {
			t.Errorf("ratio %v", q)
		}
	}
}

// wantInLines checks that line i of a table holds every string of want[i].
func wantInLines(t *testing.T, lines []string, want [][]string) {
	t.Helper()
	for i, w := range want {
		for _, s := range w {
			if !strings.Contains(lines[i], s) {
				t.Errorf("line %d lacks %q:\n%s", i, s, lines[i])
			}
		}
	}
}

func TestMissingGVisorIsNA(t *testing.T) {
	_, err := newGVisorTarget(t.TempDir()+"/gvisor-target", "tb-0-client")
	var na naError
	if !errors.As(err, &na) || na.reason != gvisorMissing {
		t.Fatalf("a missing binary: %v, want n/a %q", err, gvisorMissing)
	}
	o, err := parseFlags([]string{"-scenarios", "tcp-rx,tcp-tx-loss,tcp-rr"})
	if err != nil {
		t.Fatal(err)
	}
	var all results
	all.addNA(o, targetGVisor, na.reason)
	if len(all.bulk) != 2 || all.bulk[1].Scenario != scTCPTxLoss || all.bulk[1].NA != gvisorMissing {
		t.Errorf("bulk n/a cells %+v", all.bulk)
	}
	if len(all.rr) != 4 || all.rr[3].Size != 1024 || all.rr[3].Conns != 64 || all.rr[3].NA != gvisorMissing {
		t.Errorf("tcp-rr n/a cells %+v", all.rr)
	}
}
