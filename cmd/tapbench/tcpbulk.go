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
	"time"
)

// TCP bulk throughput, each way, one connection at a time: the client
// namespace's kernel TCP against each target. The kernel target is the
// server namespace's kernel over the veth pair (its own veth-to-veth
// figure), with a small user-space sink or source (tapbench -tcp-sink,
// -tcp-send) as the application; our targets run the shell's snc, gVisor's
// its own program (gvisor.go):
//
//	tcp-rx (the target receives): tapbench connects to port 5001 and writes
//	  for the run's time, then half-closes and waits for the target to
//	  close: every byte counted was delivered. Target: snc -b 0.0.0.0:5001
//	  > /dev/null (one per run), or the kernel's sink.
//	tcp-tx (the target sends): tapbench listens on its address toward the
//	  target, port 5002, has the target connect (snc -c ADDR:5002 <
//	  /dev/zero, or tapbench -tcp-send) and reads for the run's time.
//	tcp-rx-loss, tcp-tx-loss: the same through a lossy hop (impair.go).
//	tcp-tx-reorder: tcp-tx with tapip's netem reordering what our stack sends.
//
// Figures per run: MB/s (10^6 bytes), CPU µs per MB of the application
// process (tapip: stack and snc together; the kernel's sink or source: its
// syscalls, where the kernel's TCP work on its side runs, softirq aside)
// and of the whole machine.

const (
	scTCPRx        = "tcp-rx" // the target receives
	scTCPTx        = "tcp-tx" // the target sends
	scTCPRxLoss    = "tcp-rx-loss"
	scTCPTxLoss    = "tcp-tx-loss"
	scTCPTxReorder = "tcp-tx-reorder"

	tcpSinkPort   = 5001
	tcpSourcePort = 5002
	tcpBufSize    = 64 << 10
	tcpDrainWait  = 30 * time.Second // after the run: the target reads what is in flight
)

// bulkScenarios are the bulk cells, in the order the table shows them.
var bulkScenarios = []string{scTCPRx, scTCPTx, scTCPRxLoss, scTCPTxLoss, scTCPTxReorder}

// targetSends says whether the target is the sender in scenario sc.
func targetSends(sc string) bool { return strings.HasPrefix(sc, scTCPTx) }

// tcpRun is one run of a TCP bulk scenario.
type tcpRun struct {
	MBps         float64  `json:"mb_per_sec"`
	ProcCPUus    *float64 `json:"proc_cpu_us_per_mb,omitempty"`
	MachineCPUus float64  `json:"machine_cpu_us_per_mb"`
	Bytes        int64    `json:"bytes"`
	Seconds      float64  `json:"seconds"`
	Dropped      uint64   `json:"dropped_segments,omitempty"` // by the lossy hop (-loss cells)
}

// tcpResult is one (scenario, target) cell.
type tcpResult struct {
	Scenario string   `json:"scenario"`
	Target   string   `json:"target"`
	NA       string   `json:"na,omitempty"` // why it did not run
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
	case ip4(gvisorAddr):
		return gvisorPeerAddr
	}
	return clientVeth
}

// measureBulkCell runs the bulk scenario sc against t, o.tcpRuns times.
func measureBulkCell(o options, topo *topology, t target, self, sc string, stop *atomic.Bool) (tcpResult, error) {
	res := tcpResult{Scenario: sc, Target: t.name()}
	imp, na, err := impairFor(o, topo, t, sc)
	if na != "" || err != nil {
		res.NA = na
		return res, err
	}
	defer imp.remove()
	fmt.Fprintf(os.Stderr, "%s %s: ", t.name(), sc)
	defer fmt.Fprintln(os.Stderr)
	for i := 0; i < o.tcpRuns && !stop.Load(); i++ {
		if err := imp.reset(); err != nil {
			return res, err
		}
		r, err := tcpRunOnce(o, imp.peer(topo), t, self, sc)
		if err != nil {
			return res, fmt.Errorf("%s %s: %w", t.name(), sc, err)
		}
		r.Dropped = imp.dropped()
		fmt.Fprintf(os.Stderr, " %.1f MB/s", r.MBps)
		res.Runs = append(res.Runs, r)
	}
	if len(res.Runs) > 0 {
		res.Median = tcpMedian(res.Runs)
	}
	return res, nil
}

// tcpRunOnce moves data for o.tcpDuration between the client's kernel TCP
// in namespace ns and the target.
func tcpRunOnce(o options, ns string, t target, self, sc string) (tcpRun, error) {
	host := addrString(t.addr())
	if !targetSends(sc) {
		pid, err := startTCPSink(t, self)
		if err != nil {
			return tcpRun{}, err
		}
		conn, err := dialRetry(ns, fmt.Sprintf("%s:%d", host, tcpSinkPort))
		if err != nil {
			return tcpRun{}, err
		}
		defer conn.Close()
		return measureBulk(o.tcpDuration, pid, func(end time.Time) (int64, error) { return sendUntil(conn, end) })
	}
	// The target connects to the client's address on its link; behind the
	// lossy hop that is forwarded to the peer (impair.go).
	ln, err := listenIn(ns, fmt.Sprintf(":%d", tcpSourcePort))
	if err != nil {
		return tcpRun{}, err
	}
	defer ln.Close()
	pid, stopSender, err := startTCPSender(t, self, clientAddrFor(t.addr()))
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
	return measureBulk(o.tcpDuration, pid, func(end time.Time) (int64, error) { return readUntil(conn, end) })
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
	pick := func(f func(tcpRun) float64) float64 { return medianBy(runs, f) }
	return tcpRun{
		MBps:         pick(func(r tcpRun) float64 { return r.MBps }),
		ProcCPUus:    medianOpt(runs, func(r tcpRun) *float64 { return r.ProcCPUus }),
		MachineCPUus: pick(func(r tcpRun) float64 { return r.MachineCPUus }),
		Bytes:        int64(pick(func(r tcpRun) float64 { return float64(r.Bytes) })),
		Seconds:      pick(func(r tcpRun) float64 { return r.Seconds }),
		Dropped:      uint64(pick(func(r tcpRun) float64 { return float64(r.Dropped) })),
	}
}

func addrString(a [4]byte) string { return fmt.Sprintf("%d.%d.%d.%d", a[0], a[1], a[2], a[3]) }
