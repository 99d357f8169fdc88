//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// TCP bulk throughput, each way, one connection at a time: the client
// namespace's kernel TCP against each target. The kernel target is the
// server namespace's kernel over the veth pair (its own veth-to-veth
// figure), with a small user-space sink or source (tapbench -tcp-sink,
// -tcp-send) as the application; our targets run the shell's snc:
//
//	tcp-rx (the target receives): tapbench connects to port 5001 and writes
//	  for the run's time, then half-closes and waits for the target to
//	  close: every byte counted was delivered. Target: snc -b 0.0.0.0:5001
//	  > /dev/null (one per run), or the kernel's sink.
//	tcp-tx (the target sends): tapbench listens on its address toward the
//	  target, port 5002, has the target connect (snc -c ADDR:5002 <
//	  /dev/zero, or tapbench -tcp-send) and reads for the run's time.
//
// Figures per run: MB/s (10^6 bytes), CPU µs per MB of the application
// process (tapip: stack and snc together; the kernel's sink or source: its
// syscalls, where the kernel's TCP work on its side runs, softirq aside)
// and of the whole machine.

const (
	scTCPRx = "tcp-rx" // the target receives
	scTCPTx = "tcp-tx" // the target sends

	tcpSinkPort   = 5001
	tcpSourcePort = 5002
	tcpBufSize    = 64 << 10
	tcpDrainWait  = 30 * time.Second // after the run: the target reads what is in flight
)

// tcpRun is one run of a TCP scenario.
type tcpRun struct {
	MBps         float64  `json:"mb_per_sec"`
	ProcCPUus    *float64 `json:"proc_cpu_us_per_mb,omitempty"`
	MachineCPUus float64  `json:"machine_cpu_us_per_mb"`
	Bytes        int64    `json:"bytes"`
	Seconds      float64  `json:"seconds"`
}

// tcpResult is one (scenario, target) cell.
type tcpResult struct {
	Scenario string   `json:"scenario"`
	Target   string   `json:"target"`
	Median   tcpRun   `json:"median"`
	Runs     []tcpRun `json:"runs,omitempty"`
}

// clientAddrFor is the client namespace's address toward a target.
func clientAddrFor(dst [4]byte) string {
	switch dst {
	case ip4(stackAddr):
		return tapPeerAddr
	case ip4(packetStackAddr):
		return packetClientAddr
	}
	return clientVeth
}

// measureTCP runs the TCP scenarios of o against t.
func measureTCP(o options, topo *topology, t target, self string, stop *atomic.Bool) ([]tcpResult, error) {
	var rs []tcpResult
	for _, sc := range o.tcpScenarios {
		res := tcpResult{Scenario: sc, Target: t.name()}
		fmt.Fprintf(os.Stderr, "%s %s: ", t.name(), sc)
		for i := 0; i < o.runs && !stop.Load(); i++ {
			r, err := tcpRunOnce(o, topo, t, self, sc)
			if err != nil {
				fmt.Fprintln(os.Stderr)
				return append(rs, res), fmt.Errorf("%s %s: %w", t.name(), sc, err)
			}
			fmt.Fprintf(os.Stderr, " %.1f MB/s", r.MBps)
			res.Runs = append(res.Runs, r)
		}
		fmt.Fprintln(os.Stderr)
		res.Median = tcpMedian(res.Runs)
		rs = append(rs, res)
	}
	return rs, nil
}

func tcpRunOnce(o options, topo *topology, t target, self, sc string) (tcpRun, error) {
	dst := t.addr()
	host := fmt.Sprintf("%d.%d.%d.%d", dst[0], dst[1], dst[2], dst[3])
	if sc == scTCPRx {
		pid, err := startTCPSink(t, topo, self)
		if err != nil {
			return tcpRun{}, err
		}
		conn, err := dialRetry(topo.client, fmt.Sprintf("%s:%d", host, tcpSinkPort))
		if err != nil {
			return tcpRun{}, err
		}
		defer conn.Close()
		return measureBulk(o.duration, pid, func(end time.Time) (int64, error) { return sendUntil(conn, end) })
	}
	ln, err := listenIn(topo.client, fmt.Sprintf("%s:%d", clientAddrFor(dst), tcpSourcePort))
	if err != nil {
		return tcpRun{}, err
	}
	defer ln.Close()
	pid, stopSender, err := startTCPSender(t, topo, self, clientAddrFor(dst))
	if err != nil {
		return tcpRun{}, err
	}
	defer stopSender()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := ln.Accept()
	if err != nil {
		return tcpRun{}, fmt.Errorf("the target did not connect: %w", err)
	}
	defer conn.Close()
	return measureBulk(o.duration, pid, func(end time.Time) (int64, error) { return readUntil(conn, end) })
}

// measureBulk runs move for d between two CPU samples.
func measureBulk(d time.Duration, pid int, move func(end time.Time) (int64, error)) (tcpRun, error) {
	c0, err := sampleCPU(pid)
	if err != nil {
		return tcpRun{}, err
	}
	start := time.Now()
	n, err := move(start.Add(d))
	elapsed := time.Since(start)
	c1, serr := sampleCPU(pid)
	if err == nil {
		err = serr
	}
	if err != nil {
		return tcpRun{}, err
	}
	mb := float64(n) / 1e6
	r := tcpRun{Bytes: n, Seconds: elapsed.Seconds(), MBps: mb / elapsed.Seconds()}
	if mb > 0 {
		r.MachineCPUus = ticksToMicros(c1.machine.Busy-c0.machine.Busy) / mb
		if pid > 0 {
			v := ticksToMicros(c1.proc-c0.proc) / mb
			r.ProcCPUus = &v
		}
	}
	return r, nil
}

// sendUntil writes until end, half-closes and waits for the peer to close:
// what it counts was all delivered.
func sendUntil(c net.Conn, end time.Time) (int64, error) {
	buf := make([]byte, tcpBufSize)
	var n int64
	c.SetWriteDeadline(end)
	for {
		k, err := c.Write(buf)
		n += int64(k)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return n, err
		}
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return n, err
	}
	c.SetReadDeadline(time.Now().Add(tcpDrainWait))
	if _, err := io.Copy(io.Discard, c); err != nil {
		return n, fmt.Errorf("waiting for the receiver to close: %w", err)
	}
	return n, nil
}

// readUntil reads until end.
func readUntil(c net.Conn, end time.Time) (int64, error) {
	buf := make([]byte, tcpBufSize)
	var n int64
	c.SetReadDeadline(end)
	for {
		k, err := c.Read(buf)
		n += int64(k)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("the sender stopped: %w", err)
		}
	}
}

// tcpMedian takes the median of each figure over runs independently.
func tcpMedian(runs []tcpRun) tcpRun {
	pick := func(f func(tcpRun) float64) float64 {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return median(xs)
	}
	m := tcpRun{
		MBps:         pick(func(r tcpRun) float64 { return r.MBps }),
		MachineCPUus: pick(func(r tcpRun) float64 { return r.MachineCPUus }),
		Bytes:        int64(pick(func(r tcpRun) float64 { return float64(r.Bytes) })),
		Seconds:      pick(func(r tcpRun) float64 { return r.Seconds }),
	}
	if len(runs) > 0 && runs[0].ProcCPUus != nil {
		v := pick(func(r tcpRun) float64 { return *r.ProcCPUus })
		m.ProcCPUus = &v
	}
	return m
}

// formatTCP prints the TCP cells and, beside each of ours, its ratio to
// the kernel's figure in the same direction.
func formatTCP(rs []tcpResult) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\ttarget\tMB/s\tapp CPU µs/MB\tmachine CPU µs/MB\tMB/s ours/kernel\tmachine CPU/MB ours/kernel\t")
	for _, r := range rs {
		m := r.Median
		proc := "-"
		if m.ProcCPUus != nil {
			proc = fmt.Sprintf("%.0f", *m.ProcCPUus)
		}
		rate, cpu := "", ""
		for _, k := range rs {
			if r.Target != targetKernel && k.Target == targetKernel && k.Scenario == r.Scenario {
				rate = fmt.Sprintf("%.2f×", div(m.MBps, k.Median.MBps))
				cpu = fmt.Sprintf("%.2f×", div(m.MachineCPUus, k.Median.MachineCPUus))
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%.1f\t%s\t%.0f\t%s\t%s\t\n", r.Scenario, r.Target, m.MBps, proc, m.MachineCPUus, rate, cpu)
	}
	w.Flush()
	return b.String()
}
