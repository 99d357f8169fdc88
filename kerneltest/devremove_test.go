//go:build linux

package kerneltest

import (
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/syncbuf"
)

// A TAP deleted under a running tapip (ip link del from outside) is
// reported once on stderr, the program then sleeps instead of spinning on
// the dead descriptor, and the shell still answers: netdev no longer lists
// the device, as ip link no longer lists an unregistered netdev.
func TestTAPDeletedUnderRunningTapip(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "gtprm")
	cmd := exec.Command("ip", "netns", "exec", ns, tapipBin, "-dev", "tap:gtrm0", "-peer", "10.0.0.2/24")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	// ip netns exec execs tapip in its own process: the PID is tapip's.
	pid := cmd.Process.Pid

	io.WriteString(stdin, "netdev\n")
	waitFor(t, "netdev to list gtrm0", func() bool { return strings.Contains(out.String(), "gtrm0") })
	nstest.Run(t, ns, "ip", "link", "del", "gtrm0")
	const notice = "gtrm0: device removed"
	waitFor(t, "the notice "+notice, func() bool { return strings.Contains(errOut.String(), notice) })

	// A spinning poller would use most of a core; an idle stack, its 100 ms
	// net timer only. The interval is what is measured, not a wait.
	const interval = 2 * time.Second
	before := cpuTime(t, pid)
	time.Sleep(interval)
	if used := cpuTime(t, pid) - before; used > interval/10 {
		t.Errorf("tapip used %v of CPU in %v after the TAP was deleted, want well under a core (at most %v)", used, interval, interval/10)
	}

	out.Reset()
	io.WriteString(stdin, "netdev\n")
	waitFor(t, "the shell to answer netdev", func() bool { return strings.Contains(out.String(), "lo ") })
	if strings.Contains(out.String(), "gtrm0") {
		t.Errorf("netdev still lists the deleted device:\n%s", out.String())
	}
	stdin.Close()
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Errorf("tapip at end of input: %v\nstderr:\n%s", err, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tapip did not exit at the end of its input")
	}
	if n := strings.Count(errOut.String(), notice); n != 1 {
		t.Errorf("%q on stderr %d times, want once:\n%s", notice, n, errOut.String())
	}
}

// cpuTime is the user and system CPU time process pid has used, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) may hold spaces: count from after its ')'.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	var ticks int64
	for _, f := range fields[11:13] { // utime, stime: fields 14 and 15
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("/proc/%d/stat: %v", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
