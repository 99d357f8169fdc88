package shell_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

// Close from another goroutine, as cmd/tapip calls it on SIGTERM, while a
// command blocks: the command is cancelled and has returned by the time
// Close does; the background debug watch and capture are stopped, the
// capture's file flushed; later commands get ErrClosed.
func TestCloseWhileACommandRuns(t *testing.T) {
	cases := []struct {
		line    string
		running func(l *udpLab) bool // the command is under way
		wantOut string               // what it printed on being cancelled
	}{
		{"udp listen -q 7", func(l *udpLab) bool { return bound(l, 7) }, "0 datagrams, 0 bytes received\n"},
		{"ping -i 0.02 10.0.0.2", func(l *udpLab) bool { return strings.Contains(l.out.String(), "icmp_seq=2 ") }, "--- 10.0.0.2 ping statistics ---"},
		{"snc -u -b 0.0.0.0:5000", func(l *udpLab) bool { return bound(l, 5000) }, ""},
		{"debug ip", func(l *udpLab) bool { return l.sh.Stack.Tracer.Mask() != 0 }, ""},
		{"sleep 60", func(l *udpLab) bool { return shell.Running(l.sh) == 1 }, ""},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			l := newUDPLab(t)
			l.sh.Script = strings.HasPrefix(c.line, "debug") // debug waits for Ctrl-C only in scripts
			pcap := filepath.Join(t.TempDir(), "close.pcap")
			if !strings.HasPrefix(c.line, "debug") {
				if err := l.sh.Execute(context.Background(), "debug -n udp"); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.sh.Execute(context.Background(), "capture start "+pcap); err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() { errc <- l.sh.Execute(context.Background(), c.line) }()
			waitUntil(t, c.line+" to be running", func() bool { return c.running(l) })

			if err := l.sh.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if n := shell.Running(l.sh); n != 0 {
				t.Fatalf("Close returned while %s still ran", c.line)
			}
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("%s, closed: %v", c.line, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Execute(%q) did not return after Close", c.line)
			}
			if !strings.Contains(l.out.String(), c.wantOut) {
				t.Errorf("output lacks %q:\n%s", c.wantOut, l.out)
			}
			if socks := l.sh.Stack.UDP.Sockets(); len(socks) != 0 {
				t.Errorf("sockets left open: %v", socks)
			}
			if m := l.sh.Stack.Tracer.Mask(); m != 0 {
				t.Errorf("tracing still on (mask %#x) after Close", m)
			}
			if !regexp.MustCompile(`(?m)^\d+ packets? captured to ` + regexp.QuoteMeta(pcap) + `$`).MatchString(l.out.String()) {
				t.Errorf("the capture was not stopped:\n%s", l.out)
			}
			if fi, err := os.Stat(pcap); err != nil || fi.Size() < 24 {
				t.Errorf("capture file not flushed: %v", err)
			}
			if err := l.sh.Execute(context.Background(), "udp"); !errors.Is(err, shell.ErrClosed) {
				t.Errorf("Execute after Close: %v, want ErrClosed", err)
			}
			if err := l.sh.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func bound(l *udpLab, port uint16) bool {
	for _, s := range l.sh.Stack.UDP.Sockets() {
		if s.Local.Port() == port {
			return true
		}
	}
	return false
}

// A command that ignores its context holds Close up for CloseWait only;
// Close says so.
func TestCloseGivesUpOnAStuckCommand(t *testing.T) {
	l := newUDPLab(t)
	release := make(chan struct{})
	shell.AddCommand(l.sh, &shell.Command{Name: "stuck", Run: func(context.Context, *shell.Shell, []string) error {
		<-release
		return nil
	}})
	shell.SetCloseWait(l.sh, 50*time.Millisecond)
	errc := make(chan error, 1)
	go func() { errc <- l.sh.Execute(context.Background(), "stuck") }()
	waitUntil(t, "stuck to be running", func() bool { return shell.Running(l.sh) == 1 })
	start := time.Now()
	err := l.sh.Close()
	if err == nil || !strings.Contains(err.Error(), "a command still runs 50ms after Close cancelled it") {
		t.Errorf("Close = %v, want it to say a command still runs", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v, want about 50ms", d)
	}
	close(release)
	if err := <-errc; err != nil {
		t.Errorf("stuck, released: %v", err)
	}
	waitUntil(t, "the command to be counted as returned", func() bool { return shell.Running(l.sh) == 0 })
}

// Close racing Execute at every point of its course: once Close returns
// nil, nothing runs; the command either ran (and was cancelled) or was
// refused with ErrClosed. Run with -race.
func TestCloseRacesExecute(t *testing.T) {
	s := stack.New(stack.Config{})
	t.Cleanup(s.Close)
	if _, err := s.UDP.Listen(netip.MustParseAddrPort("127.0.0.1:1")); err != nil { // a stack in use
		t.Fatal(err)
	}
	for i := range 50 {
		out := &syncbuf.Buffer{}
		sh := shell.New(s, out, out)
		errc := make(chan error, 1)
		line := []string{"sleep 10", "udp listen 9", "echo hi"}[i%3]
		go func() { errc <- sh.Execute(context.Background(), line) }()
		if i%2 == 0 {
			time.Sleep(time.Duration(i%7) * 100 * time.Microsecond) // vary where Close lands; not for synchronization
		}
		if err := sh.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if n := shell.Running(sh); n != 0 {
			t.Fatalf("%d commands running after Close", n)
		}
		select {
		case err := <-errc:
			if err != nil && !errors.Is(err, shell.ErrClosed) {
				t.Errorf("%s: %v, want nil or ErrClosed", line, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not return after Close", line)
		}
	}
}
