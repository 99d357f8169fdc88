package shell_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/shell"
)

func TestResolvShowsAndSets(t *testing.T) {
	sh, out, _ := simShell(t)
	steps := []struct{ line, want string }{
		{"resolv", "# no name servers (resolv SERVER sets one)\n"},
		{"resolv 10.0.0.254 10.0.0.2", ""},
		{"resolv", "nameserver 10.0.0.254\nnameserver 10.0.0.2\n"},
		{"resolv -d", ""},
		{"resolv", "# no name servers (resolv SERVER sets one)\n"},
	}
	for _, st := range steps {
		out.Reset()
		if err := sh.Execute(context.Background(), st.line); err != nil {
			t.Fatalf("%s: %v", st.line, err)
		}
		if got := out.String(); got != st.want {
			t.Errorf("%s: output (-want +got):\n-%q\n+%q", st.line, st.want, got)
		}
	}
	for _, line := range []string{"resolv 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4", "resolv ::1", "resolv -d 10.0.0.254", "resolv example.org"} {
		if err := sh.Execute(context.Background(), line); err == nil || !strings.HasPrefix(err.Error(), "resolv: ") {
			t.Errorf("%s: %v, want an error saying resolv: what is wrong", line, err)
		}
	}
}

func TestHostOnTheSim(t *testing.T) {
	sh, out, _ := simShell(t)
	if err := sh.Execute(context.Background(), "resolv 10.0.0.254"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		line, want string
		fails      bool
	}{
		{"host host.sim", "host.sim has address 10.0.0.2\n", false},
		{"host FAR.sim.", "FAR.sim has address 10.0.1.2\n", false},
		{"host router.sim 10.0.0.254", "Using domain server:\nName: 10.0.0.254\nAddress: 10.0.0.254#53\nAliases: \n\nrouter.sim has address 10.0.0.254\n", false},
		{"host nosuch.sim", "Host nosuch.sim not found: 3(NXDOMAIN)\n", true},
		{"host example.com", "Host example.com not found: 5(REFUSED)\n", true},
		{"host sim.", "sim has no A record\n", true},
	}
	for _, c := range cases {
		out.Reset()
		err := sh.Execute(context.Background(), c.line)
		if (err != nil) != c.fails || (err != nil && !errors.Is(err, shell.ErrFailed)) {
			t.Errorf("%s: error %v, want failure %v", c.line, err, c.fails)
		}
		if got := out.String(); got != c.want {
			t.Errorf("%s: output (-want +got):\n-%q\n+%q", c.line, c.want, got)
		}
	}
}

func TestHostErrors(t *testing.T) {
	sh, out, lan := simShell(t)
	// 10.0.0.2 runs no name server: its port unreachable ends the lookup.
	out.Reset()
	if err := sh.Execute(context.Background(), "host host.sim 10.0.0.2"); !errors.Is(err, shell.ErrFailed) {
		t.Errorf("host against a port with no server: %v, want failure", err)
	}
	if want := "Using domain server:\nName: 10.0.0.2\nAddress: 10.0.0.2#53\nAliases: \n\n;; communications error to 10.0.0.2#53: connection refused\n;; no servers could be reached\n"; out.String() != want {
		t.Errorf("host against a port with no server printed %q, want %q", out, want)
	}
	// A server that never answers, then one whose answers do not match
	// the question: each lookup ends at the deadline, and says why.
	pc, err := lan.Host.ListenPacket("udp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sh.Execute(context.Background(), "resolv 10.0.0.2")
	timedOut := ";; connection timed out; no servers could be reached\n"
	hostWithin(t, sh, out, time.Second, "host host.sim", regexp.MustCompile("^"+timedOut+"$"))
	go func() { // answers with the query's ID plus one
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n >= 12 {
				buf[1]++
				buf[2] |= 0x80 // QR: an answer
				pc.WriteTo(buf[:n], from)
			}
		}
	}()
	hostWithin(t, sh, out, time.Second, "host host.sim", regexp.MustCompile("^"+timedOut+
		`;; ignored [1-9][0-9]* answers? that did not match the question \(Go's resolver takes them for forgeries\)\n$`))
	sh.Execute(context.Background(), "resolv -d")
	cases := []struct{ line, want string }{
		{"host", "usage"},
		{"host a b c", "usage"},
		{"host 10.0.0.2", "host: 10.0.0.2 is an address (reverse lookups are not supported: give a name)"},
		{"host host.sim nonsense", "host: couldn't get address for 'nonsense': not found (give the server's IPv4 address)"},
		{`host ""`, "host: '' is not a legal name (empty name)"},
		{"host a..sim", "host: 'a..sim' is not a legal name (empty label)"},
		{"host " + strings.Repeat("a", 64) + ".sim", "is not a legal name (label too long)"},
	}
	for _, c := range cases {
		err := sh.Execute(context.Background(), c.line)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.line, err, c.want)
		}
	}
	// A server no ARP request finds: what host(1) says, not Go's text.
	for _, set := range []string{"net.ipv4.neigh.default.mcast_solicit=1", "net.ipv4.neigh.default.retrans_time_ms=100"} {
		if err := sh.Execute(context.Background(), "sysctl "+set); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	sh.Execute(context.Background(), "host host.sim 10.0.0.9")
	if want := ";; communications error to 10.0.0.9#53: host unreachable\n;; no servers could be reached\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("host with an unreachable server: %q, want it to end %q", out, want)
	}
	out.Reset()
	sh.Execute(context.Background(), "host host.sim")
	if want := ";; no name server to ask (resolv SERVER sets one, or host NAME SERVER asks one)\n"; out.String() != want {
		t.Errorf("host with no name server: %q, want %q", out, want)
	}
}

// hostWithin runs line with a deadline and checks it failed in time with
// output want.
func hostWithin(t *testing.T, sh *shell.Shell, out *syncbuf.Buffer, limit time.Duration, line string, want *regexp.Regexp) {
	t.Helper()
	out.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	if err := sh.Execute(ctx, line); !errors.Is(err, shell.ErrFailed) {
		t.Errorf("%s: %v, want failure", line, err)
	}
	if took := time.Since(start); took > limit+5*time.Second {
		t.Errorf("%s took %v, want the %v deadline", line, took, limit)
	}
	if !want.MatchString(out.String()) {
		t.Errorf("%s printed %q, want it to match %v", line, out, want)
	}
}

// ping, traceroute, curl, snc and udp send take names, resolved through
// the sim's DNS.
func TestNamesForPingTracerouteCurl(t *testing.T) {
	sh, out, lan := simShell(t)
	if err := sh.Execute(context.Background(), "resolv 10.0.0.254"); err != nil {
		t.Fatal(err)
	}
	ln, err := lan.Far.Listen("tcp", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from far, Host %s\n", r.Host)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("echo me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		line string
		want *regexp.Regexp
	}{
		{"ping -c 1 host.sim", regexp.MustCompile(`(?s)^PING host\.sim \(10\.0\.0\.2\) 56\(84\) bytes of data\.\n64 bytes from 10\.0\.0\.2: icmp_seq=1 .*--- host\.sim ping statistics ---\n1 packets transmitted, 1 received`)},
		{"traceroute -q 1 far.sim", regexp.MustCompile(`^traceroute to far\.sim \(10\.0\.1\.2\), 30 hops max, 60 byte packets\n 1  10\.0\.0\.254 .*\n 2  10\.0\.1\.2 `)},
		{"curl http://far.sim:8080/", regexp.MustCompile(`^hello from far, Host far\.sim:8080\n$`)},
		{"udp send -r far.sim:7 far away", regexp.MustCompile(`^sent 8 bytes to 10\.0\.1\.2:7\n10\.0\.1\.2:7 length 8: far away\n$`)},
		{"snc -c host.sim:7 < " + in, regexp.MustCompile(`^echo me\n$`)},
	}
	for _, c := range cases {
		out.Reset()
		if err := sh.Execute(context.Background(), c.line); err != nil {
			t.Errorf("%s: %v\n%s", c.line, err, out)
			continue
		}
		if !c.want.MatchString(out.String()) {
			t.Errorf("%s printed:\n%s\nwant it to match %v", c.line, out, c.want)
		}
	}
	errs := []struct{ line, want string }{
		{"ping -c 1 nosuch.sim", "ping: nosuch.sim: Name or service not known"},
		{"traceroute nosuch.sim", "traceroute: nosuch.sim: Name or service not known"},
		{"curl http://nosuch.sim/", "curl: (6) Could not resolve host: nosuch.sim"},
		{"snc -c nosuch.sim:7", "snc: -c nosuch.sim: Name or service not known"},
		{"udp send nosuch.sim:7 hi", "udp: nosuch.sim: Name or service not known"},
	}
	for _, c := range errs {
		if err := sh.Execute(context.Background(), c.line); err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", c.line, err, c.want)
		}
	}
}

// A server whose answers are truncated (and which has no TCP), or whose
// records are cut short: host says what came back.
func TestHostBadAnswers(t *testing.T) {
	sh, out, lan := simShell(t)
	pc, err := lan.Host.ListenPacket("udp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var cut atomic.Bool
	go func() { // answers the query with itself, flagged as an answer
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			buf[2] |= 0x80 // QR
			if cut.Load() {
				buf[7]++ // one more answer than there is
				n -= 2   // and the OPT record cut short
			} else {
				buf[2] |= 0x02 // TC
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	head := "Using domain server:\nName: 10.0.0.2\nAddress: 10.0.0.2#53\nAliases: \n\n"
	cases := []struct {
		cut  bool
		want string
	}{
		{false, head + ";; Truncated, retrying in TCP mode.\n;; communications error to 10.0.0.2#53: connection refused\n;; no servers could be reached\n"},
		{true, head + ";; malformed answer from 10.0.0.2#53: its records do not parse\n;; no servers could be reached\n"},
	}
	for _, c := range cases {
		cut.Store(c.cut)
		out.Reset()
		if err := sh.Execute(context.Background(), "host host.sim 10.0.0.2"); !errors.Is(err, shell.ErrFailed) {
			t.Errorf("cut %v: %v, want failure", c.cut, err)
		}
		if out.String() != c.want {
			t.Errorf("cut %v: output (-want +got):\n-%q\n+%q", c.cut, c.want, out)
		}
	}
	if n := sh.Stack.DNSStats().BadRecords.Load(); n == 0 {
		t.Error("DnsBadRecords not counted")
	}
}
