//go:build linux

package kerneltest

import (
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/syncbuf"
)

// The tapip binary on a TAP it makes in a namespace, running in the
// background while the kernel there talks to it: the TCP tests' way of
// testing the program as a user runs it (snc with redirection, httpd).

// tcpTapArgs start tapip on the TAP gttcp0 in TOP2's addresses.
var tcpTapArgs = []string{"-dev", "tap:gttcp0", "-addr", "10.0.0.1/24", "-peer", "10.0.0.2/24", "-no-color"}

// tcpNetns is a fresh namespace for a tapip on a TAP, IPv6 off.
func tcpNetns(t *testing.T) string {
	t.Helper()
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gttcp")
	nstest.Run(t, ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1")
	return ns
}

// tapipProc is a tapip running in the background.
type tapipProc struct {
	cmd         *exec.Cmd
	out, errOut syncbuf.Buffer
	done        chan struct{}
	status      int
}

// startTapip runs tapip with args inside ns without waiting for it; it is
// killed when the test ends if it is still running.
func startTapip(t *testing.T, ns string, args ...string) *tapipProc {
	t.Helper()
	p := &tapipProc{done: make(chan struct{})}
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", ns, tapipBin}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errOut
	if err := p.cmd.Start(); err != nil { // ip netns exec execs tapip in place: the PID is tapip's
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			p.status = ee.ExitCode()
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits up to d for tapip to exit and returns its status; it fails t
// (and kills tapip) if it does not.
func (p *tapipProc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.status
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("tapip still running after %v; killed.\nstdout:\n%s\nstderr:\n%s", d, tail(p.out.String()), p.errOut.String())
		return -1
	}
}

// interrupt is Ctrl-C: SIGINT, then wait for the exit.
func (p *tapipProc) interrupt(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGINT)
	return p.wait(t, 10*time.Second)
}

// waitOutput waits up to d for want in tapip's stdout.
func (p *tapipProc) waitOutput(t *testing.T, want string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); !strings.Contains(p.out.String(), want); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.done:
			t.Fatalf("tapip exited (status %d) before printing %q\nstdout:\n%s\nstderr:\n%s", p.status, want, p.out.String(), p.errOut.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("tapip did not print %q in %v\nstdout:\n%s\nstderr:\n%s", want, d, p.out.String(), p.errOut.String())
		}
	}
}

// dialWhenListening connects from the kernel in ns to addr, trying again
// while the TAP is not up yet or nothing listens there yet (refused), for
// up to 10 s.
func dialWhenListening(t *testing.T, ns, addr string, p *tapipProc) net.Conn {
	t.Helper()
	end := time.Now().Add(10 * time.Second)
	for {
		var c net.Conn
		var err error
		nstest.Do(t, ns, func() { c, err = net.DialTimeout("tcp4", addr, 5*time.Second) })
		if err == nil {
			return c
		}
		select {
		case <-p.done:
			t.Fatalf("tapip exited (status %d) before %s listened\nstdout:\n%s\nstderr:\n%s", p.status, addr, tail(p.out.String()), p.errOut.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("nothing listened on %s in 10 s: %v\nstderr:\n%s", addr, err, p.errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tail is the last 2 KB of a long output.
func tail(s string) string {
	if len(s) > 2048 {
		return "..." + s[len(s)-2048:]
	}
	return s
}
