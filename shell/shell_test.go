package shell_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// Nonsense at the prompt: each gets one message in the form
// "CMD: what is wrong (what to do)", in the words of the tool it mimics
// where there is one (getopt, iputils, iproute2, sysctl); a mistake in the
// arguments is followed by the command's usage line. The shell goes on.
func TestNonsenseGetsClearErrors(t *testing.T) {
	l := newLab(t)
	cases := []struct {
		line, want string
		usage      bool // followed by "usage: CMD ..."
	}{
		{"frobnicate", "frobnicate: unknown command (help lists them)", false},
		{"ping", "ping: give one destination host", true},
		{"ping -c", "ping: option requires an argument -- 'c'", true},
		{"ping -z 10.0.0.2", "ping: invalid option -- 'z'", true},
		{"ping -c 0 10.0.0.2", "ping: -c 0: invalid argument (give a whole number from 1 to 2147483647)", true},
		{"ping -s 70000 10.0.0.2", "ping: -s 70000: invalid argument (give a whole number from 0 to 65507)", true},
		{"ping -i abc 10.0.0.2", "ping: -i abc: invalid argument (give seconds from 0.001 to 3600)", true},
		{"ping -M maybe 10.0.0.2", "ping: -M maybe: invalid argument (give do or dont)", true},
		{"ping example.org", "ping: example.org: Name or service not known (no name server: resolv SERVER sets one)", false},
		{"ping 10.0.0.2 10.0.0.3", "ping: give one destination host", true},
		{"ping 192.168.77.1", "ping: connect: Network is unreachable", false},
		{`ping "10.0.0.2`, "unterminated \" quote", false},
		{"arpcache add 10.0.0.9", "arpcache: add 10.0.0.9: unknown form", true},
		{"arpcache add 10.0.0.9 zz:zz", "arpcache: zz:zz: not a unicast MAC address (give six hex octets like 02:00:0a:00:00:02)", false},
		{"arpcache add 10.0.0.9 ff:ff:ff:ff:ff:ff", "arpcache: ff:ff:ff:ff:ff:ff: not a unicast MAC address (give six hex octets like 02:00:0a:00:00:02)", false},
		{"arpcache add 300.1.1.1 02:00:00:00:00:09", "arpcache: 300.1.1.1: not an IPv4 address (give one like 10.0.0.2)", false},
		{"arpcache add 10.7.0.9 02:00:00:00:00:09", "arpcache: 10.7.0.9: on no device's subnet (give dev IFACE)", false},
		{"arpcache del 10.0.0.77", "arpcache: 10.0.0.77: no such entry (arpcache lists them)", false},
		{"route add 10.9.0.0/16", "route: add 10.9.0.0/16: give a gateway (via GW) or a device (dev IFACE)", true},
		{"route add 10.9.0.0/33 via 10.0.0.2", "route: 10.9.0.0/33: not an IPv4 prefix (give one like 10.0.0.1/24)", false},
		{"route add 10.9.0.5/16 dev veth0", "route: 10.9.0.5/16: Invalid prefix for given prefix length (give 10.9.0.0/16)", false},
		{"route add 10.9.0.0/16 via 192.168.5.5", "route: via 192.168.5.5: Nexthop has invalid gateway (on no device's subnet: a gateway must be on a connected subnet)", false},
		{"route add 10.9.0.0/16 via 192.168.5.5 dev veth0", "route: via 192.168.5.5: Nexthop has invalid gateway (not on veth0's subnet 10.0.0.0/24: a gateway must be on a connected subnet)", false},
		{"route add 10.9.0.0/16 via 10.0.0.255", "route: via 10.0.0.255: Nexthop has invalid gateway (that is veth0's broadcast address)", false},
		{"route add 10.9.0.0/16 dev eth7", "route: eth7: no such device (ifconfig lists them)", false},
		{"route add 10.9.0.0/16 via 10.0.0.2 over there", "route: add: over there: unknown form (give via GW and/or dev IFACE)", true},
		{"route add 10.0.0.0/24 dev veth0", "route: 10.0.0.0/24: route exists (route del 10.0.0.0/24 first)", false},
		{"route del 10.99.0.0/16", "route: 10.99.0.0/16: no such route (route lists them)", false},
		{"route frob", "route: frob: unknown form", true},
		{"ifconfig eth9", "ifconfig: eth9: no such device (ifconfig lists them)", false},
		{"ifconfig veth0 mtu 12", "ifconfig: veth0: bad MTU 12 (give 68 to 9000)", false},
		{"ifconfig veth0 mtu x", "ifconfig: mtu x: invalid argument (give a number of bytes, like 1500)", true},
		{"ifconfig veth0 10.0.0.1", "ifconfig: 10.0.0.1: not an IPv4 prefix (give one like 10.0.0.1/24)", false},
		{"help nothing", "help: nothing: unknown command (help lists them)", false},
		{"sysctl net.ipv4.ip_forward=2", "sysctl: net.ipv4.ip_forward: invalid value 2 (give 0 to 1)", true},
		{"sysctl net.ipv4.icmp_msgs_per_sec=x", "sysctl: net.ipv4.icmp_msgs_per_sec: invalid value x (give 1 to 1000000)", true},
		{"sysctl kernel.panic", "sysctl: cannot stat /proc/sys/kernel/panic: No such file or directory (sysctl lists the tunables)", false},
		{"sysctl a b", `sysctl: give one NAME or NAME=VALUE at a time (quote a value with spaces: NAME="4096 131072 6291456")`, true},
		{"ipfwd maybe", "ipfwd: maybe: unknown form (give on or off)", true},
		{"capture stop", "capture: none running (capture start FILE)", false},
		{"capture start -s 0 x.pcap", "capture: -s 0: invalid argument (give a whole number from 1 to 262144)", true},
		{"netdev add wifi:wlan0", "netdev: wifi:wlan0: unsupported device kind (give tap:NAME, packet:IFACE, macvtap:IFACE, netmap:IFACE or sim)", false},
		{"netdev add tap:averyveryverylongname", "netdev: tap:averyveryverylongname: bad interface name (give tap:IFACE, IFACE of 1 to 15 characters)", false},
		{"netdev del lo", "netdev: lo: the loopback device cannot be removed (del another device)", false},
		{"arping", "arping: give one IPv4 address", true},
		{"arping 10.7.0.9", "arping: 10.7.0.9: on no device's subnet (give -I IFACE)", false},
		{"udp send 10.0.0.2 hi", "udp: 10.0.0.2: not HOST:PORT (give an IPv4 address and a port from 1 to 65535, like 10.0.0.2:7)", false},
		{"udp send 192.168.77.1:7 hi", "udp: send to 192.168.77.1:7: Network is unreachable", false},
		{"udp listen 0", "udp: 0: not a port (give one from 1 to 65535, or ADDR:PORT)", false},
		{"snc -c 10.0.0.2:7", "snc: connect to 10.0.0.2:7: Connection refused", false},
		{"traceroute 192.168.77.1", "traceroute: connect: Network is unreachable", false},
		{"sleep forever", "sleep: forever: invalid time interval (give seconds from 0 to 3600)", true},
		{"clear now", "clear: takes no arguments", true},
		{"jobs -l", "jobs: no arguments (it lists every job)", true},
		{"host -t A host.sim", "host: invalid option -- 't'", true},
		{strings.Repeat("a ", 100), "a: too many arguments (100, at most 64)", false},
	}
	usageOf := map[string]string{}
	for _, c := range l.sh.Commands() {
		usageOf[c.Name] = strings.TrimSpace("usage: " + c.Name + " " + c.Usage)
	}
	for _, c := range cases {
		t.Run(c.line[:min(len(c.line), 30)], func(t *testing.T) {
			err := l.run(t, c.line)
			if err == nil {
				t.Fatalf("Execute(%q) succeeded, want an error", c.line)
			}
			want := c.want
			if c.usage {
				want += "\n" + usageOf[strings.Fields(c.line)[0]]
			}
			if got := err.Error(); got != want {
				t.Errorf("Execute(%q) error (-want +got):\n-%s\n+%s", c.line, want, got)
			}
			if errors.Is(err, shell.ErrUsage) != c.usage {
				t.Errorf("Execute(%q): errors.Is(err, ErrUsage) = %v, want %v", c.line, !c.usage, c.usage)
			}
			if l.out.Len() != 0 || l.err.Len() != 0 {
				t.Errorf("Execute(%q) printed besides its error: stdout %q, stderr %q", c.line, l.out, l.err)
			}
		})
	}
	// The shell's own limits and debug's layers: their words are the REPL's.
	for line, want := range map[string]string{strings.Repeat("x", 5000): "too long", "debug -x bogus": "unknown layer"} {
		if err := l.run(t, line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Execute(%.20q...) = %v, want an error containing %q", line, err, want)
		}
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
		`gotapip IP routing table`,
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
	l.run(t, "arpcache") // as ip neigh prints them, by address
	want := "10.0.0.2 dev veth0 lladdr 02:00:0a:00:00:02 REACHABLE\n10.0.0.9 dev veth0 lladdr 02:00:00:00:00:09 PERMANENT\n"
	if got := l.out.String(); got != want {
		t.Errorf("arpcache (-want +got):\n-%s\n+%s", want, got)
	}
	for _, c := range []struct{ line, want string }{
		{"arpcache flush", "flushed 1 entry\n"}, // the permanent one stays
		{"arpcache flush", "flushed 0 entries\n"},
		{"arpcache del 10.0.0.9", ""},
		{"arpcache", ""}, // as ip neigh: an empty cache prints nothing
	} {
		if err := l.run(t, c.line); err != nil || l.out.String() != c.want {
			t.Errorf("%s: %v (-want +got):\n-%q\n+%q", c.line, err, c.want, l.out)
		}
	}
	l.run(t, "ping -c 1 -W 0.01 10.0.0.99") // INCOMPLETE has no lladdr
	l.run(t, "arpcache")
	if want := "10.0.0.99 dev veth0 INCOMPLETE\n"; l.out.String() != want {
		t.Errorf("arpcache while resolving (-want +got):\n-%s\n+%s", want, l.out)
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
	// No route: iputils fails at connect, before a header or statistics.
	err = l.run(t, "ping -c 1 192.168.77.1")
	if want := "ping: connect: Network is unreachable"; err == nil || err.Error() != want || l.out.Len() != 0 {
		t.Errorf("no route: err %v, stdout %q; want %q and no output", err, l.out, want)
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

// stat prints every counter as nstat -az does, one "NAME VALUE" line each
// under a #gotapip title, names and order from the layers' counter groups.
func TestStatCountsAndZeroes(t *testing.T) {
	l := newLab(t)
	if err := l.run(t, "ping -c 2 -i 0.01 -W 2 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	l.run(t, "stat")
	got := l.out.String()
	if !strings.HasPrefix(got, "#gotapip\n") {
		t.Errorf("stat does not start with nstat's title line:\n%s", got)
	}
	for _, want := range []string{
		"IpInReceives                    2\n",
		"IpInDelivers                    2\n",
		"IpReasmOKs                      0\n",
		"IpFragCreates                   0\n",
		"IcmpInEchoReps                  2\n",
		"IcmpOutEchos                    2\n",
		"IcmpInDestUnreachs              0\n",
		"IcmpMsgInType0                  2\n",
		"IcmpMsgOutType8                 2\n",
		"UdpInDatagrams                  0\n",
		"ArpInReplies                    1\n",
		"veth0.RxRunt                    0\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stat lacks the line %q:\n%s", want, got)
		}
	}
	for i, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n")[1:] {
		if !regexp.MustCompile(`^[A-Za-z0-9.]{1,31} +\d+$`).MatchString(line) || len(line) < 33 {
			t.Errorf("stat line %d %q: want a name in 32 columns, then the value", i+1, line)
		}
	}
	if strings.Contains(got, "IcmpMsgInType8 ") {
		t.Errorf("stat lists an IcmpMsg type never seen:\n%s", got)
	}
	if err := l.run(t, "stat -z"); err != nil {
		t.Fatal(err)
	}
	l.run(t, "stat")
	if m := regexp.MustCompile(`(?m)^(IpInDelivers|IcmpOutEchos|IcmpInEchoReps|IcmpMsg\w+) +[1-9]`).FindString(l.out.String()); m != "" {
		t.Errorf("stat -z left %q:\n%s", m, l.out)
	}
}

// ifconfig prints a device as net-tools ifconfig does, every line (the
// packet counts, which the peer's announcements move, as N and B). A port
// of the simulated LAN says so: cmd/tapip's TestSimSaysSo.
func TestIfconfigFormat(t *testing.T) {
	l := newLab(t)
	if err := l.run(t, "ifconfig veth0"); err != nil {
		t.Fatal(err)
	}
	want := `veth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500
        inet 10.0.0.1  netmask 255.255.255.0  broadcast 10.0.0.255
        ether 02:00:0a:00:00:01  txqueuelen 0  (Ethernet)
        RX packets N  bytes N (B)
        RX errors 0  dropped 0  overruns 0  frame 0
        TX packets N  bytes N (B)
        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0

`
	re := strings.NewReplacer(" N", ` \d+`, `\(B\)`, `\(\d+\.\d (B|KiB)\)`).Replace(regexp.QuoteMeta(want))
	if got := l.out.String(); !regexp.MustCompile("^" + re + "$").MatchString(got) {
		t.Errorf("ifconfig veth0 (-want +got):\n-%s\n+%s", want, got)
	}
	l.run(t, "ifconfig lo")
	if want := "        loop  txqueuelen 1000  (Local Loopback)\n"; !strings.Contains(l.out.String(), want) {
		t.Errorf("ifconfig lo lacks %q:\n%s", want, l.out)
	}
}

// A script line past the limit gets a message in the shell's words.
func TestScriptLineTooLong(t *testing.T) {
	l := newLab(t)
	err := l.sh.RunScript(strings.NewReader("echo " + strings.Repeat("x", shell.MaxLineLen) + "\n"))
	want := fmt.Sprintf("reading commands: a line is too long (at most %d characters)", shell.MaxLineLen)
	if err == nil || err.Error() != want || !strings.Contains(l.err.String(), want) {
		t.Errorf("RunScript: %v, stderr %q; want %q", err, l.err.String(), want)
	}
}
