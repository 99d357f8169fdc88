package shell_test

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

// udpLab is the shell on 10.0.0.1 and a peer stack on 10.0.0.2 whose
// sockets the test uses directly.
type udpLab struct {
	sh       *shell.Shell
	peer     *stack.Stack
	out, err *syncbuf.Buffer
}

func newUDPLab(t *testing.T) *udpLab {
	t.Helper()
	a, b, _, _ := stacktest.Pair(t, 11, stack.Config{}, stack.Config{})
	l := &udpLab{peer: b, out: &syncbuf.Buffer{}, err: &syncbuf.Buffer{}}
	l.sh = shell.New(a, l.out, l.err)
	return l
}

// start runs line in the background and returns a function that cancels
// it (Ctrl-C) and returns its error.
func (l *udpLab) start(t *testing.T, line string) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.sh.Execute(ctx, line) }()
	return func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(5 * time.Second):
			t.Fatalf("%q did not end after Ctrl-C", line)
			return nil
		}
	}
}

// waitBound waits until the shell's stack has a socket on port.
func (l *udpLab) waitBound(t *testing.T, port uint16) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		for _, s := range l.sh.Stack.UDP.Sockets() {
			if s.Local.Port() == port {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no socket on port %d", port)
		}
	}
}

// waitUntil polls cond until it holds, failing the test after 5 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 5s waiting for %s", what)
		}
	}
}

func (l *udpLab) waitOutput(t *testing.T, re string) {
	t.Helper()
	r := regexp.MustCompile(re)
	for deadline := time.Now().Add(5 * time.Second); !r.MatchString(l.out.String()); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %s:\n%s", re, l.out)
		}
	}
}

func TestUDPSendCommand(t *testing.T) {
	l := newUDPLab(t)
	srv, err := l.peer.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:7"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := l.sh.Execute(context.Background(), "udp send -p 4000 10.0.0.2:7 hello   'big world'"); err != nil {
		t.Fatal(err)
	}
	if got, want := l.out.String(), "sent 15 bytes to 10.0.0.2:7\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	buf := make([]byte, 100)
	n, from, err := srv.RecvFrom(ctx, buf)
	if err != nil || string(buf[:n]) != "hello big world" || from != netip.MustParseAddrPort("10.0.0.1:4000") {
		t.Errorf("peer got %q from %v (%v)", buf[:n], from, err)
	}
	if socks := l.sh.Stack.UDP.Sockets(); len(socks) != 0 {
		t.Errorf("udp send left sockets open: %v", socks)
	}
}

func TestUDPListenPrintsAndEchoes(t *testing.T) {
	l := newUDPLab(t)
	done := make(chan error, 1)
	go func() { done <- l.sh.Execute(context.Background(), "udp listen -c 3 -e 7") }()
	l.waitBound(t, 7)
	cli, err := l.peer.UDP.Dial(netip.MustParseAddrPort("10.0.0.1:7"))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	port := cli.LocalAddr().Port()
	for _, msg := range []string{"hi there\n", "\x00\x01\x02", "tab\tok"} {
		cli.Send([]byte(msg))
		if got := stacktest.RecvString(t, cli); got != msg {
			t.Errorf("echo of %q: %q", msg, got)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("udp listen -c 3 did not stop after 3 datagrams")
	}
	want := "10.0.0.2:" + itoa(port) + " length 9: hi there\n" +
		"10.0.0.2:" + itoa(port) + " length 3: hex 000102\n" +
		"10.0.0.2:" + itoa(port) + " length 6: tab\tok\n"
	if got := l.out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

func TestUDPListenHexAndQuietEcho(t *testing.T) {
	l := newUDPLab(t)
	stop := l.start(t, "udp listen -x 127.0.0.1:9")
	l.waitBound(t, 9)
	c, _ := l.sh.Stack.UDP.Open()
	defer c.Close()
	c.SendTo([]byte("AB"), netip.MustParseAddrPort("127.0.0.1:9"))
	l.waitOutput(t, `(?m)^127\.0\.0\.1:\d+ length 2: hex 4142$`)
	if err := stop(); err != nil {
		t.Errorf("udp listen ended by Ctrl-C: %v", err)
	}

	stop = l.start(t, "udp listen -e -q 7")
	l.waitBound(t, 7)
	cli, _ := l.peer.UDP.Dial(netip.MustParseAddrPort("10.0.0.1:7"))
	defer cli.Close()
	for range 10 {
		cli.Send([]byte("ping"))
		if got := stacktest.RecvString(t, cli); got != "ping" {
			t.Fatalf("echo %q", got)
		}
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
	if got, want := l.out.String(), "10 datagrams, 40 bytes received, 10 echoed\n"; !strings.HasSuffix(got, want) {
		t.Errorf("quiet output %q, want only the summary %q", got, want)
	}
}

func TestUDPSocketTable(t *testing.T) {
	l := newUDPLab(t)
	s, _ := l.sh.Stack.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:7"))
	defer s.Close()
	c, _ := l.sh.Stack.UDP.Dial(netip.MustParseAddrPort("10.0.0.2:53"))
	defer c.Close()
	c.SendTo([]byte("queued"), netip.MustParseAddrPort("10.0.0.1:7"))
	waitUntil(t, "the datagram sent over lo to be queued on port 7", func() bool { return s.Info().Queued == 1 })
	if err := l.sh.Execute(context.Background(), "udp"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(l.out.String(), "\n")
	want := []string{
		"Active Internet connections (servers and established)",
		"Proto Recv-Q Send-Q Local Address           Foreign Address         State",
		"udp     2048      0 0.0.0.0:7               0.0.0.0:*", // Recv-Q counts buffer memory, as Linux's does
		`udp        0      0 0\.0\.0\.0:\d{5}           10\.0\.0\.2:53             ESTABLISHED`,
		"",
	}
	if len(lines) != len(want) {
		t.Fatalf("udp printed %d lines, want %d:\n%s", len(lines), len(want), l.out)
	}
	for i, w := range want {
		if i == 3 && !regexp.MustCompile("^"+w+"$").MatchString(lines[i]) || i != 3 && lines[i] != w {
			t.Errorf("udp line %d (-want +got):\n-%s\n+%s", i, w, lines[i])
		}
	}
	l.out.Reset()
	if err := l.sh.Execute(context.Background(), "udp -s"); err != nil {
		t.Fatal(err)
	}
	wantStats := "Udp:\n    1 packets received\n    0 packets to unknown port received\n    0 packet receive errors\n" +
		"    1 packets sent\n    0 receive buffer errors\n"
	if got := l.out.String(); got != wantStats {
		t.Errorf("udp -s (-want +got):\n-%s\n+%s", wantStats, got)
	}
}

func TestUDPCommandErrors(t *testing.T) {
	l := newUDPLab(t)
	s, _ := l.sh.Stack.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:7"))
	defer s.Close()
	cases := []struct{ line, want string }{ // the first line; a usage line may follow
		{"udp frob", "udp: frob: unknown form"},
		{"udp send 10.0.0.2 hi", "udp: 10.0.0.2: not HOST:PORT (give an IPv4 address and a port from 1 to 65535, like 10.0.0.2:7)"},
		{"udp send 10.0.0.2:7", "udp: give HOST:PORT and the text to send"},
		{"udp send -p 70000 10.0.0.2:7 x", "udp: -p 70000: invalid argument (give a whole number from 1 to 65535)"},
		{"udp send -p 7 10.0.0.2:7 x", "udp: bind 0.0.0.0:7: address already in use (the udp command lists the sockets; pick another port, or 0 for any free one)"},
		{"udp send 192.168.9.9:7 x", "udp: send to 192.168.9.9:7: Network is unreachable"},
		{"udp listen", "udp: give the port to listen on, [ADDR:]PORT"},
		{"udp listen 0", "udp: 0: not a port (give one from 1 to 65535, or ADDR:PORT)"},
		{"udp listen 7", "udp: bind 0.0.0.0:7: address already in use (the udp command lists the sockets; pick another port, or 0 for any free one)"},
		{"udp listen 10.9.9.9:8", "udp: bind 10.9.9.9:8: cannot assign requested address (not an address of this stack: ifconfig lists them; 0.0.0.0 means any)"},
		{"udp listen -c 0 8", "udp: -c 0: invalid argument (give a whole number from 1 to 2147483647)"},
		{"snc -c 10.0.0.2:7", "snc: connect to 10.0.0.2:7: Connection refused"}, // TCP by default
		{"snc -u", "snc: give one of -c HOST:PORT (send) or -b ADDR:PORT (receive)"},
		{"snc -u -c nowhere", "snc: -c nowhere: not HOST:PORT (give an IPv4 address and a port from 1 to 65535, like 10.0.0.2:7)"},
		{"snc -u -c 10.0.0.2:7", "snc: the shell has no input to read (run snc -c where the shell reads a terminal or a script)"},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			err := l.sh.Execute(context.Background(), c.line)
			if err == nil {
				t.Fatalf("Execute(%q) succeeded, want an error", c.line)
			}
			if got, _, _ := strings.Cut(err.Error(), "\n"); got != c.want {
				t.Errorf("Execute(%q) error (-want +got):\n-%s\n+%s", c.line, c.want, got)
			}
		})
	}
	// Past the MTU the datagram leaves in fragments (the 65507-byte limit is
	// beyond what a shell line holds; stack's UDP tests cover it).
	l.out.Reset()
	err := l.sh.Execute(context.Background(), "udp send 10.0.0.2:7 "+strings.Repeat("x", 1473))
	if err != nil || !strings.Contains(l.out.String(), "sent 1473 bytes to 10.0.0.2:7") {
		t.Errorf("1473 bytes on a 1500 MTU: %v %q, want it sent in fragments", err, l.out.String())
	}
	if !errors.Is(l.sh.Execute(context.Background(), "udp listen"), shell.ErrUsage) {
		t.Errorf("udp listen with no port is not a usage error")
	}
}

func TestSncSendsLinesAndReceives(t *testing.T) {
	l := newUDPLab(t)
	srv, _ := l.peer.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:9"))
	defer srv.Close()
	l.sh.SetInput(strings.NewReader("first line\nsecond\nno newline"))
	if err := l.sh.Execute(context.Background(), "snc -u -c 10.0.0.2:9"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"first line\n", "second\n", "no newline"} {
		if got := stacktest.RecvString(t, srv); got != want {
			t.Errorf("peer got %q, want %q", got, want)
		}
	}

	stop := l.start(t, "snc -u -b 0.0.0.0:5000")
	l.waitBound(t, 5000)
	cli, _ := l.peer.UDP.Dial(netip.MustParseAddrPort("10.0.0.1:5000"))
	defer cli.Close()
	cli.Send([]byte("hello\n"))
	cli.Send([]byte("world\n"))
	for deadline := time.Now().Add(5 * time.Second); l.out.String() != "hello\nworld\n"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("snc -b wrote %q", l.out)
		}
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

// In a script, snc -c sends the lines after it, as a program run by sh(1)
// reads the rest of the script's stdin.
func TestSncInScriptReadsTheFollowingLines(t *testing.T) {
	l := newUDPLab(t)
	srv, _ := l.peer.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:9"))
	defer srv.Close()
	if err := l.sh.RunScript(strings.NewReader("snc -u -c 10.0.0.2:9\nudp frob\nlast\n")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"udp frob\n", "last\n"} {
		if got := stacktest.RecvString(t, srv); got != want {
			t.Errorf("peer got %q, want %q", got, want)
		}
	}
	if err := l.sh.Execute(context.Background(), "snc -u -c 10.0.0.2:9"); err == nil || !strings.Contains(err.Error(), "the shell has no input") {
		t.Errorf("snc -c after the script: %v, want the script's input gone", err)
	}
}

// With its input from SetInput (tapip -c: stdin), snc -c stopped by Ctrl-C
// while it waits leaves the next line to the next snc -c, and no reader
// behind once the input ends.
func TestSncCtrlCLosesNoLine(t *testing.T) {
	l := newUDPLab(t)
	srv, _ := l.peer.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:9"))
	defer srv.Close()
	before := runtime.NumGoroutine()
	stdin, typed := io.Pipe()
	l.sh.SetInput(stdin)
	stop := l.start(t, "snc -u -c 10.0.0.2:9")
	typed.Write([]byte("one\n"))
	if got := stacktest.RecvString(t, srv); got != "one\n" {
		t.Fatalf("peer got %q, want %q", got, "one\n")
	}
	if err := stop(); err != nil { // Ctrl-C; the read of the next line goes on
		t.Fatal(err)
	}
	go func() {
		typed.Write([]byte("two\n"))
		typed.Close()
	}()
	if err := l.sh.Execute(context.Background(), "snc -u -c 10.0.0.2:9"); err != nil {
		t.Fatal(err)
	}
	if got := stacktest.RecvString(t, srv); got != "two\n" {
		t.Errorf("the second snc sent %q, want %q", got, "two\n")
	}
	waitUntil(t, "no goroutine left reading", func() bool { return runtime.NumGoroutine() <= before })
}
