//go:build linux

package kerneltest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
)

// dnsmasq serves DHCP on ifc inside ns (10.0.0.2/24 on the kernel side)
// until the test ends: a 2-minute lease (dnsmasq's least) with T1 10 s
// and T2 20 s, so a renewal comes within the test. It returns the lease
// file's path.
func dnsmasq(t *testing.T, ns, ifc string) string {
	t.Helper()
	if _, err := exec.LookPath("dnsmasq"); err != nil {
		nstest.Unavailable(t, "dnsmasq is not installed (make deps installs dnsmasq-base)")
	}
	dir := t.TempDir()
	leases := filepath.Join(dir, "leases")
	cmd := exec.Command("ip", "netns", "exec", ns, "dnsmasq", "--no-daemon", "--conf-file=/dev/null",
		"--user=root", "--group=root", "--port=0", "--no-ping", "--log-dhcp", "--log-facility=-",
		"--interface="+ifc, "--pid-file="+filepath.Join(dir, "pid"), "--dhcp-leasefile="+leases,
		"--dhcp-range=10.0.0.50,10.0.0.60,255.255.255.0,2m",
		"--dhcp-option=option:router,10.0.0.2", "--dhcp-option=option:dns-server,10.0.0.2",
		"--dhcp-option=option:T1,10", "--dhcp-option=option:T2,20")
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log // a file: Wait does not wait for a pipe a child holds
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("dnsmasq's log:\n%s", b)
		}
	})
	return leases
}

// TestDHCPFromDnsmasq: the tapip program gets an address from dnsmasq on
// the TAP's kernel side (ifconfig, route and dnsmasq's lease file agree),
// renews it at T1 (dnsmasq's lease file moves its expiry on), and releases
// it on exit (the lease leaves the file).
func TestDHCPFromDnsmasq(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gtpdhcp")
	const ifc, mac = "gtdhcp0", "02:00:0a:00:00:99"
	nstest.Run(t, ns, "ip", "tuntap", "add", "dev", ifc, "mode", "tap")
	nstest.Run(t, ns, "ip", "addr", "add", "10.0.0.2/24", "dev", ifc)
	nstest.Run(t, ns, "ip", "link", "set", ifc, "up")
	leases := dnsmasq(t, ns, ifc)

	script := "dhclient " + ifc + "\nifconfig " + ifc + "\nroute\nsleep 12\ndhclient\n"
	cmd := exec.Command("ip", "netns", "exec", ns, tapipBin, "-dev", "tap:"+ifc, "-hwaddr", mac, "-peer", "none")
	cmd.Stdin = strings.NewReader(script)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })

	// While tapip sleeps: the lease is in dnsmasq's file, then its expiry
	// moves on when tapip renews at T1.
	first := waitLease(t, leases, mac, "", exited)
	if renewed := waitLease(t, leases, mac, first, exited); renewed <= first {
		t.Errorf("the renewal did not move the lease's expiry on: %q, then %q", first, renewed)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("tapip: %v\nstdout:\n%s\nstderr:\n%s", waitErr, out.String(), errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("tapip did not exit\nstdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	}
	stdout, stderr := out.String(), errOut.String()
	addr := regexp.MustCompile(`bound to (10\.0\.0\.(5[0-9]|60)) -- renewal in`).FindStringSubmatch(stdout)
	if addr == nil {
		t.Fatalf("no bind in the output:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	for _, want := range []string{
		"DHCPDISCOVER on " + ifc + " to 255.255.255.255 port 67",
		"DHCPOFFER of " + addr[1] + " from 10.0.0.2",
		"DHCPACK of " + addr[1] + " from 10.0.0.2",
		"inet " + addr[1] + "  netmask 255.255.255.0",
		"0.0.0.0         10.0.0.2        0.0.0.0         UG",
		"fixed-address " + addr[1] + ";",
		"option domain-name-servers 10.0.0.2;",
		"DHCPRELEASE of " + addr[1] + " on " + ifc + " to 10.0.0.2 port 67",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if want := "DHCPREQUEST for " + addr[1] + " on " + ifc + " to 10.0.0.2 port 67"; !strings.Contains(stderr, want) {
		t.Errorf("no renewal at T1 (%q) in the notices:\n%s", want, stderr)
	}
	if f := strings.Fields(first); f[2] != addr[1] {
		t.Errorf("dnsmasq's lease %q is not for %s", first, addr[1])
	}
	waitFor(t, "dnsmasq to drop the released lease", func() bool { return firstLine(t, leases, mac) == "" })
}

// waitLease waits until leases has a line for mac whose expiry differs
// from not (the first line: not ""), and returns that line.
func waitLease(t *testing.T, leases, mac, not string, exited <-chan struct{}) string {
	t.Helper()
	end := time.Now().Add(45 * time.Second)
	for time.Now().Before(end) {
		if line := firstLine(t, leases, mac); line != "" && line != not {
			return line
		}
		select {
		case <-exited:
			t.Fatalf("tapip exited before the lease file showed a lease for %s (after %q)", mac, not)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("no lease for %s in %s (after %q)", mac, leases, not)
	return ""
}

// firstLine is the line of dnsmasq's lease file for mac ("EXPIRY MAC IP
// HOSTNAME CLIENT-ID"), or "".
func firstLine(t *testing.T, leases, mac string) string {
	b, err := os.ReadFile(leases)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[1] == mac {
			return line
		}
	}
	return ""
}
