//go:build linux

// Package scripts holds no Go code: its tests run the shell scripts beside
// them against the kernel, inside network namespaces.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/internal/nstest"
)

func script(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("brcfg.sh")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBrcfg runs open twice, status, close twice in a namespace where a
// veth named eth0 plays the Ethernet interface, and checks that open
// bridges eth0 and tap0 unaddressed and that close leaves nothing behind.
func TestBrcfg(t *testing.T) {
	nstest.RequireRoot(t)
	sh := script(t)
	ns := nstest.NewNetns(t, "brcfg")
	nstest.Run(t, ns, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
	nstest.Run(t, ns, "ip", "addr", "add", "192.0.2.10/24", "dev", "eth0")
	nstest.Run(t, ns, "ip", "link", "set", "eth0", "up")
	t.Cleanup(func() { nstest.Exec(ns, sh, "close") }) // the namespace goes anyway

	out := nstest.Run(t, ns, sh, "open")
	if !strings.Contains(out, "removing eth0's addresses (192.0.2.10/24)") || !strings.Contains(out, "drops your connection") {
		t.Errorf("open did not warn that eth0's address goes:\n%s", out)
	}
	out = nstest.Run(t, ns, sh, "open") // again: harmless
	if strings.Contains(out, "warning") {
		t.Errorf("second open warned again (eth0 had no address left):\n%s", out)
	}

	link := func(name string) string { return nstest.Run(t, ns, "ip", "-d", "-o", "link", "show", "dev", name) }
	for _, c := range []struct{ ifc, want string }{
		{"tap0", "tun type tap"}, {"tap0", "master br0"},
		{"eth0", "master br0"}, {"br0", "bridge"},
	} {
		if got := link(c.ifc); !strings.Contains(got, c.want) {
			t.Errorf("after open, %s lacks %q:\n%s", c.ifc, c.want, got)
		}
	}
	for _, ifc := range []string{"eth0", "tap0", "br0"} {
		if got := link(ifc); !strings.Contains(got, ",UP") && !strings.Contains(got, "<UP") {
			t.Errorf("after open, %s is not up:\n%s", ifc, got)
		}
		if got := nstest.Run(t, ns, "ip", "-o", "-4", "addr", "show", "dev", ifc); got != "" {
			t.Errorf("after open, %s holds an address:\n%s", ifc, got)
		}
	}
	if out := nstest.Run(t, ns, "cat", "/sys/class/net/tap0/tun_flags"); out == "" {
		t.Error("tap0 has no tun_flags")
	}

	status := nstest.Run(t, ns, sh, "status")
	for _, want := range []string{"eth0", "master br0", "tap0", "br0"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}

	nstest.Run(t, ns, sh, "close")
	nstest.Run(t, ns, sh, "close") // again: harmless

	all := nstest.Run(t, ns, "ip", "-d", "-o", "link", "show")
	for _, gone := range []string{"tap0", "br0", "bridge", "tun type"} {
		if strings.Contains(all, gone) {
			t.Errorf("close left %q behind:\n%s", gone, all)
		}
	}
	eth := link("eth0")
	if strings.Contains(eth, "master") || !strings.Contains(eth, "UP") {
		t.Errorf("after close eth0 should be up and unbridged:\n%s", eth)
	}
	status = nstest.Run(t, ns, sh, "status")
	if !strings.Contains(status, "tap0     absent") || !strings.Contains(status, "br0      absent") {
		t.Errorf("status after close:\n%s", status)
	}
}

// TestBrcfgMacvtap: -m open (twice) makes a bridge-mode macvtap on eth0,
// up, and leaves eth0 its address and unbridged; status shows it; -m close
// (twice) deletes it and nothing else.
func TestBrcfgMacvtap(t *testing.T) {
	nstest.RequireRoot(t)
	sh := script(t)
	ns := nstest.NewNetns(t, "brcfg")
	nstest.Run(t, ns, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
	nstest.Run(t, ns, "ip", "addr", "add", "192.0.2.10/24", "dev", "eth0")
	nstest.Run(t, ns, "ip", "link", "set", "peer0", "up")

	out := nstest.Run(t, ns, sh, "-m", "open")
	if !strings.Contains(out, "run: tapip -dev macvtap:mvtap0") || !strings.Contains(out, "only through a macvlan") {
		t.Errorf("-m open output:\n%s", out)
	}
	nstest.Run(t, ns, sh, "-m", "open") // again: harmless
	mv := nstest.Run(t, ns, "ip", "-d", "-o", "link", "show", "dev", "mvtap0")
	for _, want := range []string{"macvtap mode bridge", "mvtap0@eth0", ",UP"} {
		if !strings.Contains(mv, want) {
			t.Errorf("after -m open, mvtap0 lacks %q:\n%s", want, mv)
		}
	}
	if got := nstest.Run(t, ns, "ip", "-o", "-4", "addr", "show", "dev", "eth0"); !strings.Contains(got, "192.0.2.10/24") {
		t.Errorf("eth0 lost its address: %q", got)
	}
	if got := nstest.Run(t, ns, sh, "-m", "status"); !strings.Contains(got, "macvtap mvtap0   UP") {
		t.Errorf("-m status:\n%s", got)
	}
	nstest.Run(t, ns, "ip", "link", "add", "notmv", "type", "veth", "peer", "name", "notmv1")
	if out, err := nstest.Exec(ns, sh, "-m", "close", "eth0", "notmv"); err == nil || !strings.Contains(out, "notmv is not a macvtap") {
		t.Errorf("-m close of a veth: %v\n%s", err, out)
	}
	nstest.Run(t, ns, sh, "-m", "close")
	nstest.Run(t, ns, sh, "-m", "close") // again: harmless
	all := nstest.Run(t, ns, "ip", "-d", "-o", "link", "show")
	if strings.Contains(all, "macvtap") || !strings.Contains(all, "eth0@") || !strings.Contains(all, "notmv") {
		t.Errorf("after -m close, want eth0 and notmv and no macvtap:\n%s", all)
	}
}

// TestBrcfgRefusals: without root it refuses with a clear message; bad
// usage prints the usage text and exits 2. No namespace needed: nothing is
// created.
func TestBrcfgRefusals(t *testing.T) {
	sh := script(t)
	run := func(argv ...string) (string, int) {
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := run(sh); code != 2 || !strings.Contains(out, "usage: brcfg.sh open|close|status") {
		t.Errorf("no arguments: exit %d, output:\n%s", code, out)
	}
	if out, code := run(sh, "frobnicate"); code != 2 || !strings.Contains(out, "usage:") {
		t.Errorf("unknown command: exit %d, output:\n%s", code, out)
	}
	if out, code := run(sh, "status", "nosuch0", "nosuch1", "nosuch2"); code != 0 || strings.Count(out, "absent") != 3 {
		t.Errorf("status of absent interfaces: exit %d, output:\n%s", code, out)
	}

	if os.Geteuid() != 0 {
		out, code := run(sh, "open")
		if code == 0 || !strings.Contains(out, "needs root") {
			t.Errorf("open without root: exit %d, output:\n%s", code, out)
		}
		return
	}
	// As root, drop to nobody to check the refusal; the script must be
	// readable by nobody, so run a copy from a world-readable directory.
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Fatalf("setpriv (util-linux) is needed to test the refusal: %v (make deps)", err)
	}
	dir, err := os.MkdirTemp("", "brcfg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(sh)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "brcfg.sh")
	if err := os.WriteFile(cp, body, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"open", "close"} {
		out, code := run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", cp, cmd)
		if code == 0 || !strings.Contains(out, cmd+" needs root") {
			t.Errorf("%s as nobody: exit %d, output:\n%s", cmd, code, out)
		}
	}
}

func TestBrcfgShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck not installed (apt-get install shellcheck); CI is set, so this fails")
		}
		t.Skip("shellcheck not installed (apt-get install shellcheck)")
	}
	if out, err := exec.Command("shellcheck", script(t)).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck brcfg.sh: %v\n%s", err, out)
	}
}
