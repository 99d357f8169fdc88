package shell_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/stack"
)

// netemLab is the two-host pipe LAN with a shell on host A (10.0.0.1),
// which has pinged B once, so ARP is settled and every frame A sends
// from now on is an echo request.
func netemLab(t *testing.T) (*shell.Shell, *syncbuf.Buffer) {
	sh, out, _ := netemLabB(t)
	return sh, out
}

// netemLabB is netemLab that also returns host B's stack.
func netemLabB(t *testing.T) (*shell.Shell, *syncbuf.Buffer, *stack.Stack) {
	t.Helper()
	a, b, _, _ := stacktest.Pair(t, 1, stack.Config{}, stack.Config{})
	var out syncbuf.Buffer
	sh := shell.New(a, &out, &out)
	if err := sh.Execute(context.Background(), "ping -q -c 1 -W 2 10.0.0.2"); err != nil {
		t.Fatalf("first ping: %v\n%s", err, out.String())
	}
	out.Reset()
	return sh, &out, b
}

// lineInt finds re's first group in out as a number.
func lineInt(t *testing.T, out, re string) int {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// runLossyPing pings B 300 times through netem loss 20% with seed, and
// returns the replies ping counted and the requests netem dropped.
func runLossyPing(t *testing.T, seed string) (received, dropped int) {
	sh, out := netemLab(t)
	ctx := context.Background()
	if err := sh.Execute(ctx, "netem veth0 loss 20% seed "+seed); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "qdisc netem dev veth0: limit 1000 loss 20% seed "+seed+"\n"; got != want {
		t.Errorf("netem said (-want +got):\n-%q\n+%q", want, got)
	}
	sh.Execute(ctx, "ping -q -c 300 -i 0.002 -W 3 10.0.0.2") // fails if all are lost; checked below
	if err := sh.Execute(ctx, "netem veth0"); err != nil {
		t.Fatal(err)
	}
	o := out.String()
	if lineInt(t, o, `(\d+) packets transmitted`) != 300 {
		t.Fatalf("ping did not send 300:\n%s", o)
	}
	received = lineInt(t, o, `transmitted, (\d+) received`)
	dropped = lineInt(t, o, `\(dropped (\d+), overlimits 0\)`)
	if sent := lineInt(t, o, `Sent \d+ bytes (\d+) pkt`); sent+dropped != 300 {
		t.Errorf("netem sent %d and dropped %d of 300 requests:\n%s", sent, dropped, o)
	}
	return received, dropped
}

// Ping through 20% loss on A's device: every request netem drops is a
// reply ping misses, no more and no fewer; the loss is near 20% (300
// draws: standard deviation 6.9 frames, bounds at about 4 of them); and
// the same seed drops the same number again.
func TestNetemPingLoss(t *testing.T) {
	received, dropped := runLossyPing(t, "11")
	if received != 300-dropped {
		t.Errorf("ping received %d, netem dropped %d of 300 requests: want %d received", received, dropped, 300-dropped)
	}
	if dropped < 32 || dropped > 88 {
		t.Errorf("20%% loss dropped %d of 300", dropped)
	}
	if r2, d2 := runLossyPing(t, "11"); r2 != received || d2 != dropped {
		t.Errorf("seed 11 again: received %d, dropped %d; first run %d, %d", r2, d2, received, dropped)
	}
}

// Duplicated requests come back as duplicate replies: ping's "+N
// duplicates" is netem's duplicated count; off removes the faults.
func TestNetemDuplicateAndOff(t *testing.T) {
	sh, out := netemLab(t)
	ctx := context.Background()
	for _, line := range []string{"netem veth0 duplicate 10% seed 5", "ping -q -c 100 -i 0.002 -W 3 10.0.0.2", "netem veth0"} {
		if err := sh.Execute(ctx, line); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out.String())
		}
	}
	o := out.String()
	dups := lineInt(t, o, `duplicated (\d+) reordered 0 corrupted 0 delayed 0 errors 0`)
	if dups == 0 || !strings.Contains(o, "100 received, +"+strconv.Itoa(dups)+" duplicates") {
		t.Errorf("netem duplicated %d; ping should count as many duplicates:\n%s", dups, o)
	}
	out.Reset()
	for _, line := range []string{"netem veth0 off", "netem"} {
		if err := sh.Execute(ctx, line); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := out.String(), "qdisc none dev lo: no faults\nqdisc none dev veth0: no faults\n"; got != want {
		t.Errorf("after off (-want +got):\n-%q\n+%q", want, got)
	}
}

// Bad input: each gets an error that says what is wrong.
func TestNetemBadInput(t *testing.T) {
	sh, _ := netemLab(t)
	for _, c := range []struct{ line, want string }{
		{"netem eth9 loss 1%", "eth9: no such device"},
		{"netem veth0 loss", "netem: loss wants a value"},
		{"netem veth0 loss 101%", `loss "101%" is not a percentage from 0% to 100%`},
		{"netem veth0 loss -1", `loss "-1" is not a percentage`},
		{"netem veth0 corrupt NaN%", `corrupt "NaN%" is not a percentage`},
		{"netem veth0 delay 2m", `delay "2m" is not a time from 0 to 1m0s`},
		{"netem veth0 delay 1e300", `delay "1e300" is not a time`},
		{"netem veth0 delay -5ms", `delay "-5ms" is not a time`},
		{"netem veth0 seed x loss 1%", `seed "x" is not a number`},
		{"netem veth0 seed 4", "netem: no fault given"},
		{"netem veth0 jitter 5", `unknown fault "jitter"`},
	} {
		err := sh.Execute(context.Background(), c.line)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.line, err, c.want)
		}
	}
}

// Every corrupted request is caught by B's checksums (IP header or ICMP:
// a single flipped bit always changes a ones'-complement sum) and none is
// answered.
func TestNetemCorruptCaughtByChecksums(t *testing.T) {
	sh, out, b := netemLabB(t)
	ctx := context.Background()
	sh.Execute(ctx, "netem veth0 corrupt 100% seed 2")
	if err := sh.Execute(ctx, "ping -q -c 20 -i 0.002 -W 0.5 10.0.0.2"); err == nil || !strings.Contains(out.String(), "20 packets transmitted, 0 received") {
		t.Errorf("ping through corrupt 100%%: %v\n%s", err, out.String())
	}
	caught := func() uint64 { return b.IP.Stats.InHdrErrors.Load() + b.ICMP.Stats.InCsumErrors.Load() }
	for deadline := time.Now().Add(5 * time.Second); caught() < 20 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // polling B's counters: the condition waited on
	}
	if c := caught(); c != 20 {
		t.Errorf("B caught %d bad checksums or headers, want the 20 corrupted requests", c)
	}
	out.Reset()
	sh.Execute(ctx, "netem veth0")
	if !strings.Contains(out.String(), "corrupted 20 ") {
		t.Errorf("netem's count:\n%s", out.String())
	}
}
