//go:build linux

package main

// The terminal tier: the real tapip under a pseudo-terminal (tmux), keys
// in, screen out, as a person uses it. Every wait polls the screen until
// a deadline; nothing sleeps for a fixed time.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
)

// simSession starts tapip on the simulated LAN at a 120x40 terminal and
// waits for its prompt. env is prepended to the command (NO_COLOR=1).
func simSession(t *testing.T, env string, flags ...string) *tmuxSession {
	t.Helper()
	bin := buildTapip(t)
	home := t.TempDir()
	s := newTmux(t, fmt.Sprintf("HOME=%s %s %s -dev sim %s; echo EXITED $?; sleep 60", home, env, bin, strings.Join(flags, " ")))
	s.home = home
	s.waitFor("[net shell]:")
	return s
}

// waitMatch polls the screen until re matches it, for at most 10 s, and
// returns the screen.
func (s *tmuxSession) waitMatch(re string) string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		screen := s.screen()
		if rx.MatchString(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never matched %q:\n%s", re, screen)
		}
	}
}

// promptLines checks that every line of screen with the prompt on it is
// the prompt and one of the lines typed (or nothing): the prompt never
// shows inside a command's output.
func promptLines(t *testing.T, screen string, typed ...string) {
	t.Helper()
	for _, l := range strings.Split(screen, "\n") {
		i := strings.Index(l, "[net shell]:")
		if i < 0 {
			continue
		}
		rest := strings.TrimSpace(l[i+len("[net shell]:"):])
		ok := i == 0 && rest == ""
		for _, c := range typed {
			ok = ok || i == 0 && rest == c
		}
		if !ok {
			t.Errorf("the prompt inside output: %q\nscreen:\n%s", l, screen)
		}
	}
}

// Defect 2: traceroute's hop lines, written probe by probe, come out whole
// and the prompt comes back only after the last.
func TestTerminalTracerouteHopLines(t *testing.T) {
	s := simSession(t, "", "-no-color")
	s.keys("traceroute 10.0.1.2", "Enter")
	screen := s.waitMatch(`(?m)^ 2  10\.0\.1\.2 .*\n\[net shell\]: ?$`)
	hop := regexp.MustCompile(`(?m)^ 1  10\.0\.0\.254  [0-9.]+ ms  [0-9.]+ ms  [0-9.]+ ms\n 2  10\.0\.1\.2  [0-9.]+ ms  [0-9.]+ ms  [0-9.]+ ms$`)
	if !hop.MatchString(screen) {
		t.Errorf("hop lines torn or missing:\n%s", screen)
	}
	promptLines(t, screen, "traceroute 10.0.1.2")
}

// Defects 3 and 7: debug switches tracing on and gives the prompt back;
// its lines then come while a ping prints, with no prompt among them;
// debug alone says what is traced, debug off stops.
func TestTerminalDebugWhilePinging(t *testing.T) {
	s := simSession(t, "", "-no-color")
	s.keys("debug -x icmp", "Enter")
	s.waitMatch(`(?m)^debug: icmp, with diagrams \(in the background; debug off stops\)\n\[net shell\]: ?$`)
	s.keys("debug", "Enter")
	s.waitMatch(`(?m)^debug: icmp, with diagrams\n\[net shell\]: ?$`)
	s.keys("clear", "Enter")
	s.waitMatch(`^\[net shell\]: ?\n`)
	s.keys("debug icmp", "Enter", "ping -c 3 -i 0.2 10.0.0.2", "Enter")
	screen := s.waitMatch(`(?s)rtt min/avg/max/mdev = .*\n\[net shell\]: ?\n`)
	s.waitMatch(`ICMP echo reply, id \d+, seq 3, length 64`)
	for seq := 1; seq <= 3; seq++ {
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^64 bytes from 10\.0\.0\.2: icmp_seq=%d ttl=64 time=[0-9.]+ ms$`, seq)).MatchString(screen) {
			t.Errorf("ping's line for icmp_seq=%d torn or missing:\n%s", seq, screen)
		}
	}
	s.keys("debug off", "Enter")
	screen = s.waitMatch(`(?m)^debug off\n\[net shell\]: ?$`)
	promptLines(t, screen, "clear", "debug icmp", "ping -c 3 -i 0.2 10.0.0.2", "debug off")
	s.keys("debug", "Enter")
	s.waitMatch(`(?m)^debug: off\n\[net shell\]: ?$`)
}

// Defect 3: what is typed while a command runs neither cuts its output nor
// shows a prompt early; it runs when the command is done.
func TestTerminalTypingWhileACommandRuns(t *testing.T) {
	s := simSession(t, "", "-no-color")
	s.keys("ping -c 4 -i 0.3 10.0.0.2", "Enter")
	s.waitFor("icmp_seq=1 ")
	s.keys("arpcache", "Enter")
	screen := s.waitMatch(`(?s)rtt min/avg/max/mdev = [^\n]*\n\[net shell\]: arpcache\n.*REACHABLE`)
	if n := len(regexp.MustCompile(`(?m)^64 bytes from 10\.0\.0\.2: icmp_seq=[1-4] ttl=64 time=[0-9.]+ ms$`).FindAllString(screen, -1)); n != 4 {
		t.Errorf("%d whole ping lines, want 4:\n%s", n, screen)
	}
	promptLines(t, screen, "ping -c 4 -i 0.3 10.0.0.2", "arpcache")

	// Typed before a command has printed anything.
	s.keys("clear", "Enter")
	s.waitMatch(`^\[net shell\]: ?\n`)
	s.keys("sleep 1", "Enter", "echo typed", "Enter")
	screen = s.waitMatch(`(?m)^typed\n\[net shell\]: ?$`)
	if !strings.HasPrefix(screen, "[net shell]: sleep 1\n[net shell]: echo typed\ntyped\n") {
		t.Errorf("typing during sleep showed on the screen:\n%s", screen)
	}
}

// Up brings back earlier lines, a repeated line only once; Tab completes
// commands, sub-commands, flags, device names, debug layers and sysctl
// names; Ctrl-C at the prompt drops the line.
func TestTerminalHistoryAndCompletion(t *testing.T) {
	s := simSession(t, "", "-no-color")
	for _, l := range []string{"echo one", "echo two", "echo one"} {
		s.keys(l, "Enter")
	}
	s.waitMatch(`(?m)^one\n\[net shell\]: ?$`)
	s.keys("Up")
	s.waitMatch(`(?m)^\[net shell\]: echo one$`)
	s.keys("Up")
	s.waitMatch(`(?m)^\[net shell\]: echo two$`)
	s.keys("Up", "X") // nothing older: "echo one" was kept once
	s.waitMatch(`(?m)^\[net shell\]: echo twoX$`)
	s.keys("C-c")
	s.waitMatch(`(?m)^\[net shell\]: echo twoX\^C\n\[net shell\]: ?$`)
	hist, err := os.ReadFile(filepath.Join(s.home, ".tapip_history"))
	if got, want := string(hist), "echo two\necho one\n"; err != nil || got != want {
		t.Errorf("history file: %v %q, want %q", err, got, want)
	}
	for _, c := range []struct{ typed, want string }{
		{"arpc", "arpcache "},
		{"arpcache fl", "arpcache flush "},
		{"arpcache d", "arpcache de"}, // del and dev
		{"debug ic", "debug icmp "},
		{"ifconfig s", "ifconfig sim0 "},
		{"sysctl net.ipv4.ipf", "sysctl net.ipv4.ipfrag_time "},
		{"capture start -i s", "capture start -i sim0 "},
	} {
		s.keys("C-u", c.typed, "Tab")
		s.waitMatch(`(?m)^\[net shell\]: ` + regexp.QuoteMeta(strings.TrimSpace(c.want)) + ` ?$`)
	}
	s.keys("C-u", "ping -", "Tab")
	s.waitMatch(`(?m)^-M  -W  -c  -i  -q  -s  -t\n\[net shell\]: ping -$`)
}

// NO_COLOR: no escape sequence reaches the screen; without it the prompt
// and errors are coloured (the check can fail).
func TestTerminalNoColor(t *testing.T) {
	for _, c := range []struct {
		env       string
		wantColor bool
	}{{"NO_COLOR=1", false}, {"NO_COLOR=", true}} {
		t.Run(c.env, func(t *testing.T) {
			s := simSession(t, c.env)
			s.keys("frobnicate", "Enter")
			s.waitFor("frobnicate: unknown command")
			out, err := exec.Command("tmux", "capture-pane", "-p", "-e", "-t", s.name).Output()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(out), "\x1b["); got != c.wantColor {
				t.Errorf("escape sequences on screen = %v, want %v:\n%q", got, c.wantColor, out)
			}
		})
	}
}

// Ctrl-D leaves, and the TAP tapip made is gone afterwards. Kernel-peer:
// tapip runs on tap0 in a namespace of its own, the kernel side answers.
func TestTerminalCtrlDRemovesTheTAP(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "term")
	bin := buildTapip(t)
	s := newTmux(t, fmt.Sprintf("HOME=%s ip netns exec %s %s -no-color; echo EXITED $?; sleep 60", t.TempDir(), ns, bin))
	s.waitFor("[net shell]:")
	if out, err := nstest.Exec(ns, "ip", "link", "show", "tap0"); err != nil {
		t.Fatalf("no tap0 while tapip runs: %v %s", err, out)
	}
	s.keys("ping -c 1 10.0.0.2", "Enter")
	s.waitFor("1 packets transmitted, 1 received")
	s.keys("C-d")
	s.waitFor("EXITED 0")
	if out, err := nstest.Exec(ns, "ip", "link", "show", "tap0"); err == nil {
		t.Errorf("tap0 still there after Ctrl-D:\n%s", out)
	}
}

// Background jobs at the terminal: httpd runs in the background while curl
// and ping run in the foreground; its lines come above the prompt with its
// number, whole, and the prompt is redrawn; jobs lists it and kill %1
// stops it, as bash says.
func TestTerminalBackgroundJob(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := simSession(t, "", "-no-color")
	httpd := "httpd -d " + dir + " 8080"
	s.keys(httpd+" &", "Enter")
	s.waitMatch(`(?m)^\[1\] started  ` + regexp.QuoteMeta(httpd) + `\n(.*\n)?\[1\] httpd: serving ` + regexp.QuoteMeta(dir) + ` on http://0\.0\.0\.0:8080/ \(Ctrl-C stops\)$`)
	s.keys("curl http://10.0.0.1:8080/hello.txt", "Enter")
	s.waitMatch(`(?m)^\[1\] 10\.0\.0\.1 - - \[[^]]+\] "GET /hello\.txt HTTP/1\.1" 200 6$`)
	s.waitMatch(`(?m)^hello\n`)
	s.keys("ping -c 3 -i 0.2 10.0.0.2", "Enter")
	s.waitMatch(`(?m)^rtt min/avg/max/mdev = .*\n\[net shell\]: ?$`)
	s.keys("jobs", "Enter")
	s.waitMatch(`(?m)^\[1\]\+  Running                 ` + regexp.QuoteMeta(httpd) + ` &\n\[net shell\]: ?$`)
	s.keys("kill %1", "Enter")
	screen := s.waitMatch(`(?m)^\[1\]\+  Terminated              ` + regexp.QuoteMeta(httpd) + `\n\[net shell\]: ?$`)
	for seq := 1; seq <= 3; seq++ {
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^64 bytes from 10\.0\.0\.2: icmp_seq=%d ttl=64 time=[0-9.]+ ms$`, seq)).MatchString(screen) {
			t.Errorf("ping's line for icmp_seq=%d torn or missing:\n%s", seq, screen)
		}
	}
	promptLines(t, screen, httpd+" &", "curl http://10.0.0.1:8080/hello.txt", "ping -c 3 -i 0.2 10.0.0.2", "jobs", "kill %1")
	s.keys("curl http://10.0.0.1:8080/", "Enter")
	s.waitFor("curl: (7) Failed to connect to 10.0.0.1 port 8080: Connection refused")
}

// Ctrl-C typed with the Enter before it (pasted, or keys batched by a slow
// link) stops the command that line starts, as a tty's ^C would; before,
// raw mode read it with the line and kept it for the next prompt, so the
// command ran on.
func TestTerminalCtrlCRightAfterEnter(t *testing.T) {
	s := simSession(t, "", "-no-color")
	s.keys("sleep 100", "Enter", "C-c")
	s.keys("echo after", "Enter")
	screen := s.waitMatch(`(?m)^after\n\[net shell\]: ?$`)
	promptLines(t, screen, "sleep 100", "echo after")
}
