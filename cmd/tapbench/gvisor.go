//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gotapip/gotapip/internal/syncbuf"
)

// The gVisor target: gVisor's netstack (gvisor.dev/gvisor) in a program of
// its own module, bench/gvisor, built by make gvisor-target. Its contract:
//
//	gvisor-target -tap NAME -addr CIDR [-offload=true|false]
//	              -mode sink|send|echo -port N [-connect IP:PORT]
//
// It opens the TAP NAME in the namespace it runs in and prints "ready"
// once the TAP is open and (sink, echo) it listens on port N; tapbench then
// brings the TAP's kernel side up. sink reads and discards each
// connection, send dials IP:PORT and writes until the connection fails,
// echo echoes every connection. SIGTERM ends it. Its mode is fixed when it
// starts, so every use is a process of its own on a fresh TAP.

const (
	gvisorTap      = "gvb0"
	gvisorAddr     = "10.77.3.1"
	gvisorPeerAddr = "10.77.3.2" // the TAP's kernel side, in the client ns
	gvisorReady    = 10 * time.Second
)

// gvisorMissing is the n/a reason when the binary is not there.
const gvisorMissing = "no gVisor target program: build it: make gvisor-target"

type gvisorTarget struct {
	bin, ns string
	proc    *child
	mode    string // proc's
}

// newGVisorTarget checks that bin exists.
func newGVisorTarget(bin, ns string) (*gvisorTarget, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, naError{gvisorMissing}
	}
	abs, err := filepath.Abs(bin) // ip netns exec would look a bare name up in PATH
	return &gvisorTarget{bin: abs, ns: ns}, err
}

func (g *gvisorTarget) name() string  { return targetGVisor }
func (g *gvisorTarget) addr() [4]byte { return ip4(gvisorAddr) }

// prepare: the program serves TCP only.
func (g *gvisorTarget) prepare(string) (int, string, error) {
	return 0, "the gVisor target program serves TCP only", nil
}

// run starts the program in mode on port (send: dialling connect) in
// place of the one running, and brings the TAP's kernel side up. It
// returns the PID charged with the stack's CPU.
func (g *gvisorTarget) run(mode string, port int, connect string) (int, error) {
	if g.proc != nil && !g.proc.exited() && g.mode == mode && connect == "" {
		return g.proc.pid(), nil // a sink or echo serves one run after another
	}
	g.stop()
	g.mode = mode
	args := []string{g.bin, "-tap", gvisorTap, "-addr", gvisorAddr + subnetPrefix, "-mode", mode, "-port", strconv.Itoa(port)}
	if connect != "" {
		args = append(args, "-connect", connect)
	}
	out := &syncbuf.Buffer{}
	c := nsCommand(g.ns, args...)
	c.Stdout, c.Stderr = out, out
	var err error
	if g.proc, err = startChild(c); err != nil {
		return 0, fmt.Errorf("gvisor target: %w", err)
	}
	ready := func() bool { return strings.Contains(out.String(), "ready\n") }
	if !waitFor(gvisorReady, func() bool { return ready() || g.proc.exited() }) || !ready() {
		g.stop()
		return 0, errors.New("the gvisor target did not say ready; its output:\n" + out.String())
	}
	for _, s := range [][]string{
		{"-n", g.ns, "addr", "replace", gvisorPeerAddr + subnetPrefix, "dev", gvisorTap},
		{"-n", g.ns, "link", "set", gvisorTap, "up"},
	} {
		if err := ipCmd(s...); err != nil {
			g.stop()
			return 0, err
		}
	}
	return g.proc.pid(), nil
}

func (g *gvisorTarget) stop() {
	g.proc.stop()
	g.proc = nil
}
