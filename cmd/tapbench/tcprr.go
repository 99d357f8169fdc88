//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// TCP request/response, as netperf's TCP_RR: C connections from the
// client namespace's kernel to the target's echo service on port 5003,
// each with one transaction outstanding: write S bytes, read the S bytes
// echoed, again. A transaction's latency is from the write to the last
// byte read. The echo service: tapbench -tcp-echo in the server namespace
// for the kernel, the shell's snc -k -e for ours (up to 64 connections),
// gVisor's program in echo mode.

const (
	scTCPRR     = "tcp-rr"
	tcpEchoPort = 5003
	// maxRRSamples bounds the latencies kept per run (4 bytes each); past
	// it transactions are counted but their latency is not kept.
	maxRRSamples = 4 << 20
)

// rrRun is one run of a request/response cell.
type rrRun struct {
	TransPerSec  float64  `json:"transactions_per_sec"`
	P50us        float64  `json:"latency_p50_us"`
	P99us        float64  `json:"latency_p99_us"`
	ProcCPUus    *float64 `json:"proc_cpu_us_per_transaction,omitempty"`
	MachineCPUus float64  `json:"machine_cpu_us_per_transaction"`
	Transactions uint64   `json:"transactions"`
	Seconds      float64  `json:"seconds"`
}

// rrResult is one (size, connections, target) cell.
type rrResult struct {
	Target string  `json:"target"`
	Size   int     `json:"size_bytes"`
	Conns  int     `json:"connections"`
	NA     string  `json:"na,omitempty"`
	Median rrRun   `json:"median"`
	Runs   []rrRun `json:"runs,omitempty"`
}

// rrLoad is what the connections measured in one run.
type rrLoad struct {
	lat      []uint32 // nanoseconds, at most maxRRSamples
	count    uint64
	elapsed  time.Duration
	cpu0     cpuSample
	cpu1     cpuSample
	withProc bool
}

// summarizeRR reduces a run; l.lat is sorted in place.
func summarizeRR(l rrLoad) rrRun {
	r := rrRun{Transactions: l.count, Seconds: l.elapsed.Seconds()}
	if l.elapsed > 0 {
		r.TransPerSec = float64(l.count) / l.elapsed.Seconds()
	}
	slices.Sort(l.lat)
	r.P50us = float64(percentile(l.lat, 50)) / 1e3
	r.P99us = float64(percentile(l.lat, 99)) / 1e3
	if l.count > 0 {
		r.MachineCPUus = ticksToMicros(l.cpu1.machine.Busy-l.cpu0.machine.Busy) / float64(l.count)
		if l.withProc {
			v := ticksToMicros(l.cpu1.proc-l.cpu0.proc) / float64(l.count)
			r.ProcCPUus = &v
		}
	}
	return r
}

func rrMedian(runs []rrRun) rrRun {
	pick := func(f func(rrRun) float64) float64 { return medianBy(runs, f) }
	return rrRun{
		TransPerSec:  pick(func(r rrRun) float64 { return r.TransPerSec }),
		P50us:        pick(func(r rrRun) float64 { return r.P50us }),
		P99us:        pick(func(r rrRun) float64 { return r.P99us }),
		ProcCPUus:    medianOpt(runs, func(r rrRun) *float64 { return r.ProcCPUus }),
		MachineCPUus: pick(func(r rrRun) float64 { return r.MachineCPUus }),
		Transactions: uint64(pick(func(r rrRun) float64 { return float64(r.Transactions) })),
		Seconds:      pick(func(r rrRun) float64 { return r.Seconds }),
	}
}

// measureRR runs every (size, connections) cell against t.
func measureRR(o options, topo *topology, t target, self string, stop *atomic.Bool) ([]rrResult, error) {
	pid, err := startTCPEcho(t, self)
	if err != nil {
		return nil, err
	}
	var rs []rrResult
	for _, size := range o.rrSizes {
		for _, conns := range o.rrConns {
			res := rrResult{Target: t.name(), Size: size, Conns: conns}
			fmt.Fprintf(os.Stderr, "%s %s %dB×%d: ", t.name(), scTCPRR, size, conns)
			for i := 0; i < o.runs && !stop.Load(); i++ {
				l, err := rrRunOnce(o, topo.client, addrString(t.addr()), size, conns, pid)
				if err != nil {
					fmt.Fprintln(os.Stderr)
					return append(rs, res), fmt.Errorf("%s %s %dB×%d: %w", t.name(), scTCPRR, size, conns, err)
				}
				r := summarizeRR(l)
				fmt.Fprintf(os.Stderr, " %.0f/s", r.TransPerSec)
				res.Runs = append(res.Runs, r)
			}
			fmt.Fprintln(os.Stderr)
			if len(res.Runs) > 0 {
				res.Median = rrMedian(res.Runs)
			}
			rs = append(rs, res)
		}
	}
	return rs, nil
}

// rrRunOnce opens conns connections, warms them up for o.warmup and
// measures o.duration of transactions.
func rrRunOnce(o options, ns, host string, size, conns, pid int) (rrLoad, error) {
	cs := make([]net.Conn, 0, conns)
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	for range conns {
		c, err := dialRetry(ns, fmt.Sprintf("%s:%d", host, tcpEchoPort))
		if err != nil {
			return rrLoad{}, err
		}
		cs = append(cs, c)
	}
	if _, err := pingPong(cs, size, o.warmup, 0); err != nil {
		return rrLoad{}, fmt.Errorf("warm-up: %w", err)
	}
	l := rrLoad{withProc: pid > 0}
	var err error
	if l.cpu0, err = sampleCPU(pid); err != nil {
		return l, err
	}
	start := time.Now()
	lat, err := pingPong(cs, size, o.duration, maxRRSamples)
	l.elapsed = time.Since(start)
	if err != nil {
		return l, err
	}
	if l.cpu1, err = sampleCPU(pid); err != nil {
		return l, err
	}
	for _, c := range lat {
		l.count += c.count
		l.lat = append(l.lat, c.lat...)
	}
	return l, nil
}

// connLat is one connection's share of a run.
type connLat struct {
	lat   []uint32
	count uint64
}

// pingPong runs one transaction at a time on each connection for d and
// keeps up to keep latencies in all. A transaction unanswered 5 s after
// the end fails the run.
func pingPong(cs []net.Conn, size int, d time.Duration, keep int) ([]connLat, error) {
	out := make([]connLat, len(cs))
	errs := make([]error, len(cs))
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetDeadline(end.Add(5 * time.Second))
			req, resp := make([]byte, size), make([]byte, size)
			per := keep / len(cs)
			for t0 := time.Now(); t0.Before(end); t0 = time.Now() {
				if _, err := c.Write(req); err != nil {
					errs[i] = err
					return
				}
				if _, err := io.ReadFull(c, resp); err != nil {
					errs[i] = err
					return
				}
				out[i].count++
				if len(out[i].lat) < per {
					out[i].lat = append(out[i].lat, uint32(min(time.Since(t0), time.Duration(1<<32-1))))
				}
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// tcpEcho is the kernel target's echo service (tapbench -tcp-echo): every
// connection on tcpEchoPort gets back what it sends.
func tcpEcho(life time.Duration) error {
	return serveKernel(tcpEchoPort, life, true, func(c net.Conn) {
		defer c.Close()
		// Plain read and write, as netperf's server: no splice(2).
		io.CopyBuffer(struct{ io.Writer }{c}, struct{ io.Reader }{c}, make([]byte, tcpBufSize))
	})
}
