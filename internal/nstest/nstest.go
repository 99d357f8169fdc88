//go:build linux

// Package nstest helps tests that use the real Linux kernel as a peer: it
// creates network namespaces with ip(8) (iproute2), runs commands and Go
// functions inside them, and removes them when the test ends, pass or fail.
//
// Such tests need root. RequireRoot skips them for a developer without root
// but fails them when the CI environment variable is set: in CI a skipped
// kernel test is a failure.
//
// Namespaces are named PREFIX-PID-N, so parallel test binaries and leftover
// namespaces from a crashed run never collide with a new run. Interface
// names inside a namespace are private to it; create veth pairs straight
// into their namespaces (Run(t, ns, "ip", "link", "add", ..., "netns", other))
// and the host's interface list is never touched.
package nstest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// seq numbers the namespaces one test binary creates.
var seq atomic.Uint32

// RequireRoot skips t unless the process runs as root with ip(8) on PATH;
// when the CI environment variable is non-empty it fails t instead.
func RequireRoot(t testing.TB) {
	t.Helper()
	var why string
	if os.Geteuid() != 0 {
		why = "needs root (network namespaces, raw sockets)"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "needs ip(8) from iproute2 (apt-get install iproute2)"
	}
	if why == "" {
		return
	}
	Unavailable(t, why+"; run as root to include it")
}

// Unavailable skips t, a kernel test this host cannot run (no root, a
// kernel too old for the feature), saying why; when the CI environment
// variable is non-empty it fails t instead: in CI a skipped kernel test is
// a failure.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("kernel test %s; CI is set, so this is a failure, not a skip", why)
	}
	t.Skipf("kernel test %s", why)
}

// NewNetns creates a network namespace named prefix-PID-N with its loopback
// up, and deletes it (with every interface inside) when t ends.
func NewNetns(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", name, err, strings.TrimSpace(string(out)))
		}
	})
	Run(t, name, "ip", "link", "set", "lo", "up")
	return name
}

// Exec runs cmd with args inside namespace ns (ip netns exec) and returns
// its combined output; the error, if any, quotes the command and its output.
func Exec(ns, cmd string, args ...string) (string, error) {
	argv := append([]string{"netns", "exec", ns, cmd}, args...)
	out, err := exec.Command("ip", argv...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ip netns exec %s %s %s: %v: %s",
			ns, cmd, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Run is Exec that fails t when the command fails.
func Run(t testing.TB, ns, cmd string, args ...string) string {
	t.Helper()
	out, err := Exec(ns, cmd, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Do runs f on a goroutine locked to an OS thread that has joined namespace
// ns, and returns when f does. Sockets f opens belong to ns for their whole
// life, so they can be used from any goroutine afterwards.
//
// f must not call t.FailNow or t.Fatal (they only work on the test's own
// goroutine): return what it found and check it after Do.
//
// The thread goes back to its original namespace after f; if that fails the
// thread is left locked, so the runtime destroys it rather than letting
// other goroutines run in the wrong namespace.
func Do(t testing.TB, ns string, f func()) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		restored := false
		defer func() {
			if restored {
				runtime.UnlockOSThread()
			}
		}()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("nstest: open own netns: %w", err)
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("nstest: open netns %s: %w (was it made with NewNetns?)", ns, err)
			restored = true
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("nstest: setns %s: %w", ns, err)
			restored = true
			return
		}
		defer func() {
			restored = unix.Setns(orig, unix.CLONE_NEWNET) == nil
			errc <- nil
		}()
		f()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// Outcome runs cmd (its Stdin as set) and returns what it wrote to stdout
// and stderr and its exit status; it fails t if cmd cannot be run at all.
func Outcome(t testing.TB, cmd *exec.Cmd) (stdout, stderr string, status int) {
	t.Helper()
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), status
}
