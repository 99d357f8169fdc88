//go:build linux

package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/internal/nstest"
)

// runBin runs the tapip binary with args and no input, and returns its
// stdout, stderr and exit status.
func runBin(t *testing.T, bin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	return nstest.Outcome(t, exec.Command(bin, args...))
}

// A flag error prints the error and the usage on stderr and exits 2; -h
// prints the usage and every flag on stdout and exits 0. (Before, tapip
// -poll x and tapip -dev sim extra exited 2 saying nothing.)
func TestFlagErrorsPrintErrorAndUsage(t *testing.T) {
	bin := buildTapip(t)
	usage := usageLine + "\n(tapip -h explains each flag)\n"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-poll", "x"}, "tapip: -poll x: unknown mode (give auto, sleep or busy)\n"},
		{[]string{"-dev", "sim", "extra"}, "tapip: extra: unexpected argument (commands go in -c \"CMD; CMD\")\n"},
		{[]string{"-mtu"}, "tapip: -mtu: needs a value (tapip -h says which)\n"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, errOut, status := runBin(t, bin, c.args...)
			if status != 2 || out != "" {
				t.Errorf("exit status %d, stdout %q; want 2 and nothing", status, out)
			}
			if want := c.want + usage; errOut != want {
				t.Errorf("stderr (-want +got):\n-%s\n+%s", want, errOut)
			}
		})
	}
	out, errOut, status := runBin(t, bin, "-h")
	if status != 0 || errOut != "" || !strings.HasPrefix(out, usageLine+"\n") || !strings.Contains(out, "  -poll MODE\n") {
		t.Errorf("-h: status %d, stderr %q, stdout:\n%s", status, errOut, out)
	}
}

// Settings the device refuses, and a gateway off its subnet, end tapip
// with status 1 and one line saying why, before any command runs.
func TestStartupErrorsExit1(t *testing.T) {
	bin := buildTapip(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-dev", "sim", "-mtu", "10"}, "tapip: sim0: bad MTU 10 (give 68 to 9000)\n"},
		{[]string{"-dev", "sim", "-gw", "192.168.1.1"}, "tapip: -gw: via 192.168.1.1: Nexthop has invalid gateway (not on sim0's subnet 10.0.0.0/24: a gateway must be on a connected subnet)\n"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, errOut, status := runBin(t, bin, append(c.args, "-c", "echo ran")...)
			if status != 1 || out != "" || errOut != c.want {
				t.Errorf("status %d, stdout %q, stderr (-want +got):\n-%s\n+%s", status, out, c.want, errOut)
			}
		})
	}
}

// On the simulated LAN tapip says so where a person looks: the banner of
// an interactive session and ifconfig's hardware type.
func TestSimSaysSo(t *testing.T) {
	bin := buildTapip(t)
	out, errOut, status := runBin(t, bin, "-dev", "sim", "-c", "ifconfig sim0")
	if want := "        ether 02:00:0a:00:00:01  txqueuelen 0  (Ethernet, simulated LAN)\n"; status != 0 || !strings.Contains(out, want) {
		t.Errorf("ifconfig sim0: status %d, stderr %q, stdout lacks %q:\n%s", status, errOut, want, out)
	}
	s := newTmux(t, fmt.Sprintf("HOME=%s %s -dev sim -no-color; sleep 30", t.TempDir(), bin))
	s.waitFor("[net shell]:")
	for _, want := range []string{
		"tapip on sim0 10.0.0.1/24: the SIMULATED LAN, not the kernel (hosts 10.0.0.2, and 10.0.1.2 via 10.0.0.254)\n",
		"help lists the commands; Ctrl-D leaves.\n",
	} {
		if !strings.Contains(s.screen(), want) {
			t.Errorf("the banner lacks %q:\n%s", want, s.screen())
		}
	}
}

// Background jobs in a script: -c and stdin take CMD &; the exit status is
// that of the last failed command, a failed job counting once wait
// collects it; what still runs at the end is stopped.
func TestScriptJobs(t *testing.T) {
	bin := buildTapip(t)
	for _, c := range []struct {
		name, commands, stdin string
		status                int
		stdout, stderr        string // each a line the output must hold
	}{
		{name: "httpd and curl", commands: "httpd -d / 8080 > /dev/null &; curl -I http://10.0.0.1:8080/; kill %1", status: 0,
			stdout: "HTTP/1.1 200 OK\r", stderr: "[1]+  Terminated              httpd -d / 8080 > /dev/null"},
		{name: "failed job waited for", commands: "ping &; wait", status: 1, stderr: "[1]+  Exit 1                  ping"},
		{name: "failed job not waited for", stdin: "ping &\necho end\n", status: 0, stdout: "end"},
		{name: "left running", stdin: "sleep 100 &\n", status: 0, stderr: "[1]+  Terminated              sleep 100"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"-dev", "sim"}
			if c.commands != "" {
				args = append(args, "-c", c.commands)
			}
			cmd := exec.Command(bin, args...)
			cmd.Stdin = strings.NewReader(c.stdin)
			out, errOut, status := nstest.Outcome(t, cmd)
			if status != c.status {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", status, c.status, out, errOut)
			}
			for _, w := range []struct{ got, want string }{{out, c.stdout}, {errOut, c.stderr}} {
				if w.want != "" && !strings.Contains("\n"+w.got, "\n"+w.want+"\n") {
					t.Errorf("output lacks the line %q:\n%s", w.want, w.got)
				}
			}
		})
	}
}

// On the simulated LAN the router is the name server unless -dns says
// otherwise, so ping takes the sim's names.
func TestSimNamesAndDNSFlag(t *testing.T) {
	bin := buildTapip(t)
	out, errOut, status := runBin(t, bin, "-dev", "sim", "-c", "resolv; ping -c 1 host.sim")
	for _, want := range []string{"nameserver 10.0.0.254\n", "PING host.sim (10.0.0.2) 56(84) bytes of data.\n", "1 packets transmitted, 1 received"} {
		if status != 0 || !strings.Contains(out, want) {
			t.Errorf("status %d, stderr %q, stdout lacks %q:\n%s", status, errOut, want, out)
		}
	}
	out, errOut, status = runBin(t, bin, "-dev", "sim", "-dns", "10.0.0.2", "-c", "resolv")
	if status != 0 || out != "nameserver 10.0.0.2\n" {
		t.Errorf("-dns 10.0.0.2: status %d, stderr %q, resolv printed %q", status, errOut, out)
	}
}
