//go:build linux

package kerneltest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
)

// noHost is on the TAP's subnet, and no host has it: neither the kernel
// nor our stack answers ARP for it.
var noHost = netip.MustParseAddr("10.0.0.9")

// kernelConnectNoHost is the reference: the kernel, on its side of the
// TAP, connects to an address of the subnet that nobody has. It returns
// how long connect took and its error (Linux: EHOSTUNREACH once its 3 ARP
// requests, 1 s apart, go unanswered).
func kernelConnectNoHost(t *testing.T, h *tapHost, addr netip.Addr) (time.Duration, error) {
	var err error
	start := time.Now()
	nstest.Do(t, h.ns, func() {
		var c net.Conn
		if c, err = net.DialTimeout("tcp4", netip.AddrPortFrom(addr, 80).String(), 30*time.Second); err == nil {
			c.Close()
		}
	})
	return time.Since(start), err
}

// snc, curl, traceroute and ping to an address on the TAP's subnet with no
// host behind it: each hears host unreachable when ARP gives up, as
// Linux's programs do (the kernel's own connect, timed beside ours, is
// the reference), and nothing is left waiting for the neighbour.
func TestUnresolvedNeighbourAsLinux(t *testing.T) {
	h := newTapHost(t)
	var slowest time.Duration
	var ours sync.WaitGroup
	ours.Go(func() { slowest = runUnreachableCommands(t, h) }) // t.Errorf only
	defer ours.Wait()                                          // also if the kernel's side fails t
	// The kernel on the test's goroutine (nstest.Do may t.Fatal), to a
	// different unused address: its own ARP entry on each side.
	kernelTook, err := kernelConnectNoHost(t, h, netip.MustParseAddr("10.0.0.10"))
	ours.Wait()
	if !errors.Is(err, syscall.EHOSTUNREACH) {
		t.Errorf("the kernel's connect to an address nobody has: %v, want EHOSTUNREACH (the reference this test compares with)", err)
	}
	t.Logf("the kernel's connect failed after %v (%v); our slowest command took %v", kernelTook.Round(time.Millisecond), err, slowest.Round(time.Millisecond))
	if slowest > kernelTook+time.Second {
		t.Errorf("our slowest command took %v, the kernel's connect %v", slowest, kernelTook)
	}
	if n := h.stack.ARP.Stats.Failed.Load(); n != 4 {
		t.Errorf("ARP Failed = %d, want 4 (one per command)", n)
	}
}

// runUnreachableCommands runs each command to noHost in the shell, checks
// what it printed, how long it took and what it left behind, and returns
// the longest time one took. It reports with t.Errorf only, so it may run
// on a goroutine of its own.
func runUnreachableCommands(t *testing.T, h *tapHost) (slowest time.Duration) {
	steps := []struct {
		cmd  string
		want string // matched against the output and the error's text
	}{
		{"snc -c 10.0.0.9:80", `^snc: connect to 10\.0\.0\.9:80: No route to host$`},
		{"curl http://10.0.0.9/", `^curl: \(7\) Failed to connect to 10\.0\.0\.9 port 80: No route to host$`},
		{"traceroute -q 1 -m 3 10.0.0.9", `^traceroute to 10\.0\.0\.9 \(10\.0\.0\.9\), 3 hops max, 60 byte packets\n` +
			` 1  10\.0\.0\.1  3\d{3}\.\d{3} ms !H\n$`},
		{"ping -c 1 10.0.0.9", `(?m)^From 10\.0\.0\.1 icmp_seq=1 Destination Host Unreachable$`},
	}
	for _, s := range steps {
		start := time.Now()
		out, err := shellRun(h, s.cmd)
		elapsed := time.Since(start)
		slowest = max(slowest, elapsed)
		if err != nil {
			out += err.Error()
		}
		if !regexp.MustCompile(s.want).MatchString(out) {
			t.Errorf("%s printed:\n%s\nwant it to match %s", s.cmd, out, s.want)
		}
		// ARP gives up 3 s after the first request (Linux's mcast_solicit
		// and retrans_time_ms): not after the SYN retries (127 s),
		// traceroute's wait (5 s) or a fourth request (4 s).
		if elapsed < 2900*time.Millisecond || elapsed > 3900*time.Millisecond {
			t.Errorf("%s took %v, want the ARP give-up time, 3 s", s.cmd, elapsed.Round(time.Millisecond))
		}
		// A SYN retransmitted at 3 s, in the moment between ARP giving
		// up and the host unreachable reaching TCP over lo, starts a new
		// resolution (as Linux restarts one from FAILED); it too gives up
		// within 3 s. What must not happen is that anything stays.
		for deadline := time.Now().Add(4 * time.Second); time.Now().Before(deadline) && leftBehind(h) != ""; {
			time.Sleep(20 * time.Millisecond)
		}
		if left := leftBehind(h); left != "" {
			t.Errorf("after %s: %s", s.cmd, left)
		}
	}
	return slowest
}

// leftBehind says what an unreachable command left in the stack: packets
// waiting for ARP, TCP sockets, an ARP entry for noHost; "" for nothing.
func leftBehind(h *tapHost) string {
	if n := h.stack.ARP.Queued(); n != 0 {
		return fmt.Sprintf("%d packets still wait for ARP", n)
	}
	if c := h.stack.TCP.Connections(); len(c) != 0 {
		return fmt.Sprintf("TCP sockets left: %+v", c)
	}
	for _, e := range h.stack.ARP.List() {
		if e.IP == noHost {
			return fmt.Sprintf("ARP entry for %v left: %+v", noHost, e)
		}
	}
	return ""
}
