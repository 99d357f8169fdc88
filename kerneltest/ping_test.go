//go:build linux

package kerneltest

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/shell"
)

// The kernel pings us: its ARP must resolve our MAC, every request must be
// answered.
func TestKernelPingsStack(t *testing.T) {
	h := newTapHost(t)
	out := nstest.Run(t, h.ns, "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.0.0.1")
	if got := ipingReceived(t, out); !strings.Contains(got, "5 packets transmitted, 5 received") {
		t.Fatalf("kernel ping: %s\n%s", got, out)
	}
	neigh := nstest.Run(t, h.ns, "ip", "neigh", "show", "10.0.0.1", "dev", h.ifc)
	if want := h.dev.MAC().String(); !strings.Contains(neigh, want) {
		t.Errorf("kernel neighbour entry %q does not hold our MAC %s", strings.TrimSpace(neigh), want)
	}
}

// We ping the kernel; afterwards arpcache holds the kernel's MAC.
func TestStackPingsKernel(t *testing.T) {
	h := newTapHost(t)
	if got := h.ping(t, "10.0.0.2", 3); got != 3 {
		t.Fatalf("stack ping: got %d replies, want 3", got)
	}
	mac, ok := h.stack.ARP.Lookup(kernelAddr.Addr())
	if want := h.kernelMAC(t); !ok || mac != want {
		t.Errorf("arp entry for 10.0.0.2 = %v (ok %v), want the kernel's %v", mac, ok, want)
	}
}

// The shell's ping and arpcache print what a network engineer expects.
func TestShellPingAndArpcacheAgainstKernel(t *testing.T) {
	h := newTapHost(t)
	var out, errOut bytes.Buffer
	sh := shell.New(h.stack, &out, &errOut)
	if err := sh.Execute(context.Background(), "ping -c 3 -i 0.1 10.0.0.2"); err != nil {
		t.Fatalf("ping: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, re := range []string{
		`(?m)^PING 10\.0\.0\.2 \(10\.0\.0\.2\) 56\(84\) bytes of data\.$`,
		`(?m)^64 bytes from 10\.0\.0\.2: icmp_seq=1 ttl=64 time=\d+\.\d+ ms$`,
		`(?m)^64 bytes from 10\.0\.0\.2: icmp_seq=3 ttl=64 time=\d+\.\d+ ms$`,
		`(?m)^--- 10\.0\.0\.2 ping statistics ---$`,
		`(?m)^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$`,
		`(?m)^rtt min/avg/max/mdev = \d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3} ms$`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("ping output lacks %s:\n%s", re, out.String())
		}
	}
	out.Reset()
	if err := sh.Execute(context.Background(), "arpcache"); err != nil {
		t.Fatal(err)
	}
	// As ip neigh prints it.
	if want := "10.0.0.2 dev gtap0 lladdr " + h.kernelMAC(t).String() + " REACHABLE\n"; out.String() != want {
		t.Errorf("arpcache (-want +got):\n-%s\n+%s", want, out.String())
	}
}

// arping against the kernel: every request answered, with the kernel's MAC.
func TestArpingKernel(t *testing.T) {
	h := newTapHost(t)
	out, err := shellRun(h, "arping -c 2 10.0.0.2")
	if err != nil {
		t.Fatalf("arping: %v\n%s", err, out)
	}
	mac := strings.ToUpper(h.kernelMAC(t).String())
	for _, re := range []string{
		`(?m)^ARPING 10\.0\.0\.2 from 10\.0\.0\.1 gtap0$`,
		`(?m)^Unicast reply from 10\.0\.0\.2 \[` + mac + `\]  \d+\.\d{3}ms$`,
		`(?m)^Sent 2 probes \(2 broadcast\(s\)\)$`,
		`(?m)^Received 2 response\(s\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("arping output lacks %s:\n%s", re, out)
		}
	}
}
