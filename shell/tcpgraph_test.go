package shell_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/internal/svgtest"
	"github.com/gotapip/gotapip/tcp"
)

// tcpgraph's answers to bad arguments and to a stack with nothing
// recorded, and its switch.
func TestTCPGraphMessages(t *testing.T) {
	l := newTCPShell(t)
	cases := []struct{ line, out, err string }{
		{"tcpgraph", "recording: off (tcpgraph on starts)\n", ""},
		{"tcpgraph -t", "", "tcpgraph: no connection recorded (tcpgraph on records those established from then on)"},
		{"tcpgraph -o pic 10.0.0.2:9", "", "tcpgraph: no connection recorded (tcpgraph on records those established from then on)"},
		{"tcpgraph on 8", "", "tcpgraph: on 8: give the entries per ring as a number from 16 to 65536"},
		{"tcpgraph off now", "", "tcpgraph: now: unexpected argument (tcpgraph on [ENTRIES] | off)"},
		{"tcpgraph -t -o pic", "", "tcpgraph: -o, -g and -t: give one"},
		{"tcpgraph -o", "", "tcpgraph: option requires an argument -- 'o'"},
		{"tcpgraph -x", "", "tcpgraph: invalid option -- 'x'"},
		{"tcpgraph -t 10.0.0.2", "", "tcpgraph: 10.0.0.2: not an ADDR:PORT (name a connection as ss prints it, e.g. 10.0.0.2:80)"},
		{"tcpgraph -t 10.0.0.1:1 10.0.0.2:2 10.0.0.3:3", "", "tcpgraph: 10.0.0.3:3: unexpected argument (name a connection by ADDR:PORT, or LOCAL PEER)"},
		{"tcpgraph -g pie", "", "tcpgraph: -g pie: no such graph (seq or cwnd)"},
		{"tcpgraph 10.0.0.2:9", "", "tcpgraph: 10.0.0.2:9: say what to make of it (-o PREFIX, -g seq|cwnd or -t)"},
		{"tcpgraph on 16", "recording connections established from now on, 16 entries each\n", ""},
		{"tcpgraph", "recording: on, 16 entries per connection (tcpgraph off stops)\n", ""},
		{"tcpgraph off", "recording off; the histories kept stay (tcpgraph lists them)\n", ""},
	}
	for _, c := range cases {
		l.out.Reset()
		err := l.sh.Execute(t.Context(), c.line)
		got := ""
		if err != nil {
			got = strings.SplitN(err.Error(), "\n", 2)[0]
		}
		if got != c.err || l.out.String() != c.out {
			t.Errorf("%s:\n got  %q, error %q\n want %q, error %q", c.line, l.out.String(), got, c.out, c.err)
		}
	}
}

// A transfer through a lossy wire, recorded, then drawn: the command
// says what it wrote, both files are SVG whose retransmission bars are
// as many as the history's retransmitted segments (and not none), and
// -t prints a line per sample.
func TestTCPGraphOfATransfer(t *testing.T) {
	server, client := tcpWorlds[1].pair(t)
	const size = 300_000
	got := make(chan int64, 1)
	addr := server.serveOne(t, "10.0.0.2", func(c net.Conn) { n, _ := io.Copy(io.Discard, c); got <- n })
	for _, line := range []string{"tcpgraph on", "netem veth0 loss 3% seed 5"} {
		if err := client.sh.Execute(t.Context(), line); err != nil {
			t.Fatal(err)
		}
	}
	c := client.dial(t, addr)
	c.Write(bytes.Repeat([]byte("g"), size))
	c.Close()
	if n := <-got; n != size {
		t.Fatalf("the server read %d bytes, want %d", n, size)
	}
	p := client.sh.Stack.TCP
	local, remote := netip.MustParseAddrPort(c.LocalAddr().String()), netip.MustParseAddrPort(addr)
	waitUntil(t, "TIME-WAIT, when no more segments come", func() bool {
		h, _ := p.History(local, remote)
		return h.State == tcp.TimeWait
	})
	h, _ := p.History(local, remote)
	rexmits := 0
	for _, s := range h.Segments {
		if s.Out && s.Len > 0 && s.Rexmit {
			rexmits++
		}
	}
	if rexmits == 0 {
		t.Fatal("no retransmission recorded through 3% loss")
	}
	prefix := filepath.Join(t.TempDir(), "x")
	client.out.Reset()
	if err := client.sh.Execute(t.Context(), "tcpgraph -o "+prefix+" "+addr); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`(?m)^wrote %s-seq.svg: %s > %s, \d+ data segments \(%d retransmitted\), \d+ ACKs, \d+ SACK blocks\n`+
		`wrote %s-cwnd.svg: %d samples, cwnd up to \d+ segments, [1-9]\d* fast recoveries, \d+ timeouts\n$`,
		regexp.QuoteMeta(prefix), local, remote, rexmits, regexp.QuoteMeta(prefix), len(h.Samples))
	if !regexp.MustCompile(want).MatchString(client.out.String()) {
		t.Errorf("tcpgraph -o said:\n%s\nwant lines matching %s", client.out, want)
	}
	seq, err := os.ReadFile(prefix + "-seq.svg")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(svgtest.ByClass(svgtest.Parse(t, seq), "path", "rexmit")); n != rexmits {
		t.Errorf("%d retransmission bars, want %d", n, rexmits)
	}
	cwnd, err := os.ReadFile(prefix + "-cwnd.svg")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(svgtest.ByClass(svgtest.Parse(t, cwnd), "polyline", "cwnd")); n != 1 {
		t.Errorf("%d cwnd lines, want 1", n)
	}
	client.out.Reset()
	if err := client.sh.Execute(t.Context(), "tcpgraph -t"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(client.out.String(), "\n"); n != len(h.Samples)+1 {
		t.Errorf("tcpgraph -t: %d lines, want a header and %d samples", n, len(h.Samples))
	}
	err = client.sh.Execute(t.Context(), "tcpgraph -o /nonexistent/x")
	if want := "tcpgraph: /nonexistent/x-seq.svg: no such file or directory (give -o a prefix in a directory you can write)"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if err := client.sh.Execute(t.Context(), "tcpgraph -t 10.0.0.9:1"); err == nil || !strings.HasPrefix(err.Error(), "tcpgraph: no history of 10.0.0.9:1 ") {
		t.Errorf("error %v for a connection never recorded", err)
	}
}
