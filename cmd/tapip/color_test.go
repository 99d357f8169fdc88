//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// builtDir holds the program the tests run, built once (TestMain removes it).
var (
	builtDir  string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// buildTapip builds the program once per test binary run.
func buildTapip(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if builtDir, buildErr = os.MkdirTemp("", "tapip-test-"); buildErr != nil {
			return
		}
		if out, err := exec.Command("go", "build", "-o", filepath.Join(builtDir, "tapip"), ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(builtDir, "tapip")
}

// Colour only on a terminal, and never with NO_COLOR or -no-color. The
// terminal is a pseudo-terminal from script(1) (util-linux); the simulated
// LAN needs no root.
func TestColourOnlyOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatalf("script(1) from util-linux is needed: %v", err)
	}
	bin := buildTapip(t)
	const esc = "\x1b["
	cases := []struct {
		name      string
		onTTY     bool
		env       string
		flag      string
		wantColor bool
	}{
		{"terminal", true, "", "", true},
		{"terminal with NO_COLOR", true, "NO_COLOR=1", "", false},
		{"terminal with -no-color", true, "", "-no-color", false},
		{"pipe", false, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"-dev", "sim", "-c", "frobnicate"}
			if c.flag != "" {
				args = append([]string{c.flag}, args...)
			}
			var cmd *exec.Cmd
			if c.onTTY {
				cmd = exec.Command("script", "-qec", bin+" "+shellQuote(args), "/dev/null")
			} else {
				cmd = exec.Command(bin, args...)
			}
			cmd.Env = os.Environ()
			if c.env != "" {
				cmd.Env = append(cmd.Env, c.env)
			} else {
				cmd.Env = withoutNoColor(cmd.Env)
			}
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), "frobnicate: unknown command") {
				t.Fatalf("no error message in the output:\n%q", out)
			}
			if got := strings.Contains(string(out), esc); got != c.wantColor {
				t.Errorf("colour escapes present = %v, want %v:\n%q", got, c.wantColor, out)
			}
		})
	}
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func withoutNoColor(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "NO_COLOR=") {
			out = append(out, e)
		}
	}
	return out
}
