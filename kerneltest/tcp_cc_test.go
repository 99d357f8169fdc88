//go:build linux

package kerneltest

import (
	"bytes"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/tcp"
)

// Our stack sends 4 MB to the kernel through 3% loss each way (a kernel
// router dropping with nftables) under each congestion control, chosen
// by the shell's sysctl as on Linux. The data must arrive whole; then,
// with the connection still open, our ss -ti names the algorithm and
// shows the ssthresh the losses set (none before: infinite), and the
// kernel's ss -ti shows its socket received every byte. The time and retransmissions
// are logged, not asserted: CI is loaded.
func TestTCPCongestionControlUnderLossKernel(t *testing.T) {
	for _, algo := range tcp.CongestionControls() {
		t.Run(algo, func(t *testing.T) {
			h := newTapHost(t)
			kns := lossyKernelPeer(t, h.ns, 3)
			if err := h.stack.AddRoute(ip.Route{Prefix: netip.MustParsePrefix("10.0.1.0/24"), Gateway: netip.MustParseAddr("10.0.0.2"), Dev: h.dev}); err != nil {
				t.Fatal(err)
			}
			var out syncbuf.Buffer
			sh := newShell(h, &out)
			if err := sh.Execute(bgCtx(), "sysctl net.ipv4.tcp_congestion_control="+algo); err != nil {
				t.Fatal(err)
			}
			ln := kernelListenIn(t, kns, "10.0.1.2:7600")
			ours, theirs := stackDialKernel(t, &tapHost{ns: kns, stack: h.stack}, ln)
			defer ours.Close()
			defer theirs.Close()

			size := 4 << 20
			data := stacktest.RandomBytes(size, 12)
			start := time.Now()
			go ours.Write(data) // a failure shows as missing bytes below
			got := make([]byte, size)
			theirs.SetReadDeadline(time.Now().Add(sncTimeout))
			if n, err := io.ReadFull(theirs, got); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("the kernel read %d of %d bytes (%v), equal %v", n, size, err, bytes.Equal(got, data))
			}
			took := time.Since(start)

			info := ours.(*tcp.Conn).Info()
			out.Reset()
			if err := sh.Execute(bgCtx(), "ss -ti"); err != nil {
				t.Fatal(err)
			}
			// The RTT comes from send times in microseconds: over a TAP
			// it is not 0, so send and pacing_rate are there.
			want := `(?m)^\t ts sack ` + algo + ` wscale:\d+,7 rto:\d+ (backoff:\d+ )?rtt:[\d.]+/[\d.]+ mss:1448 rcvmss:\d+ cwnd:\d+ ssthresh:\d+ send [\d.]+[KMG]?bps pacing_rate [\d.]+[KMG]?bps` +
				`( delivery_rate [\d.]+[KMG]?bps)?( delivered:\d+)?( app_limited)?( rcv_rtt:[\d.]+ rcv_space:\d+)? minrtt:[\d.]+$`
			if !regexp.MustCompile(want).MatchString(out.String()) {
				t.Errorf("our ss -ti after the losses:\n%s\nwant a line matching %s", out.String(), want)
			}
			kss := nstest.Run(t, kns, "ss", "-tin", "src", "10.0.1.2:7600")
			m := regexp.MustCompile(`bytes_received:(\d+)`).FindStringSubmatch(kss)
			if m == nil || m[1] != strconv.Itoa(size) {
				t.Errorf("the kernel's ss -ti for its socket: want bytes_received:%d in\n%s", size, kss)
			}
			t.Logf("%s: 4 MB through 3%% loss in %v, cwnd %d ssthresh %d at the end, %d segments retransmitted, %d RTOs; nftables dropped %d",
				algo, took.Round(10*time.Millisecond), info.Cwnd, info.Ssthresh, h.stack.TCP.Stats.RetransSegs.Load(),
				h.stack.TCP.Stats.Timeouts.Load(), kernelDropped(t, h.ns))
		})
	}
}
