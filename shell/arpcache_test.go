package shell_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/fakeclock"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

// arpcache shows an entry's life with the state names of ip neigh: our
// stack (fake clock, timers run by hand) pings its peer, the entry goes
// STALE, the peer is unplugged, the next ping moves it to PROBE, and it
// fails after ucast_solicit probes, which sysctl sets.
func TestArpcacheStates(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a, _, ea, _ := stacktest.Pair(t, 11, stack.Config{Clock: clk, TickInterval: -1}, stack.Config{})
	var out bytes.Buffer
	sh := shell.New(a, &out, &out)
	run := func(line string) (string, error) {
		out.Reset()
		err := sh.Execute(context.Background(), line)
		return out.String(), err
	}
	tick := func(d time.Duration) { a.Tick(clk.Advance(d)) }
	wantEntry := func(want string) {
		t.Helper()
		if got, _ := run("arpcache"); got != want+"\n" {
			t.Errorf("arpcache (-want +got):\n-%s\n+%s", want, got)
		}
	}

	if got, err := run("ping -c 1 -W 2 10.0.0.2"); err != nil {
		t.Fatalf("ping: %v\n%s", err, got)
	}
	wantEntry("10.0.0.2 dev veth0 lladdr 02:00:0a:00:00:02 REACHABLE")
	tick(30 * time.Second)
	wantEntry("10.0.0.2 dev veth0 lladdr 02:00:0a:00:00:02 STALE")

	ea.SetImpairments(pipe.Impairments{Loss: 1}) // the peer is unplugged
	if got, err := run("ping -c 1 -W 0.2 10.0.0.2"); err == nil {
		t.Errorf("ping of an unplugged peer succeeded:\n%s", got)
	}
	wantEntry("10.0.0.2 dev veth0 lladdr 02:00:0a:00:00:02 PROBE")

	for _, c := range []struct{ line, want string }{
		{"sysctl net.ipv4.neigh.default.ucast_solicit", "net.ipv4.neigh.default.ucast_solicit = 3\n"},
		{"sysctl net.ipv4.neigh.default.ucast_solicit=2", "net.ipv4.neigh.default.ucast_solicit = 2\n"},
	} {
		if got, err := run(c.line); err != nil || got != c.want {
			t.Errorf("%s: %v %q, want %q", c.line, err, got, c.want)
		}
	}
	tick(time.Second) // the second probe
	wantEntry("10.0.0.2 dev veth0 lladdr 02:00:0a:00:00:02 PROBE")
	tick(time.Second)                         // no answer to 2: failed, removed
	if got, _ := run("arpcache"); got != "" { // as ip neigh: nothing
		t.Errorf("arpcache after the peer failed printed %q, want nothing", got)
	}
}
