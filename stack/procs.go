package stack

import (
	"os"
	"runtime"
)

// UseOneProc gives the Go runtime one P unless GOMAXPROCS is set. The
// stack's own work is a fraction of a microsecond per packet between
// read(2) and write(2), and a second P only adds scheduler wake-ups
// (measured in doc/performance.md). tapip and tapbench's profiling
// harness both call it, so a profile shows what tapip does.
func UseOneProc() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}
