//go:build !linux

package main

import (
	"fmt"
	"os"
	"runtime"
)

// tapbench measures the stack against the Linux kernel, in network
// namespaces of its own: there is nothing to measure elsewhere.
func main() {
	fmt.Fprintf(os.Stderr, "tapbench: not supported on %s (it needs Linux: network namespaces and TAP)\n", runtime.GOOS)
	os.Exit(1)
}
