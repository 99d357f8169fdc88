//go:build linux

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// CPU accounting from /proc, in clock ticks (USER_HZ, 100 per second on
// Linux: sysconf(_SC_CLK_TCK), fixed by the kernel ABI).
const clockTicksPerSec = 100

// machineCPU is the first line of /proc/stat, summed.
type machineCPU struct {
	Busy  uint64 // user+nice+system+irq+softirq
	Total uint64 // Busy + idle + iowait + steal
}

// parseProcStat reads the aggregate "cpu" line of /proc/stat:
//
//	cpu  user nice system idle iowait irq softirq steal guest guest_nice
//
// guest and guest_nice are already counted in user and nice.
func parseProcStat(data string) (machineCPU, error) {
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "cpu" {
			continue
		}
		if len(f) < 8 {
			return machineCPU{}, fmt.Errorf("/proc/stat: cpu line has %d fields, want at least 8: %q", len(f), line)
		}
		var v [8]uint64
		for i := range v {
			if i+1 >= len(f) {
				break
			}
			n, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				return machineCPU{}, fmt.Errorf("/proc/stat: cpu field %d: %w", i+1, err)
			}
			v[i] = n
		}
		busy := v[0] + v[1] + v[2] + v[5] + v[6]
		return machineCPU{Busy: busy, Total: busy + v[3] + v[4] + v[7]}, nil
	}
	return machineCPU{}, fmt.Errorf("/proc/stat: no aggregate cpu line")
}

// parsePidStat returns utime+stime (fields 14 and 15) of /proc/PID/stat.
// The command name (field 2) is in parentheses and may hold spaces and
// parentheses itself, so fields are counted after its last ')'.
func parsePidStat(data string) (uint64, error) {
	i := strings.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/PID/stat: no ')' after the command name: %q", data)
	}
	f := strings.Fields(data[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/PID/stat: %d fields after the command name, want at least 13", len(f))
	}
	var sum uint64
	for _, s := range f[11:13] {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/PID/stat: utime/stime: %w", err)
		}
		sum += n
	}
	return sum, nil
}

// cpuSample is the machine's and one process's CPU time at an instant.
type cpuSample struct {
	machine machineCPU
	proc    uint64 // ticks of the stack process; 0 without one
	self    uint64 // ticks of tapbench itself (the load generator)
}

// sampleCPU reads /proc/stat and, if pid > 0, /proc/pid/stat.
func sampleCPU(pid int) (cpuSample, error) {
	var s cpuSample
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	if s.machine, err = parseProcStat(string(data)); err != nil {
		return s, err
	}
	if data, err = os.ReadFile("/proc/self/stat"); err != nil {
		return s, err
	}
	if s.self, err = parsePidStat(string(data)); err != nil {
		return s, err
	}
	if pid > 0 {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return s, err
		}
		if s.proc, err = parsePidStat(string(data)); err != nil {
			return s, err
		}
	}
	return s, nil
}

// ticksToMicros converts clock ticks to microseconds.
func ticksToMicros(ticks uint64) float64 {
	return float64(ticks) * 1e6 / clockTicksPerSec
}
