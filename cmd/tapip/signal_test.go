//go:build linux

package main

import (
	"errors"
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
