//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// report is the JSON file: every run of every cell, the medians, the
// ratios, and what a reader needs to compare machines.
type report struct {
	Time      time.Time         `json:"time"`
	Machine   map[string]string `json:"machine"`
	Settings  map[string]string `json:"settings"`
	Results   []result          `json:"results"`
	Ratios    []ratio           `json:"ratios"`
	TCP       []tcpResult       `json:"tcp,omitempty"`
	TCPRR     []rrResult        `json:"tcp_rr,omitempty"`
	TCPRatios []tcpRatio        `json:"tcp_ratios,omitempty"`
}

// newReport orders the results and computes the ratios.
func newReport(o options, all results) report {
	rs, bulk, rr := order(all.udp, o), orderBulk(all.bulk), orderRR(all.rr)
	return report{Time: time.Now().UTC(), Machine: machineInfo(),
		Results: rs, Ratios: ratios(rs), TCP: bulk, TCPRR: rr,
		TCPRatios: append(bulkRatios(bulk), rrRatios(rr)...),
		Settings: map[string]string{
			"duration": o.duration.String(), "runs": strconv.Itoa(o.runs),
			"loss_timeout": o.lossTimeout.String(), "warmup": o.warmup.String(),
			"payload_bytes": strconv.Itoa(payloadLen), "flows": strconv.Itoa(o.flows),
			"tcp_duration": o.tcpDuration.String(), "tcp_runs": strconv.Itoa(o.tcpRuns),
			"tcp_loss_pct": strconv.Itoa(o.lossPct), "tcp_reorder_pct": strconv.Itoa(o.reorderPct),
		}}
}

// printResults prints the tables and writes the JSON file.
func printResults(o options, all results) error {
	rep := newReport(o, all)
	var sections []string
	if len(rep.Results) > 0 {
		sections = append(sections, formatTable(rep.Results))
	}
	if len(rep.Ratios) > 0 {
		sections = append(sections, formatRatios(rep.Ratios))
	}
	if len(rep.TCP) > 0 {
		sections = append(sections, formatBulk(rep.TCP, rep.TCPRatios))
	}
	if len(rep.TCPRR) > 0 {
		sections = append(sections, formatRR(rep.TCPRR, rep.TCPRatios))
	}
	fmt.Print(strings.Join(sections, "\n"))
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
