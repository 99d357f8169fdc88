//go:build linux

package kerneltest

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/shell"
)

// startDnsmasq runs dnsmasq in h's namespace as the name server on
// 10.0.0.2: every name under lab.test is 10.0.0.2, web.lab.test is
// 10.0.0.77, names under gone.test do not exist, and it knows no other
// (no upstream: it refuses them). It is stopped when the test ends.
func startDnsmasq(t *testing.T, h *tapHost) {
	t.Helper()
	bin, err := exec.LookPath("dnsmasq")
	if err != nil {
		nstest.Unavailable(t, "needs dnsmasq (apt-get install dnsmasq-base, or make deps)")
	}
	var log syncbuf.Buffer
	cmd := exec.Command("ip", "netns", "exec", h.ns, bin, "--no-daemon", "--conf-file=/dev/null", "--pid-file=",
		"--port=53", "--listen-address="+kernelAddr.Addr().String(), "--bind-interfaces", "--no-resolv", "--no-hosts",
		"--address=/lab.test/10.0.0.2", "--host-record=web.lab.test,10.0.0.77", "--address=/gone.test/",
		"--log-queries", "--log-facility=-", "--user=root")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("dnsmasq: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("dnsmasq's log:\n%s", log.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), "started, version"); time.Sleep(10 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("dnsmasq exited:\n%s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dnsmasq did not start in 10 s:\n%s", log.String())
		}
	}
}

// The shell's host asks dnsmasq in the kernel's namespace through the
// stack, and ping takes the name it answers.
func TestHostAgainstDnsmasq(t *testing.T) {
	h := newTapHost(t)
	startDnsmasq(t, h)
	var out syncbuf.Buffer
	sh := newShell(h, &out)
	if err := sh.Execute(bgCtx(), "resolv 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		line, want string
		fails      bool
	}{
		{"host www.lab.test", "www.lab.test has address 10.0.0.2\n", false},
		{"host web.lab.test 10.0.0.2", "Using domain server:\nName: 10.0.0.2\nAddress: 10.0.0.2#53\nAliases: \n\nweb.lab.test has address 10.0.0.77\n", false},
		{"host nope.gone.test", "Host nope.gone.test not found: 3(NXDOMAIN)\n", true},
		{"host example.org", "Host example.org not found: 5(REFUSED)\n", true},
	}
	for _, c := range cases {
		out.Reset()
		err := sh.Execute(bgCtx(), c.line)
		if (err != nil) != c.fails || (err != nil && !errors.Is(err, shell.ErrFailed)) {
			t.Errorf("%s: error %v, want failure %v", c.line, err, c.fails)
		}
		if got := out.String(); got != c.want {
			t.Errorf("%s: output (-want +got):\n-%q\n+%q", c.line, c.want, got)
		}
	}
	out.Reset()
	if err := sh.Execute(bgCtx(), "ping -c 1 www.lab.test"); err != nil {
		t.Fatalf("ping www.lab.test: %v\n%s", err, out.String())
	}
	if want := "PING www.lab.test (10.0.0.2) 56(84) bytes of data.\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("ping www.lab.test printed %q, want it to start %q", out.String(), want)
	}
	// Go's resolver API, as a program embedding the stack calls it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hosts, err := h.stack.Resolver().LookupHost(ctx, "web.lab.test")
	if err != nil || !slices.Equal(hosts, []string{"10.0.0.77"}) {
		t.Errorf("Resolver().LookupHost(web.lab.test) = %v, %v; want [10.0.0.77]", hosts, err)
	}
	if n := h.stack.DNSStats().Mismatched.Load() + h.stack.DNSStats().Malformed.Load(); n != 0 {
		t.Errorf("%d of dnsmasq's answers ignored, want none", n)
	}
}

// A UDP socket the stack dialled hears the kernel's port unreachable as
// ECONNREFUSED on its next read, as the kernel's own sockets do.
func TestUDPConnRefusedByKernel(t *testing.T) {
	h := newTapHost(t)
	c, err := h.stack.DialContext(context.Background(), "udp", "10.0.0.2:9")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("anyone?")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 16)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("read after writing to the kernel's closed port: %v, want ECONNREFUSED", err)
	}
}
