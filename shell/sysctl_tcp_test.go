package shell_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TCP's tunables: listed with Linux's defaults, set and read back by
// their Linux names, bad values refused with the reason (Tab offers
// them: TestCompletion).
func TestSysctlTCP(t *testing.T) {
	l := newTCPShell(t)
	l.sh.Execute(t.Context(), "sysctl -a")
	for _, want := range []string{
		"net.ipv4.tcp_syn_retries = 6 ", "net.ipv4.tcp_retries2 = 15 ", "net.ipv4.tcp_sack = 1 ",
		"net.ipv4.tcp_timestamps = 1 ", "net.ipv4.tcp_window_scaling = 1 ", "net.ipv4.tcp_syncookies = 1 ",
		"net.ipv4.tcp_max_syn_backlog = 128 ", "net.ipv4.tcp_fin_timeout = 60 ", "net.ipv4.tcp_keepalive_time = 7200 ",
		"net.ipv4.tcp_keepalive_intvl = 75 ", "net.ipv4.tcp_keepalive_probes = 9 ",
		"net.ipv4.tcp_rmem = 4096 131072 6291456 ", "net.ipv4.tcp_wmem = 4096 16384 4194304 ",
		"net.ipv4.tcp_moderate_rcvbuf = 1 ",
		"net.ipv4.tcp_congestion_control = cubic ", "net.ipv4.tcp_available_congestion_control = reno cubic ",
		"net.ipv4.tcp_pacing_ss_ratio = 200 ", "net.ipv4.tcp_pacing_ca_ratio = 120 ",
	} {
		if !strings.Contains(l.out.String(), want) {
			t.Errorf("sysctl lacks %q:\n%s", want, l.out)
		}
	}
	cases := []struct{ line, out, err string }{
		{"sysctl net.ipv4.tcp_sack=0", "net.ipv4.tcp_sack = 0\n", ""},
		{"sysctl net.ipv4.tcp_sack", "net.ipv4.tcp_sack = 0\n", ""},
		{`sysctl net.ipv4.tcp_rmem="8192 65536 1048576"`, "net.ipv4.tcp_rmem = 8192\t65536\t1048576\n", ""},
		{"sysctl net.ipv4.tcp_fin_timeout=30", "net.ipv4.tcp_fin_timeout = 30\n", ""},
		{"sysctl net.ipv4.tcp_sack=yes", "", "sysctl: net.ipv4.tcp_sack: invalid value yes (want 0 or 1)\nusage: sysctl"},
		{"sysctl net.ipv4.tcp_wmem=1", "", "sysctl: net.ipv4.tcp_wmem: invalid value 1 (want three sizes in bytes (min default max))"},
		{"sysctl net.ipv4.tcp_rmem=1 2 3", "", "sysctl: give one NAME or NAME=VALUE at a time"},
		{"sysctl net.ipv4.tcp_nonsense=1", "", "sysctl: cannot stat /proc/sys/net/ipv4/tcp_nonsense: No such file or directory"},
		{"sysctl net.ipv4.tcp_congestion_control=reno", "net.ipv4.tcp_congestion_control = reno\n", ""},
		{"sysctl net.ipv4.tcp_congestion_control=bbr", "", "sysctl: net.ipv4.tcp_congestion_control: invalid value bbr (want one of reno, cubic)\nusage: sysctl"},
		{"sysctl net.ipv4.tcp_available_congestion_control", "net.ipv4.tcp_available_congestion_control = reno cubic\n", ""},
		{"sysctl net.ipv4.tcp_available_congestion_control=bbr", "", "sysctl: net.ipv4.tcp_available_congestion_control is read-only (it lists what tcp_congestion_control takes)"},
		{"sysctl net.ipv4.tcp_pacing_ca_ratio=1001", "", "sysctl: net.ipv4.tcp_pacing_ca_ratio: invalid value 1001 (want an integer from 0 to 1000)\nusage: sysctl"},
		// procps' -w and -a, from habit (-a was looked up as /proc/sys/-a).
		{"sysctl -w net.ipv4.tcp_syn_retries=4", "net.ipv4.tcp_syn_retries = 4\n", ""},
		{"sysctl -w net.ipv4.tcp_syn_retries", "", "sysctl: -w sets a tunable: give NAME=VALUE\nusage: sysctl"},
		{"sysctl -a net.ipv4.tcp_sack", "", "sysctl: -a lists every tunable: give it no NAME\nusage: sysctl"},
		{"sysctl -x", "", "sysctl: invalid option -- 'x'"},
	}
	for _, c := range cases {
		l.out.Reset()
		err := l.sh.Execute(t.Context(), c.line)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("%s: error %v, want %q", c.line, err, c.err)
		}
		if got := l.out.String(); got != c.out {
			t.Errorf("%s: printed %q, want %q", c.line, got, c.out)
		}
	}
	if cfg := l.sh.Stack.TCP.Config(); cfg.CongestionControl != "reno" || cfg.SACK || cfg.Rmem != [3]int{8192, 65536, 1048576} || cfg.FinTimeout != 30*time.Second {
		t.Errorf("TCP's config after the settings: SACK %v, Rmem %v, FinTimeout %v", cfg.SACK, cfg.Rmem, cfg.FinTimeout)
	}
}

// tcp_syn_retries, set at run time, bounds the next connect: with 1, the
// SYN and one retransmission (1 s later), then ETIMEDOUT 2 s after that;
// debug tcp shows each SYN, the retransmission and the state changes.
func TestSysctlSynRetriesTimesOut(t *testing.T) {
	_, l := tcpWorlds[1].pair(t)
	l.sh.Script = true // debug's lines at once, in order
	for _, line := range []string{"arpcache add 10.0.0.9 02:00:0a:00:00:09", "sysctl net.ipv4.tcp_syn_retries=1", "debug -n tcp"} {
		if err := l.sh.Execute(t.Context(), line); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	err := l.sh.Execute(t.Context(), "snc -c 10.0.0.9:80")
	if want := "snc: connect to 10.0.0.9:80: Connection timed out"; err == nil || err.Error() != want {
		t.Errorf("snc to a host that does not answer: %v, want %q", err, want)
	}
	if d := time.Since(start); d < 3*time.Second || d > 10*time.Second {
		t.Errorf("gave up after %v, want 3 s (1 s + 2 s)", d)
	}
	if n := l.sh.Stack.TCP.Stats.RetransSegs.Load(); n != 1 {
		t.Errorf("TcpRetransSegs %d, want 1", n)
	}
	syn := `tcp  -> -      TCP \d+ > 80: Flags \[S\], seq 0, win 65535, options \[mss 1460,sackOK,TS val \d+ ecr 0,wscale 7\], length 0\n`
	conn := `tcp  \*  -      10\.0\.0\.1:\d+ > 10\.0\.0\.9:80: `
	want := "(?s)^net.ipv4.tcp_syn_retries = 1\ndebug: tcp [^\n]*\n" + conn + `CLOSED -> SYN-SENT\n` + syn + conn + `retransmission \(RTO, next in 2s\)\n` + syn + conn + "SYN-SENT -> CLOSED\n$"
	if !regexp.MustCompile(want).MatchString(l.out.String()) {
		t.Errorf("debug tcp printed\n%s\nwant it to match\n%s", l.out, want)
	}
}
