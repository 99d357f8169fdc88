package shell_test

import (
	"errors"
	"regexp"
	"strconv"
	"testing"

	"github.com/gotapip/gotapip/shell"
)

// ping to a neighbour that never answers ARP: every request that waited
// for it hears Destination Host Unreachable from our own address when ARP
// gives up, and the statistics read as iputils': the time is that of the
// last request sent, "pipe 3" says all three were outstanding at once, and
// the line after the counts is printed even when it is empty.
func TestPingSilentNeighbourSummary(t *testing.T) {
	l := newLab(t)
	if err := l.run(t, "sysctl net.ipv4.neigh.default.retrans_time_ms=300"); err != nil {
		t.Fatal(err)
	}
	err := l.run(t, "ping -c 3 -i 0.05 10.0.0.66")
	if !errors.Is(err, shell.ErrFailed) {
		t.Errorf("ping with only errors: %v, want ErrFailed", err)
	}
	want := regexp.MustCompile(`^PING 10\.0\.0\.66 \(10\.0\.0\.66\) 56\(84\) bytes of data\.\n` +
		`From 10\.0\.0\.1 icmp_seq=1 Destination Host Unreachable\n` +
		`From 10\.0\.0\.1 icmp_seq=2 Destination Host Unreachable\n` +
		`From 10\.0\.0\.1 icmp_seq=3 Destination Host Unreachable\n` +
		`\n--- 10\.0\.0\.66 ping statistics ---\n` +
		`3 packets transmitted, 0 received, \+3 errors, 100% packet loss, time (\d+)ms\n` +
		`pipe 3\n$`)
	m := want.FindStringSubmatch(l.out.String())
	if m == nil {
		t.Fatalf("ping to a silent neighbour printed:\n%s\nwant it to match %s", l.out, want)
	}
	// The requests went out 50 ms apart; ARP gave up at 900 ms.
	if ms, _ := strconv.Atoi(m[1]); ms >= 600 {
		t.Errorf("time %dms: want the time of the last request sent (about 100 ms), not of the errors", ms)
	}

	// Nothing heard within -W: the counts, then an empty line.
	l.run(t, "ping -c 1 -W 0.2 10.0.0.67")
	if want := regexp.MustCompile(`\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n$`); !want.MatchString(l.out.String()) {
		t.Errorf("ping with no answer printed:\n%q\nwant it to match %s", l.out, want)
	}
}

// net.ipv4.neigh.default.unres_qlen bounds the packets waiting for ARP
// (Linux's default 101): with 2, of four echo requests to a silent
// neighbour the oldest two are dropped and only the last two hear host
// unreachable.
func TestSysctlUnresQlen(t *testing.T) {
	l := newLab(t)
	for _, c := range []struct{ line, want string }{
		{"sysctl net.ipv4.neigh.default.unres_qlen", "net.ipv4.neigh.default.unres_qlen = 101\n"},
		{"sysctl net.ipv4.neigh.default.unres_qlen_bytes", "net.ipv4.neigh.default.unres_qlen_bytes = 212992\n"},
		{"sysctl net.ipv4.neigh.default.unres_qlen=2", "net.ipv4.neigh.default.unres_qlen = 2\n"},
		{"sysctl net.ipv4.neigh.default.retrans_time_ms=300", "net.ipv4.neigh.default.retrans_time_ms = 300\n"},
	} {
		if err := l.run(t, c.line); err != nil || l.out.String() != c.want {
			t.Errorf("%s: %v %q, want %q", c.line, err, l.out, c.want)
		}
	}
	l.run(t, "ping -c 4 -i 0.05 -W 2 10.0.0.66") // -W: two will never be answered
	out := l.out.String()
	want := regexp.MustCompile(`^PING [^\n]*\n` +
		`From 10\.0\.0\.1 icmp_seq=3 Destination Host Unreachable\n` +
		`From 10\.0\.0\.1 icmp_seq=4 Destination Host Unreachable\n\n` +
		`--- 10\.0\.0\.66 ping statistics ---\n4 packets transmitted, 0 received, \+2 errors, 100% packet loss`)
	if !want.MatchString(out) {
		t.Errorf("ping with unres_qlen 2 printed:\n%s\nwant it to match %s", out, want)
	}
}
