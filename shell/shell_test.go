package shell_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

// lab is our stack (10.0.0.1) with a shell, wired by a pipe to a peer stack
// (10.0.0.2).
type lab struct {
	sh       *shell.Shell
	out, err *bytes.Buffer
	wire     *pipe.End
}

func newLab(t *testing.T) *lab {
	t.Helper()
	a, _, ea, _ := stacktest.Pair(t, 7, stack.Config{}, stack.Config{})
	l := &lab{out: &bytes.Buffer{}, err: &bytes.Buffer{}, wire: ea}
	l.sh = shell.New(a, l.out, l.err)
	return l
}

func (l *lab) run(t *testing.T, line string) error {
	t.Helper()
	l.out.Reset()
	l.err.Reset()
	return l.sh.Execute(context.Background(), line)
}

// Nonsense at the prompt: each gets an error that says what was wrong, and
// the shell goes on.
func TestNonsenseGetsClearErrors(t *testing.T) {
	l := newLab(t)
	cases := []struct{ line, want string }{
		{"frobnicate", "frobnicate: unknown command (help lists them)"},
		{"ping", "give one destination host"},
		{"ping -c", "option -c needs a value"},
		{"ping -z 10.0.0.2", "unknown option -z"},
		{"ping -c 0 10.0.0.2", "-c 0: want a whole number from 1"},
		{"ping -s 70000 10.0.0.2", "-s 70000: want a whole number from 0 to 65507"},
		{"ping -i abc 10.0.0.2", "-i abc: want seconds"},
		{"ping -M maybe 10.0.0.2", "-M maybe: want do or dont"},
		{"ping example.org", "example.org: Name or service not known"},
		{"ping 10.0.0.2 10.0.0.3", "give one destination host"},
		{`ping "10.0.0.2`, "unterminated \" quote"},
		{"arpcache add 10.0.0.9", "arpcache add: unknown form"},
		{"arpcache add 10.0.0.9 zz:zz:zz:zz:zz:zz", "ParseMAC"},
		{"arpcache add 300.1.1.1 02:00:00:00:00:09", "is not an IPv4 address"},
		{"arpcache del 10.0.0.77", "no arp entry"},
		{"route add 10.9.0.0/16", "give a gateway (via GW) or a device (dev IFACE)"},
		{"route add 10.9.0.0/33 via 10.0.0.2", "is not an IPv4 prefix"},
		{"route add 10.9.0.0/16 via 192.168.5.5", "192.168.5.5 is on no device's subnet"},
		{"route add 10.9.0.0/16 dev eth7", "eth7: no such device"},
		{"route del 10.99.0.0/16", "no such route"},
		{"route frob", "route frob: unknown form"},
		{"ifconfig eth9", "eth9: no such device"},
		{"ifconfig veth0 mtu 12", "MTU 12"},
		{"ifconfig veth0 mtu x", "mtu \"x\": want a number"},
		{"ifconfig veth0 10.0.0.1", "is not an IPv4 prefix"},
		{"help nothing", "help: nothing: unknown command"},
		{"sysctl net.ipv4.ip_forward=2", "want 0 to 1"},
		{"sysctl net.ipv4.icmp_msgs_per_sec=x", "want 1 to 1000000"},
		{"sysctl kernel.panic", "kernel.panic: unknown tunable"},
		{"sysctl a b", "one NAME or NAME=VALUE at a time"},
		{"debug -x bogus", "unknown layer"},
		{"capture stop", "none running"},
		{"netdev add wifi:wlan0", "use tap:NAME, packet:IFACE, macvtap:IFACE, netmap:IFACE or sim"},
		{"netdev del lo", "the loopback device stays"},
		{"arping", "give one IPv4 address"},
		{"sleep forever", "want seconds"},
		{strings.Repeat("x", 5000), "too long"},
		{strings.Repeat("a ", 100), "too many arguments"},
	}
	for _, c := range cases {
		t.Run(c.line[:min(len(c.line), 30)], func(t *testing.T) {
			err := l.run(t, c.line)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Execute(%q) = %v, want an error containing %q", c.line, err, c.want)
			}
		})
	}
	if err := l.run(t, "ping -c 1 -W 2 10.0.0.2"); err != nil {
		t.Errorf("after the nonsense, ping fails: %v\n%s", err, l.out)
	}
}

func TestRouteAddListDelete(t *testing.T) {
	l := newLab(t)
	for _, line := range []string{"route add 10.9.0.0/16 via 10.0.0.2", "route add default via 10.0.0.2", "route add 10.0.0.77 dev veth0"} {
		if err := l.run(t, line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	if err := l.run(t, "route add 10.9.0.0/16 via 10.0.0.2"); err == nil || !strings.Contains(err.Error(), "route exists") {
		t.Errorf("adding twice: %v, want route exists", err)
	}
	l.run(t, "route")
	want := []string{
		`Kernel IP routing table`,
		`Destination     Gateway         Genmask         Flags Metric Ref    Use Iface`,
		`10\.0\.0\.77\s+0\.0\.0\.0\s+255\.255\.255\.255 UH\s+0\s+0\s+0 veth0`,
		`10\.0\.0\.0\s+0\.0\.0\.0\s+255\.255\.255\.0\s+U\s+0\s+0\s+0 veth0`,
		`10\.9\.0\.0\s+10\.0\.0\.2\s+255\.255\.0\.0\s+UG\s+0\s+0\s+0 veth0`,
		`127\.0\.0\.0\s+0\.0\.0\.0\s+255\.0\.0\.0\s+U\s+0\s+0\s+0 lo`,
		`0\.0\.0\.0\s+10\.0\.0\.2\s+0\.0\.0\.0\s+UG\s+0\s+0\s+0 veth0`,
	}
	lines := strings.Split(strings.TrimSpace(l.out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("route printed %d lines, want %d:\n%s", len(lines), len(want), l.out)
	}
	for i, re := range want {
		if !regexp.MustCompile("^" + re + "$").MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i, lines[i], re)
		}
	}
	if err := l.run(t, "route del default"); err != nil {
		t.Fatal(err)
	}
	l.run(t, "route")
	if regexp.MustCompile(`(?m)^0\.0\.0\.0 `).MatchString(l.out.String()) {
		t.Errorf("default route still listed:\n%s", l.out)
	}
}

func TestArpcacheAddDelFlush(t *testing.T) {
	l := newLab(t)
	if err := l.run(t, "arpcache add 10.0.0.9 02:00:00:00:00:09"); err != nil {
		t.Fatal(err)
	}
	if err := l.run(t, "ping -c 1 -W 2 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	l.run(t, "arpcache")
	for _, re := range []string{`10\.0\.0\.2\s+02:00:0a:00:00:02\s+REACHABLE\s+veth0\s+\d+\.\ds`, `10\.0\.0\.9\s+02:00:00:00:00:09\s+PERMANENT\s+veth0\s+-`} {
		if !regexp.MustCompile(re).MatchString(l.out.String()) {
			t.Errorf("arpcache lacks %s:\n%s", re, l.out)
		}
	}
	if err := l.run(t, "arpcache flush"); err != nil || !strings.Contains(l.out.String(), "flushed 1 entries") {
		t.Errorf("flush: %v %q", err, l.out)
	}
	if err := l.run(t, "arpcache del 10.0.0.9"); err != nil {
		t.Fatal(err)
	}
	l.run(t, "arpcache")
	if !strings.Contains(l.out.String(), "arp cache is empty") {
		t.Errorf("after flush and del:\n%s", l.out)
	}
}

// Over a lossy, reordering wire the statistics count what came back.
func TestPingOverLossyWire(t *testing.T) {
	l := newLab(t)
	if err := l.run(t, "ping -c 1 -W 2 10.0.0.2"); err != nil { // resolve first
		t.Fatal(err)
	}
	l.wire.SetImpairments(pipe.Impairments{Loss: 0.3, Reorder: 0.3, Duplicate: 0.1})
	err := l.run(t, "ping -c 40 -i 0.005 -W 0.5 10.0.0.2")
	out := l.out.String()
	m := regexp.MustCompile(`40 packets transmitted, (\d+) received(, \+(\d+) duplicates)?, ([\d.]+)% packet loss`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no statistics line:\n%s", out)
	}
	if m[1] == "40" || m[1] == "0" {
		t.Errorf("received %s of 40 over a wire losing 30%% each way", m[1])
	}
	if got := strings.Count(out, " bytes from 10.0.0.2: ") - strings.Count(out, "(DUP!)"); m[1] != strconv.Itoa(got) {
		t.Errorf("statistics say %s received, %d reply lines printed", m[1], got)
	}
	if err != nil {
		t.Errorf("ping with some replies failed: %v", err)
	}
}

// Ctrl-C (a cancelled context) ends ping with its statistics.
func TestPingStopsOnCancel(t *testing.T) {
	l := newLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := l.sh.Execute(ctx, "ping -i 0.05 10.0.0.2")
	if time.Since(start) > 5*time.Second {
		t.Errorf("ping ran on after its context ended")
	}
	if err != nil {
		t.Errorf("ping with replies, cancelled: %v", err)
	}
	if !strings.Contains(l.out.String(), "--- 10.0.0.2 ping statistics ---") {
		t.Errorf("no statistics after cancel:\n%s", l.out)
	}
}

func TestPingUnreachableFails(t *testing.T) {
	l := newLab(t)
	err := l.run(t, "ping -c 2 -i 0.01 -W 0.2 10.0.0.66")
	if !errors.Is(err, shell.ErrFailed) {
		t.Errorf("ping with no reply: %v, want ErrFailed", err)
	}
	if !strings.Contains(l.out.String(), "2 packets transmitted, 0 received, 100% packet loss") {
		t.Errorf("statistics:\n%s", l.out)
	}
	err = l.run(t, "ping -c 1 192.168.77.1")
	if !strings.Contains(l.err.String(), "ping: sendmsg: ip: 192.168.77.1: no route to host") || err == nil {
		t.Errorf("no route: err %v, stderr %q", err, l.err)
	}
}

// debug in the background shows each packet at the layers chosen, on every
// device (lo too); debug -c stops it. (Drops: kerneltest's malformed test.)
func TestDebugShowsPacketsAndDrops(t *testing.T) {
	l := newLab(t)
	var out syncbuf.Buffer
	l.sh.Out = &out
	if err := l.sh.Execute(context.Background(), "debug -n icmp ip"); err != nil {
		t.Fatal(err)
	}
	if err := l.sh.Execute(context.Background(), "ping -c 1 -W 2 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	if err := l.sh.Execute(context.Background(), "ping -c 1 -W 0.2 10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := l.sh.Execute(context.Background(), "debug -c"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, re := range []string{
		`(?m)^icmp -> -\s+ICMP echo request, id \d+, seq 1, length 64$`,
		`(?m)^ip   -> veth0\s+IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP, ttl 64, id \d+, len 84$`,
		`(?m)^ip   <- veth0\s+IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP, ttl 64, id \d+, len 84$`,
		`(?m)^icmp <- veth0\s+ICMP echo reply, id \d+, seq 1, length 64$`,
		`(?m)^icmp <- lo\s+ICMP echo request`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("debug output lacks %s:\n%s", re, got)
		}
	}
	out.Reset()
	l.sh.Execute(context.Background(), "ping -c 1 -W 0.1 10.0.0.2")
	if strings.Contains(out.String(), "icmp ->") {
		t.Errorf("debug -c did not stop tracing:\n%s", out.String())
	}
}

// debug -x draws each packet's header as its RFC diagram, then its bytes.
func TestDebugDrawsDiagrams(t *testing.T) {
	l := newLab(t)
	var out syncbuf.Buffer
	l.sh.Out = &out
	ctx := context.Background()
	if err := l.sh.Execute(ctx, "debug -n -x icmp"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "debug: icmp, with diagrams") {
		t.Errorf("debug -n -x says %q", out.String())
	}
	if err := l.sh.Execute(ctx, "ping -c 1 -W 2 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	if err := l.sh.Execute(ctx, "debug -c"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, re := range []string{
		`(?m)^icmp -> -\s+ICMP echo request, id \d+, seq 1, length 64\n {6}0 {19}1 {19}2 {19}3`,
		`(?m)^ {5}\| +Type=8 +\| +Code=0 +\| +Checksum=0x[0-9a-f]{4} \(ok\) +\|$`,
		`(?m)^ {5}\| +Type=0 +\| +Code=0 +\|`,
		`(?m)^ {5}\| +Identifier=\d+ +\| +Sequence Number=1 +\|$`,
		`(?m)^ {5}0030  30 31 32 33 34 35 36 37  38 39 3a 3b 3c 3d 3e 3f  \|0123456789:;<=>\?\|$`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("debug -x output lacks %s:\n%s", re, got)
		}
	}
}

func TestStatCountsAndZeroes(t *testing.T) {
	l := newLab(t)
	if err := l.run(t, "ping -c 2 -i 0.01 -W 2 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	l.run(t, "stat")
	for _, re := range []string{`(?m)^Ip:$`, `(?m)^    InDelivers\s+2$`, `(?m)^    OutType echo request\s+2$`,
		`(?m)^    InType echo reply\s+2$`, `(?m)^Dev veth0:$`, `(?m)^Pool:$`, `(?m)^    InUse\s+\d+$`} {
		if !regexp.MustCompile(re).MatchString(l.out.String()) {
			t.Errorf("stat lacks %s:\n%s", re, l.out)
		}
	}
	if err := l.run(t, "stat -z"); err != nil {
		t.Fatal(err)
	}
	l.run(t, "stat")
	if regexp.MustCompile(`(?m)^    (InDelivers|OutType echo request|InType echo reply)\s+[1-9]`).MatchString(l.out.String()) {
		t.Errorf("stat -z left counters:\n%s", l.out)
	}
}
