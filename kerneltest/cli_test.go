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

var tapipBin string // built once by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tapip-bin")
	if err != nil {
		panic(err)
	}
	tapipBin = filepath.Join(dir, "tapip")
	if out, err := exec.Command("go", "build", "-o", tapipBin, "../cmd/tapip").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runTapip runs the tapip binary inside ns with stdin and returns stdout,
// stderr and the exit status.
func runTapip(t *testing.T, ns, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, tapipBin}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	return nstest.Outcome(t, cmd)
}

// The whole program, as a user runs it: it creates the TAP, configures the
// kernel side (-peer), pings through it, and removes the TAP on exit.
func TestCLIPingKernelAndCleanUp(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gtpcli")
	out, errOut, status := runTapip(t, ns, "", "-dev", "tap:gtcli0", "-addr", "10.0.0.1/24", "-peer", "10.0.0.2/24",
		"-c", "ping -c 2 -i 0.2 10.0.0.2; arpcache")
	if status != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", status, out, errOut)
	}
	for _, want := range []string{"64 bytes from 10.0.0.2: icmp_seq=2 ttl=64", "2 packets transmitted, 2 received, 0% packet loss", "REACHABLE"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := nstest.Exec(ns, "ip", "link", "show", "gtcli0"); err == nil {
		t.Errorf("the TAP gtcli0 is still there after tapip exited")
	}
}

// A ping with no reply fails the program, as iputils ping does; the
// statistics still print.
func TestCLIPingNoReplyFails(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gtpcli")
	out, _, status := runTapip(t, ns, "", "-dev", "tap:gtcli0", "-c", "ping -c 1 -W 0.3 10.0.0.99")
	if status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	if !strings.Contains(out, "1 packets transmitted, 0 received, 100% packet loss") {
		t.Errorf("no loss statistics:\n%s", out)
	}
}

// Commands piped on stdin run in order; nonsense gets a clear error on
// stderr, the rest still run, and the exit status reports the failure.
func TestCLIScriptFromStdin(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gtpcli")
	script := "route\nfrobnicate now\nping -c nope 10.0.0.2\nifconfig gtcli0\n"
	out, errOut, status := runTapip(t, ns, script, "-dev", "tap:gtcli0", "-peer", "none")
	if status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	for _, want := range []string{"frobnicate: unknown command (help lists them)\n",
		"ping: -c nope: invalid argument (give a whole number from 1 to 2147483647)\nusage: ping "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	for _, want := range []string{"10.0.0.0  ", "gtcli0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n",
		"        ether 02:00:0a:00:00:01  txqueuelen 0  (Ethernet)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// Without root there is no TAP: tapip says so in one line and starts on the
// simulated LAN, where both simulated hosts answer ping.
func TestCLIFallsBackToSimWithoutRoot(t *testing.T) {
	nstest.RequireRoot(t) // to become an unprivileged user
	if err := os.Chmod(filepath.Dir(tapipBin), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", tapipBin,
		"-c", "ping -c 1 10.0.0.2; ping -c 1 10.0.1.2")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("tapip as nobody: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	// One short line: why there is no TAP, what to do, and that the sim
	// stands in (EPERM from TUNSETIFF, or EACCES opening /dev/net/tun).
	want := regexp.MustCompile(`^tapip: tap0: (Operation not permitted|Permission denied) \(run as root or with CAP_NET_ADMIN\): using the simulated LAN instead\n$`)
	if !want.MatchString(errOut.String()) {
		t.Errorf("stderr should be one line matching %s:\n%s", want, errOut.String())
	}
	for _, want := range []string{"64 bytes from 10.0.0.2: icmp_seq=1 ttl=64", "64 bytes from 10.0.1.2: icmp_seq=1 ttl=63"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
}

// A second device added at the prompt (netdev add), listed, used and removed.
func TestCLINetdevAddDel(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gtpcli")
	out, errOut, status := runTapip(t, ns, "", "-dev", "tap:gtcli0", "-c",
		"netdev add tap:gtcli1 10.0.9.1/24 peer 10.0.9.2/24; netdev; ping -c 1 -W 2 10.0.9.2; netdev del gtcli1; netdev")
	if status != 0 {
		t.Fatalf("status %d\n%s%s", status, out, errOut)
	}
	for _, re := range []string{
		`(?m)^gtcli1: added \(tap, 02:00:0a:00:09:01\)$`,
		`(?m)^Iface\s+Driver\s+HWaddr\s+Address\s+MTU\s+State$`,
		`(?m)^gtcli1\s+tap\s+02:00:0a:00:09:01\s+10\.0\.9\.1/24\s+1500\s+UP$`,
		`(?m)^64 bytes from 10\.0\.9\.2: icmp_seq=1 ttl=64`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", re, out)
		}
	}
	if strings.Count(out, "gtcli1  ") != 1 { // listed once: before del, not after
		t.Errorf("gtcli1 listed %d times, want once (before netdev del):\n%s", strings.Count(out, "gtcli1  "), out)
	}
	if _, err := nstest.Exec(ns, "ip", "link", "show", "gtcli1"); err == nil {
		t.Errorf("netdev del left the TAP gtcli1 in the kernel")
	}
}

// As root the simulated LAN never stands in for a TAP that exists but will
// not serve: one busy in another program, one refusing the settings. Each
// is an error, exit 1, with no fallback (before, both "fell back" and the
// sim's 10.0.0.2 answered pings as if it were the kernel). The kernel side
// of a working TAP has its subnet's broadcast address.
func TestCLIRealTAPErrorsDoNotFallBack(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gtpcli")
	// A first tapip holds tap0 (the default) while its script is open.
	holder := exec.Command("ip", "netns", "exec", ns, tapipBin)
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var holderOut strings.Builder
	holder.Stdout, holder.Stderr = &holderOut, &holderOut
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		holder.Wait()
	}()
	var addr string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(addr, "inet 10.0.0.2/24"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the first tapip never configured tap0: %q\n%s", addr, holderOut.String())
		}
		addr, _ = nstest.Exec(ns, "ip", "-o", "-4", "addr", "show", "dev", "tap0")
	}
	if !strings.Contains(addr, "inet 10.0.0.2/24 brd 10.0.0.255 ") {
		t.Errorf("the kernel side lacks its broadcast address: %q", addr)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"busy", []string{"-c", "ping -c 1 10.0.0.2"},
			"tapip: tap0: Device or resource busy (another program has it open: end it, or give -dev tap:OTHER)\n"},
		{"MTU refused", []string{"-dev", "tap:gtcli1", "-mtu", "10", "-c", "ping -c 1 10.0.0.2"},
			"tapip: gtcli1: bad MTU 10 (give 68 to 9000)\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, status := runTapip(t, ns, "", c.args...)
			if status != 1 || out != "" || errOut != c.want {
				t.Errorf("status %d (want 1), stdout %q, stderr (-want +got):\n-%s\n+%s", status, out, c.want, errOut)
			}
		})
	}
	if _, err := nstest.Exec(ns, "ip", "link", "show", "gtcli1"); err == nil {
		t.Errorf("the TAP gtcli1 whose MTU was refused is still there")
	}
}
