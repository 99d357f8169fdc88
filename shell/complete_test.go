package shell

import (
	"strings"
	"testing"
)

// Tab completes from the command table: commands, sub-commands, flags,
// device names, debug layers, sysctl names; several choices complete
// their common prefix, or are listed.
func TestCompletion(t *testing.T) {
	sh, _ := pipeLab(t)
	cases := []struct {
		line, want string
	}{
		{"arpc", "arpcache "},
		{"tracer", "traceroute "},
		{"arpcache f", "arpcache flush "},
		{"arpcache d", "arpcache de"}, // del, dev
		{"arpcache add 10.0.0.9 02:00:00:00:00:09 dev v", "arpcache add 10.0.0.9 02:00:00:00:00:09 dev veth0 "},
		{"arping -I v", "arping -I veth0 "},
		{"ifconfig v", "ifconfig veth0 "},
		{"ifconfig veth0 m", "ifconfig veth0 mtu "},
		{"netem c", "netem c"}, // a device first, not a fault
		{"netem veth0 l", "netem veth0 loss "},
		{"netem veth0 o", "netem veth0 off "},
		{"netem veth0 v", "netem veth0 v"}, // a fault, not a device
		{"ping -W", "ping -W "},
		{"debug ic", "debug icmp "},
		{"debug of", "debug off "},
		{"sysctl net.ipv4.ipf", "sysctl net.ipv4.ipfrag_time "},
		{"sysctl net.ipv4.tcp_keepalive_i", "sysctl net.ipv4.tcp_keepalive_intvl "},
		{"ss -", "ss -"}, // several flags: listed
		{"udp l", "udp listen "},
		{"udp listen -e", "udp listen -e "},
		{"udp listen -r", "udp listen -r"}, // send's flag
		{"udp send -r", "udp send -r "},
		{"arpcache add 10.0.0.9 02:00:00:00:00:09 d", "arpcache add 10.0.0.9 02:00:00:00:00:09 dev "},
		{"route add default v", "route add default via "},
		{"help sn", "help snc "},
		{"help trace", "help traceroute "},
		{"frobnicate x", "frobnicate x"},
		{"echo ", "echo "},
	}
	for _, c := range cases {
		got, pos, ok := sh.completeKey(c.line, len(c.line), '\t')
		if !ok || got != c.want || pos != len(c.want) {
			t.Errorf("Tab after %q: %q at %d (%v), want %q at %d", c.line, got, pos, ok, c.want, len(c.want))
		}
	}
	if _, _, ok := sh.completeKey("arpc", 4, 'x'); ok {
		t.Error("a key other than Tab was taken")
	}
	// In the middle of a line, the rest stays after the cursor.
	if got, pos, _ := sh.completeKey("arpc 10.0.0.2", 4, '\t'); got != "arpcache  10.0.0.2" || pos != 9 {
		t.Errorf("Tab mid-line: %q at %d", got, pos)
	}
}

func TestCompletionListsChoices(t *testing.T) {
	sh, _ := pipeLab(t)
	var out strings.Builder
	sh.Out = &out
	if got, _, _ := sh.completeKey("ping -", 6, '\t'); got != "ping -" {
		t.Errorf("line changed to %q", got)
	}
	if want := "-M  -W  -c  -i  -q  -s  -t\n"; out.String() != want {
		t.Errorf("listed %q, want %q", out.String(), want)
	}
}
