//go:build linux

package kerneltest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/syncbuf"
)

// netem on our TAP against the kernel's ping: every echo reply netem drops
// is one the kernel's ping misses, and the loss is near the one set.
func TestNetemLossSeenByKernelPing(t *testing.T) {
	h := newTapHost(t)
	nstest.Run(t, h.ns, "ping", "-c", "1", "-W", "2", "10.0.0.1") // ARP settled both ways
	var out syncbuf.Buffer
	sh := newShell(h, &out)
	if err := sh.Execute(bgCtx(), "netem gtap0 loss 25% seed 3"); err != nil {
		t.Fatal(err)
	}
	res, _ := nstest.Exec(h.ns, "ping", "-q", "-c", "200", "-i", "0.005", "-W", "2", "10.0.0.1") // fails on any loss
	out.Reset()
	if err := sh.Execute(bgCtx(), "netem gtap0"); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`200 packets transmitted, (\d+) received`).FindStringSubmatch(res)
	d := regexp.MustCompile(`Sent \d+ bytes (\d+) pkt \(dropped (\d+),`).FindStringSubmatch(out.String())
	if m == nil || d == nil {
		t.Fatalf("kernel ping:\n%s\nnetem:\n%s", res, out.String())
	}
	received, _ := strconv.Atoi(m[1])
	sent, _ := strconv.Atoi(d[1])
	dropped, _ := strconv.Atoi(d[2])
	if received != sent || sent+dropped != 200 {
		t.Errorf("kernel received %d replies; netem sent %d and dropped %d of 200", received, sent, dropped)
	}
	if dropped < 25 || dropped > 75 { // 25% of 200: 50, standard deviation 6.1
		t.Errorf("25%% loss dropped %d of 200:\n%s", dropped, strings.TrimSpace(out.String()))
	}
}
