package shell_test

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/tcp"
)

// ss on a server with a listener, one connection and a UDP socket: the
// default shows the connection alone, -l the listeners, -a all, -t and
// -u one protocol (no Netid column); the colons line up; -i adds the
// connection's internals, -m its buffers; after the client closes first, it is in
// TIME-WAIT on the client.
func TestSS(t *testing.T) {
	server, client := tcpWorlds[1].pair(t) // the pipe LAN: the stack's own sockets
	stop, _ := server.start(t, "snc -k -b 9000")
	server.listening(t)
	c := client.dial(t, "10.0.0.2:9000")
	fmt.Fprintf(c, "hello\n")
	waitUntil(t, "the line to arrive", func() bool { return strings.Contains(server.out.String(), "hello\n") })
	sock, err := server.sh.Stack.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:7"))
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	port := netip.MustParseAddrPort(c.LocalAddr().String()).Port()
	estab := fmt.Sprintf(`ESTAB +0 +0 +10\.0\.0\.2:9000 +10\.0\.0\.1:%d`, port)
	listen := `LISTEN +0 +4096 +0\.0\.0\.0:9000 +0\.0\.0\.0:\*`
	cases := []struct {
		line       string
		want, lack []string // regexps of lines
	}{
		{"ss", []string{`^Netid State +Recv-Q Send-Q +Local Address:Port +Peer Address:Port$`, `^tcp +` + estab + `$`}, []string{"LISTEN"}},
		{"ss -n -t", []string{`^State +Recv-Q Send-Q +Local Address:Port +Peer Address:Port$`, `^` + estab + `$`}, []string{"LISTEN", "tcp"}},
		{"ss -tl", []string{`^` + listen + `$`}, []string{"ESTAB"}},
		{"ss -ta", []string{`^` + listen + `$`, `^` + estab + `$`}, nil},
		{"ss -tm", []string{`^` + estab + `$`, `^\t skmem:\(r0,rb131072,t0,tb16384\)$`}, nil},
		{"ss -tmi", []string{`^\t skmem:\(r0,rb131072,t0,tb16384\) ts sack cubic `}, nil},
		{"ss -ti", []string{`^` + estab + `$`, `^\t ts sack cubic wscale:\d+,\d+ rto:\d+ rtt:[\d.]+/[\d.]+ mss:1448 rcvmss:\d+ cwnd:10( send [\d.]+[KMG]?bps pacing_rate [\d.]+[KMG]?bps)?( rcv_rtt:[\d.]+ rcv_space:\d+)?( minrtt:[\d.]+)?$`}, nil},
		{"ss -tin", []string{`^\t ts sack cubic .* cwnd:10( send \d+bps pacing_rate \d+bps)?( rcv_rtt:[\d.]+ rcv_space:\d+)?( minrtt:[\d.]+)?$`}, nil},
		{"ss -u", []string{`^State`}, []string{"ESTAB", "LISTEN", "UNCONN"}},
		{"ss -ua", []string{`^UNCONN +0 +0 +0\.0\.0\.0:7 +0\.0\.0\.0:\*$`}, []string{"tcp", "ESTAB"}},
		{"ss -l", []string{`^tcp +` + listen + `$`, `^udp +UNCONN +0 +0 +0\.0\.0\.0:7 +0\.0\.0\.0:\*$`}, []string{"ESTAB"}},
	}
	for _, cs := range cases {
		t.Run(cs.line, func(t *testing.T) {
			server.out.Reset()
			if err := server.sh.Execute(t.Context(), cs.line); err != nil {
				t.Fatal(err)
			}
			out := server.out.String()
			for _, re := range cs.want {
				if !regexp.MustCompile(`(?m)` + re).MatchString(out) {
					t.Errorf("no line matching %s in:\n%s", re, out)
				}
			}
			for _, s := range cs.lack {
				if strings.Contains(out, s) {
					t.Errorf("%q in:\n%s", s, out)
				}
			}
			colonsLineUp(t, out)
		})
	}

	// The client sent a line: one delivery-rate sample, app-limited.
	client.out.Reset()
	client.sh.Execute(t.Context(), "ss -ti")
	if !regexp.MustCompile(`(?m)^\t .* cwnd:10( send [\d.]+[KMG]?bps pacing_rate [\d.]+[KMG]?bps)? delivery_rate [\d.]+[KMG]?bps delivered:1 app_limited minrtt:[\d.]+$`).MatchString(client.out.String()) {
		t.Errorf("ss -ti on the client: no delivery_rate, delivered:1, app_limited and minrtt after cwnd (and send, pacing_rate):\n%s", client.out)
	}

	c.Close() // the client closes first: TIME-WAIT is the client's
	io.ReadAll(c)
	waitUntil(t, "TIME-WAIT on the client", func() bool {
		client.out.Reset()
		client.sh.Execute(t.Context(), "ss -t")
		return regexp.MustCompile(fmt.Sprintf(`(?m)^TIME-WAIT +0 +0 +10\.0\.0\.1:%d +10\.0\.0\.2:9000$`, port)).MatchString(client.out.String())
	})
	client.out.Reset()
	client.sh.Execute(t.Context(), "ss -ti")
	if strings.Contains(client.out.String(), "\t") {
		t.Errorf("ss -i gave a TIME-WAIT socket internals, which ss does not:\n%s", client.out)
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

// A connection that ends in TIME-WAIT with data left unread (the client
// half-closed, then the server sent and closed): ss prints 0 0 and no
// skmem or internals for it, as for Linux's inet_timewait_sock, though
// the bytes are still there to read.
func TestSSTimeWaitHasNoQueues(t *testing.T) {
	server, client := tcpWorlds[1].pair(t)
	addr := server.serveOne(t, "10.0.0.2", func(c net.Conn) {
		c.Write(make([]byte, 1000))
		io.Copy(io.Discard, c) // until the client's FIN; then close
	})
	c := client.dial(t, addr)
	c.(interface{ CloseWrite() error }).CloseWrite()
	var tw tcp.ConnInfo
	waitUntil(t, "TIME-WAIT on the client", func() bool {
		for _, r := range client.sh.Stack.TCP.Connections() {
			if r.State == tcp.TimeWait {
				tw = r
				return true
			}
		}
		return false
	})
	if tw.RecvQ != 1000 {
		t.Fatalf("TIME-WAIT connection holds %d unread bytes, want 1000", tw.RecvQ)
	}
	port := netip.MustParseAddrPort(c.LocalAddr().String()).Port()
	client.sh.Execute(t.Context(), "ss -tmi")
	out := client.out.String()
	row := regexp.MustCompile(fmt.Sprintf(`^State .*\nTIME-WAIT +0 +0 +10\.0\.0\.1:%d +10\.0\.0\.2:\d+\n$`, port))
	if !row.MatchString(out) {
		t.Errorf("ss -tmi: want the header and TIME-WAIT 0 0, no skmem or internals line; got:\n%s", out)
	}
}

// colonsLineUp checks that every line's address:port columns have their
// colons at the header's columns.
func colonsLineUp(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	at := func(l string) []int {
		var cols []int
		for i, r := range l {
			if r == ':' {
				cols = append(cols, i)
			}
		}
		return cols
	}
	head := at(lines[0])
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "\t") {
			continue
		}
		if got := at(l); fmt.Sprint(got) != fmt.Sprint(head) {
			t.Errorf("colons at %v, the header's at %v:\n%s\n%s", got, head, lines[0], l)
		}
	}
}

func TestSSErrors(t *testing.T) {
	l := newTCPShell(t)
	for line, want := range map[string]string{
		"ss -x":        "ss: invalid option -- 'x'",
		"ss state all": "ss: state: unexpected argument (ss takes only options; no filters)",
		"ss -al":       "ss: -a and -l: give one (-a all sockets, -l listening ones)",
	} {
		err := l.sh.Execute(t.Context(), line)
		if err == nil || !strings.HasPrefix(err.Error(), want+"\nusage: ss ") {
			t.Errorf("%s: %v, want %q and the usage", line, err, want)
		}
	}
}
