//go:build linux

package kerneltest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
)

// Our stack as the sender through 3% loss each way on a kernel router:
// the file must arrive whole, and the log reports how long it took and
// how the losses were repaired (RTOs, fast retransmits, recoveries) —
// the figures doc/tcp.md quotes. No assertion on speed: CI is loaded.
func TestTCPSenderRecoveryKernelLoss(t *testing.T) {
	ns := tcpNetns(t)
	kns := lossyKernelPeer(t, ns, 3)
	args := append([]string{"-gw", "10.0.0.2"}, tcpTapArgs...)
	out, took := fileToKernel(t, ns, kns, args, 8<<20, 3, func(in string) string {
		return "snc -c 10.0.1.2:9100 < " + in + "; stat"
	})
	t.Logf("8 MB through 3%% loss in %v: %d retransmitted, %d RTOs, %d fast retransmits, %d recoveries, %d lost retransmissions, %d loss probes",
		took.Round(10*time.Millisecond), statValue(t, out, "TcpRetransSegs"), statValue(t, out, "TcpExtTCPTimeouts"),
		statValue(t, out, "TcpExtTCPFastRetrans"), statValue(t, out, "TcpExtTCPSackRecovery"), statValue(t, out, "TcpExtTCPLostRetransmit"),
		statValue(t, out, "TcpExtTCPLossProbes"))
	if statValue(t, out, "TcpRetransSegs") == 0 {
		t.Errorf("3%% loss and nothing retransmitted:\n%s", tail(out))
	}
}

// fileToKernel has tapip (in ns, with args) run script(in), which sends a
// file of size random bytes (seed) to a kernel socket listening on port
// 9100 in kns. It returns tapip's output and how long the file took to
// arrive, once the kernel has it whole and tapip exited cleanly.
func fileToKernel(t *testing.T, ns, kns string, args []string, size int, seed uint64, script func(in string) string) (string, time.Duration) {
	t.Helper()
	in := filepath.Join(t.TempDir(), "send.bin")
	sum := stacktest.RandomFile(t, in, size, seed)
	ln := kernelListenIn(t, kns, "0.0.0.0:9100") // before tapip makes the TAP and its address
	got := make(chan hashed, 1)
	go func() { got <- hashAccepted(ln) }()
	start := time.Now()
	p := startTapip(t, ns, append(args, "-c", script(in))...)
	var r hashed
	select {
	case r = <-got:
	case <-time.After(sncTimeout):
		ln.Close()
		t.Fatalf("the kernel received nothing complete in %v\nstderr:\n%s", sncTimeout, p.errOut.String())
	}
	took := time.Since(start)
	if status := p.wait(t, sncTimeout); status != 0 || p.errOut.String() != "" {
		t.Fatalf("tapip: status %d\nstderr:\n%s", status, p.errOut.String())
	}
	if r.err != nil || r.n != int64(size) || r.sum != sum {
		t.Fatalf("the kernel received %d bytes (%v), SHA-256 %x; snc sent %d, %x", r.n, r.err, r.sum, size, sum)
	}
	return p.out.String(), took
}
