//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// tmuxSeq numbers the sessions of one test binary.
var tmuxSeq atomic.Int32

// tmuxSession runs bin in a detached tmux session sized 120x40 and removes
// the session when the test ends.
type tmuxSession struct {
	t    *testing.T
	name string
	home string // $HOME of the program, if the test chose it
}

func newTmux(t *testing.T, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is needed for the interactive tests: %v", err)
	}
	s := &tmuxSession{t: t, name: fmt.Sprintf("tapip-test-%d-%d", os.Getpid(), tmuxSeq.Add(1))}
	// The tmux server is shared with every other test run on the machine:
	// one that exits as its last session ends can refuse us on the way out.
	var out []byte
	var err error
	for try := 0; try < 3; try++ {
		out, err = exec.Command("tmux", "new-session", "-d", "-s", s.name, "-x", "120", "-y", "40", command).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "server exited unexpectedly") {
			break
		}
	}
	if err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", s.name).Run() })
	return s
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", s.name}, keys...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("tmux send-keys: %v: %s", err, out)
	}
}

func (s *tmuxSession) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", s.name).Output()
	return string(out)
}

// waitFor polls the screen until it shows want, for at most 10 s.
func (s *tmuxSession) waitFor(want string) {
	s.t.Helper()
	s.waitMatch(regexp.QuoteMeta(want))
}

// A person at the prompt: a running ping stops on Ctrl-C and prints its
// statistics, the shell goes on, tab completes command names, and Ctrl-D
// leaves.
func TestInteractiveCtrlCStopsPingNotShell(t *testing.T) {
	bin := buildTapip(t)
	home := t.TempDir()
	s := newTmux(t, fmt.Sprintf("HOME=%s %s -dev sim -no-color; echo EXITED $?; sleep 30", home, bin))
	s.waitFor("[net shell]:")
	s.keys("ping 10.0.0.2", "Enter")
	s.waitFor("icmp_seq=2 ttl=64")
	s.keys("C-c")
	s.waitFor("--- 10.0.0.2 ping statistics ---")
	s.waitFor("rtt min/avg/max/mdev")
	s.keys("arpc", "Tab")
	s.waitFor("[net shell]: arpcache")
	s.keys("Enter")
	s.waitFor("10.0.0.2 dev sim0 lladdr 02:00:0a:00:00:02 REACHABLE")
	s.keys("C-d")
	s.waitFor("EXITED 0")
	if hist, err := os.ReadFile(home + "/.tapip_history"); err != nil || !strings.Contains(string(hist), "ping 10.0.0.2") {
		t.Errorf("history file: %v %q", err, hist)
	}
}

// snc -c at the terminal reads the lines typed until Ctrl-C (they are
// not kept in the history), then the prompt has the terminal again; SIGTERM at the prompt ends tapip with
// 128+15 and leaves the terminal as it found it (not in raw mode).
func TestInteractiveSncThenSIGTERM(t *testing.T) {
	bin := buildTapip(t)
	home := t.TempDir()
	s := newTmux(t, fmt.Sprintf(`HOME=%s sh -c 'echo PID $$; exec %s -dev sim -no-color'; echo EXITED $?; if stty -a | grep -q -- -icanon; then echo TERMINAL RAW; else echo TERMINAL COOKED; fi; sleep 30`, home, bin))
	s.waitFor("[net shell]:")
	m := regexp.MustCompile(`PID (\d+)`).FindStringSubmatch(s.screen())
	if m == nil {
		t.Fatalf("no PID on the screen:\n%s", s.screen())
	}
	pid, _ := strconv.Atoi(m[1])
	s.keys("snc -u -c 10.0.0.2:7", "Enter")
	s.keys("hello", "Enter")
	s.keys("C-c")
	// Ctrl-C flushes what was typed with it, as a terminal's does: the
	// next command is typed at the prompt that follows.
	s.waitMatch(`\^C\s*\n\[net shell\]:`)
	s.keys("udp -s", "Enter")
	s.waitFor("1 packets sent")
	// The line sent is not a command: history keeps the commands only.
	if hist, err := os.ReadFile(home + "/.tapip_history"); err != nil || string(hist) != "snc -u -c 10.0.0.2:7\nudp -s\n" {
		t.Errorf("history file: %v %q, want the two commands", err, hist)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitFor("EXITED 143")
	s.waitFor("TERMINAL COOKED")
}
