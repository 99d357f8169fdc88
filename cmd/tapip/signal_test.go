//go:build linux

package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/syncbuf"
)

// SIGTERM or SIGHUP while a command blocks: the command is cancelled, the
// capture flushed, and tapip exits 128+signal, quietly.
func TestSignalStopsRunningCommand(t *testing.T) {
	bin := buildTapip(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			pcap := filepath.Join(t.TempDir(), "sig.pcap")
			cmd := exec.Command(bin, "-dev", "sim", "-no-color", "-c", "capture start "+pcap+"; ping -i 0.05 10.0.0.2")
			var out, errOut syncbuf.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			t.Cleanup(func() { cmd.Process.Kill() })
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "icmp_seq=2 "); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("ping never got going:\n%s%s", out.String(), errOut.String())
				}
			}
			cmd.Process.Signal(sig)
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("tapip did not exit after %v:\n%s%s", sig, out.String(), errOut.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 128+int(sig) {
				t.Errorf("tapip after %v: %v, want exit status %d", sig, err, 128+int(sig))
			}
			if !strings.Contains(out.String(), "--- 10.0.0.2 ping statistics ---") {
				t.Errorf("ping was not cancelled (no statistics):\n%s", out.String())
			}
			if !strings.Contains(out.String(), "packets captured to "+pcap) {
				t.Errorf("the capture was not stopped:\n%s", out.String())
			}
			if fi, err := os.Stat(pcap); err != nil || fi.Size() < 24 {
				t.Errorf("capture file not flushed: %v", err)
			}
			if errOut.String() != "" {
				t.Errorf("stderr: %s", errOut.String())
			}
		})
	}
}

// Ctrl-C (SIGINT) stops a script as a shell's child is stopped: exit
// 128+SIGINT, whether a command was running (ping prints its statistics)
// or the script was waiting for its next line.
func TestCtrlCStopsScript(t *testing.T) {
	bin := buildTapip(t)
	cases := []struct {
		name, args, stdin, want string
	}{
		{"-c, ping running", "ping -i 0.05 10.0.0.2", "", "--- 10.0.0.2 ping statistics ---"},
		{"stdin, waiting for a line", "", "echo ready\n", "ready"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"-dev", "sim", "-no-color"}
			if c.args != "" {
				args = append(args, "-c", c.args)
			}
			cmd := exec.Command(bin, args...)
			stdin, err := cmd.StdinPipe() // kept open: the script waits for more
			if err != nil {
				t.Fatal(err)
			}
			var out, errOut syncbuf.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			t.Cleanup(func() { cmd.Process.Kill() })
			io.WriteString(stdin, c.stdin)
			started := "icmp_seq=2 "
			if c.args == "" {
				started = "ready"
			}
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), started); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the script never got going:\n%s%s", out.String(), errOut.String())
				}
			}
			cmd.Process.Signal(syscall.SIGINT)
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("tapip did not exit after SIGINT:\n%s%s", out.String(), errOut.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 130 {
				t.Errorf("tapip after SIGINT: %v, want exit status 130", err)
			}
			if !strings.Contains(out.String(), c.want) {
				t.Errorf("output lacks %q:\n%s", c.want, out.String())
			}
		})
	}
}
