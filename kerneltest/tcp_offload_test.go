//go:build linux

package kerneltest

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/tap"
)

// Offloads through the TAP (netdev/offload.go, tcp/tso.go): our stack
// writes TCP super-frames of up to 64 KB that the kernel cuts, and reads
// the kernel's own whole. Each transfer goes both ways at once, its
// SHA-256 compared at each end (stacktest.Transfer).

// offloadTapHost is newTapHost with offloads asked for; it fails unless
// the kernel granted checksum offload and TSO, and its side of the TAP
// says so in ethtool -k.
func offloadTapHost(t *testing.T) *tapHost {
	t.Helper()
	h := newTapHostWith(t, tap.Options{Offload: true})
	if o := h.dev.Offloads(); !o.TxChecksum || !o.TSO || !o.RxVnet || o.GSOMaxSize < 60000 {
		t.Fatalf("offloads in force: %v, want tx-checksumming, TSO up to 64 KB and the header on receive", o)
	}
	if _, err := exec.LookPath("ethtool"); err != nil {
		nstest.Unavailable(t, "needs ethtool(8) (apt-get install ethtool, or make deps)")
	}
	k := nstest.Run(t, h.ns, "ethtool", "-k", h.ifc)
	for _, want := range []string{"tx-checksumming: on", "tcp-segmentation-offload: on", "tx-tcp-segmentation: on"} {
		if !strings.Contains(k, want) {
			t.Errorf("ethtool -k %s lacks %q:\n%s", h.ifc, want, k)
		}
	}
	return h
}

// gsoCounts are the device's super-frame counters.
func gsoCounts(d *netdev.NetDev) (tx, rx uint64) { return d.Stats.TxGSO.Load(), d.Stats.RxGRO.Load() }

// With offloads: the transfer is whole, super-frames went each way, and
// TCP counted wire segments (more than the frames the device wrote).
func TestTCPKernelTransfersOffload(t *testing.T) {
	h := offloadTapHost(t)
	testKernelTransfers(t, h, 0, 16<<20)
	tx, rx := gsoCounts(h.dev)
	segs, frames := h.stack.TCP.Stats.OutSegs.Load(), h.dev.Stats.TxPackets.Load()
	t.Logf("%d super-frames written, %d read; TCP sent %d segments in %d frames", tx, rx, segs, frames)
	if tx == 0 || rx == 0 {
		t.Errorf("super-frames written %d, read %d: want both > 0", tx, rx)
	}
	if segs <= frames {
		t.Errorf("TCP counted %d segments out, the device wrote %d frames: the pieces of super-frames are not counted", segs, frames)
	}
	var buf syncbuf.Buffer
	if err := shellOn(h.stack, &buf).Execute(bgCtx(), "ifconfig "+h.ifc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"        offload tx-checksumming, tcp-segmentation-offload, generic-receive-offload\n",
		fmt.Sprintf("        GSO frames out %d  GRO frames in %d\n", tx, rx)} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("ifconfig lacks %q:\n%s", want, buf.String())
		}
	}
}

// Through 3% loss on a kernel router each way: parts of super-frames are
// lost and sent again in MSS-sized pieces; the data still arrives whole.
func TestTCPKernelTransfersOffloadWithLoss(t *testing.T) {
	h := offloadTapHost(t)
	testKernelTransfers(t, h, 3, 4<<20)
	if tx, _ := gsoCounts(h.dev); tx == 0 {
		t.Errorf("no super-frame written: the loss test did not exercise TSO")
	}
}

// Without offloads (tapip -offload=false) the same transfer moves plain
// frames: no super-frame either way, and every frame within the MTU.
func TestTCPKernelTransfersNoOffload(t *testing.T) {
	h := newTapHost(t)
	if o := h.dev.Offloads(); o != (netdev.Offloads{}) {
		t.Fatalf("offloads in force without asking: %v", o)
	}
	testKernelTransfers(t, h, 0, 4<<20)
	if tx, rx := gsoCounts(h.dev); tx != 0 || rx != 0 {
		t.Errorf("super-frames written %d, read %d without offloads: want none", tx, rx)
	}
	if segs, frames := h.stack.TCP.Stats.OutSegs.Load(), h.dev.Stats.TxPackets.Load(); segs > frames {
		t.Errorf("TCP sent %d segments in %d frames without offloads", segs, frames)
	}
}

// The packet driver writes super-frames too (netdev/packet/gso.go): a
// TCP transfer both ways over a veth pair whose kernel end cuts nothing
// itself (tso and gso off on pk1: the driver drops received super-frames,
// which would need 64 KB ring frames).
func TestPacketDriverTSO(t *testing.T) {
	nstest.RequireRoot(t)
	if _, err := exec.LookPath("ethtool"); err != nil {
		nstest.Unavailable(t, "needs ethtool(8) (apt-get install ethtool, or make deps)")
	}
	ours, theirs := nstest.NewNetns(t, "gtpk"), nstest.NewNetns(t, "gtpk")
	vethPair(t, ours, "pk0", theirs, "pk1")
	nstest.Run(t, theirs, "ip", "addr", "add", "10.0.5.2/24", "dev", "pk1")
	nstest.Run(t, theirs, "ethtool", "-K", "pk1", "tso", "off", "gso", "off")
	s, dev, _ := packetStack(t, ours)
	if o := dev.Offloads(); !o.TSO || !o.TxChecksum {
		t.Fatalf("packet driver offloads: %v, want tx-checksumming and TSO", o)
	}
	h := &tapHost{ns: theirs, stack: s, dev: dev}
	ln := kernelListen(t, h, "10.0.5.2:7200")
	ours1, theirs1 := stackDialKernel(t, h, ln)
	defer ours1.Close()
	defer theirs1.Close()
	stacktest.Transfer(t, ours1, theirs1, 8<<20)
	if tx := dev.Stats.TxGSO.Load(); tx == 0 {
		t.Errorf("no super-frame written through the packet driver")
	}
}
