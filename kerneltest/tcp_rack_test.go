//go:build linux

package kerneltest

import (
	"regexp"
	"strconv"
	"testing"
)

// RACK against the kernel (RFC 8985): our stack sends 8 MB to a kernel
// socket through our own netem, which holds 5% of the frames it sends
// back behind the next one and delays all by 2 ms. The kernel SACKs each
// frame that overtook another (TcpExtTCPSACKReorder counts what we saw)
// and ACKs the late one microseconds later, inside RACK's window (a
// quarter of the minimum RTT, 2 ms and more), so it is not sent again.
// Asserted: the file arrives whole; at least 100 frames were reordered
// (the seed fixes the draws: 292 of the run's frames); the reordering
// was seen; and at most one segment was retransmitted per ten frames
// reordered. Measured: 6 to 10 retransmitted, each answered by a D-SACK
// (spurious): frames held at the end of a burst, which wait milliseconds
// for the next frame (more than the window: RACK rightly calls them
// late, and widens its window on the D-SACK), and, early in slow start
// with RTTs of tens of ms, a few whose ACK came later than the window
// behind the SACK. With net.ipv4.tcp_recovery=0 (three duplicate ACKs)
// the same run retransmits nothing: a swap of two frames never makes
// three. The bound leaves three times the measured ratio for a loaded
// CI machine; it cannot fail by chance alone, since the draws are fixed
// and only timing moves the count.
//
// The path loses nothing, so each of those recoveries cut the window
// for nothing, and the peer proves it (Linux's undo, tcp/undo.go):
// asserted, once a recovery was made and a D-SACK came, at least one
// recovery was undone — by the timestamps in practice (the ACK for the
// original comes after the retransmission went: TcpExtTCPPartialUndo,
// TcpExtTCPFullUndo), else by the D-SACKs (TcpExtTCPDSACKUndo).
// Measured, 16 runs: every recovery undone (1 to 6 a run); the 8 MB
// took 234 ms on average against 341 ms before the undo (6 runs each,
// interleaved; the log line gives the time).
//
// It runs twice: with timestamps, and with net.ipv4.tcp_timestamps=0 on
// our side (as against a Windows peer, which sends none), where only
// time tells RACK whether an ACK answers a retransmission or its
// original, and only D-SACKs undo. Without timestamps 5 runs in 9
// retransmitted 79 to 1797 segments, all D-SACKed, before RACK dated an
// ACK by when it can first have arrived rather than when it was read
// (tcp/rack.go, doc/decisions.md "RACK without timestamps"); measured
// after, 11 runs: 2 to 7 retransmitted, all D-SACKed.
func TestTCPSenderReorderingKernel(t *testing.T) {
	for _, ts := range []string{"1", "0"} {
		t.Run("timestamps="+ts, func(t *testing.T) { senderReorderingKernel(t, ts) })
	}
}

// senderReorderingKernel is the test with net.ipv4.tcp_timestamps set to
// ts on our side.
func senderReorderingKernel(t *testing.T, ts string) {
	ns := tcpNetns(t)
	out, took := fileToKernel(t, ns, ns, tcpTapArgs, 8<<20, 4, func(in string) string {
		return "sysctl -w net.ipv4.tcp_timestamps=" + ts + "; netem gttcp0 reorder 5% delay 2ms seed 3; snc -c 10.0.0.2:9100 < " + in + "; stat; netem gttcp0"
	})
	m := regexp.MustCompile(`reordered (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("netem printed no count of frames reordered:\n%s", tail(out))
	}
	reordered, _ := strconv.Atoi(m[1])
	retrans, seen := statValue(t, out, "TcpRetransSegs"), statValue(t, out, "TcpExtTCPSACKReorder")
	dsacks, recoveries := statValue(t, out, "TcpExtTCPDSACKRecv"), statValue(t, out, "TcpExtTCPSackRecovery")
	byDSACK, atEnd, early := statValue(t, out, "TcpExtTCPDSACKUndo"), statValue(t, out, "TcpExtTCPFullUndo"), statValue(t, out, "TcpExtTCPPartialUndo")
	t.Logf("8 MB in %v, %d frames reordered: %d reorderings seen by SACK, %d retransmitted (%d loss probes, %d D-SACKs received, %d RACK recoveries; undone %d by D-SACK, %d at their end, %d early)",
		took, reordered, seen, retrans, statValue(t, out, "TcpExtTCPLossProbes"), dsacks, recoveries, byDSACK, atEnd, early)
	if reordered < 100 || seen == 0 {
		t.Fatalf("%d frames reordered, %d reorderings seen: not enough reordering to tell\n%s", reordered, seen, tail(out))
	}
	if retrans*10 > reordered {
		t.Errorf("%d segments retransmitted for %d frames reordered: more than one in ten\n%s", retrans, reordered, tail(out))
	}
	if recoveries > 0 && dsacks > 0 && byDSACK+atEnd+early == 0 {
		t.Errorf("%d recoveries and %d D-SACKs through a path that loses nothing, and no recovery undone\n%s", recoveries, dsacks, tail(out))
	}
}
