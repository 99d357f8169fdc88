//go:build linux

package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseFlagsTCPScenarios(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.scenarios, []string{scICMPEcho, scUDPEcho, scUDPClosed}) || !slices.Equal(o.tcpScenarios, []string{scTCPRx, scTCPTx}) {
		t.Errorf("default scenarios %q and %q", o.scenarios, o.tcpScenarios)
	}
	o, err = parseFlags([]string{"-scenarios", "tcp-tx"})
	if err != nil || len(o.scenarios) != 0 || !slices.Equal(o.tcpScenarios, []string{scTCPTx}) {
		t.Errorf("-scenarios tcp-tx: %q %q %v", o.scenarios, o.tcpScenarios, err)
	}
}

func TestTCPMedianAndTable(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	m := tcpMedian([]tcpRun{{MBps: 10, ProcCPUus: f(300), MachineCPUus: 900}, {MBps: 30, ProcCPUus: f(100), MachineCPUus: 500}, {MBps: 20, ProcCPUus: f(200), MachineCPUus: 700}})
	if m.MBps != 20 || *m.ProcCPUus != 200 || m.MachineCPUus != 700 {
		t.Errorf("median %+v, want 20 MB/s, 200 and 700 µs/MB", m)
	}
	table := formatTCP([]tcpResult{
		{Scenario: scTCPRx, Target: targetKernel, Median: tcpRun{MBps: 500, MachineCPUus: 4000}},
		{Scenario: scTCPRx, Target: targetTAP, Median: tcpRun{MBps: 50, ProcCPUus: f(9000), MachineCPUus: 20000}},
	})
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], "0.10×") || !strings.Contains(lines[2], "5.00×") || !strings.Contains(lines[2], "9000") {
		t.Errorf("table:\n%s", table)
	}
	if strings.Contains(lines[1], "×") {
		t.Errorf("the kernel's row has a ratio to itself:\n%s", table)
	}
}
