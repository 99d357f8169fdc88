package tcp

import (
	"testing"
	"time"
)

// The tail loss probe's episode (RFC 8985 7.4), on the 10 ms peer of
// rack_test.go. Segments 8 and 9 of a flight of 10 reach the peer or
// not; the ACK of 0-7 comes, nothing after it, and the probe (segment 9
// again) goes at the PTO.
func probeEpisode(t *testing.T) (*testNet, *Conn, *peer, func(int) Seq) {
	t.Helper()
	n, c, pr := rackConn(t, nil)
	seg := flight(t, n, c, pr, 10)
	n.clk.Advance(rackRTT)
	pr.sackAck(seg(8))
	n.clk.Advance(c.rtxWhen.Sub(n.clk.Now()))
	if got := seqsOf(n.drain()); len(got) != 1 || got[0] != seg(9) || !c.tlpOut || !c.tlpRetrans {
		t.Fatalf("at the PTO: sent %v, probe out %v (a retransmission %v); want segment 9 again", got, c.tlpOut, c.tlpRetrans)
	}
	return n, c, pr, seg
}

// The probe repaired a loss: 9 was lost, the probe's ACK covers it and a
// later ACK passes it, with no D-SACK. The window is halved once
// (TcpExtTCPLossProbeRecovery), without a recovery or an RTO.
func TestTLPRepairedLoss(t *testing.T) {
	n, c, pr, seg := probeEpisode(t)
	cwnd := c.cc.cwnd
	n.clk.Advance(rackRTT)
	pr.sackAck(seg(10))
	if !c.tlpOut || c.cc.cwnd != cwnd {
		t.Fatalf("the probe's own ACK ended the episode (%v) or moved cwnd (%d -> %d): it cannot tell yet", !c.tlpOut, cwnd, c.cc.cwnd)
	}
	seg2 := flight(t, n, c, pr, 2)
	n.clk.Advance(rackRTT)
	pr.sackAck(seg2(2))
	st := &n.p.Stats
	if st.LossProbeRecovery.Load() != 1 || c.tlpOut {
		t.Fatalf("TcpExtTCPLossProbeRecovery %d, episode open %v; want 1, false", st.LossProbeRecovery.Load(), c.tlpOut)
	}
	if want := max(cwnd/2, 2*c.mss); c.cc.cwnd != want || c.cc.ssthresh != want {
		t.Errorf("cwnd %d, ssthresh %d after the repaired loss; want both %d (half of %d)", c.cc.cwnd, c.cc.ssthresh, want, cwnd)
	}
	if st.SackRecovery.Load() != 0 || st.Timeouts.Load() != 0 || st.LossProbes.Load() != 1 {
		t.Errorf("TCPSackRecovery %d, TCPTimeouts %d, TCPLossProbes %d; want 0, 0, 1", st.SackRecovery.Load(), st.Timeouts.Load(), st.LossProbes.Load())
	}
}

// Nothing was lost (only 9's ACK was slow): the peer D-SACKs the probe,
// the episode ends there, and the window stays.
func TestTLPDSACKNoLoss(t *testing.T) {
	n, c, pr, seg := probeEpisode(t)
	cwnd := c.cc.cwnd
	n.clk.Advance(rackRTT)
	pr.sackAck(seg(10), SACKBlock{seg(9), seg(10)})
	if c.tlpOut || n.p.Stats.DSACKRecv.Load() != 1 {
		t.Fatalf("after the probe's D-SACK: episode open %v, TcpExtTCPDSACKRecv %d; want false, 1", c.tlpOut, n.p.Stats.DSACKRecv.Load())
	}
	seg2 := flight(t, n, c, pr, 2)
	n.clk.Advance(rackRTT)
	pr.sackAck(seg2(2))
	if n.p.Stats.LossProbeRecovery.Load() != 0 || c.cc.cwnd < cwnd {
		t.Errorf("TcpExtTCPLossProbeRecovery %d, cwnd %d -> %d; want 0 and no reduction", n.p.Stats.LossProbeRecovery.Load(), cwnd, c.cc.cwnd)
	}
}

// The probe's SACK finds the loss before it (RFC 8985 7.1): 8 was lost,
// the probe (9 again) arrives and is SACKed, and RACK marks 8 lost by
// time, so recovery repairs it on that ACK, not at the RTO.
func TestTLPProbeSACKStartsRecovery(t *testing.T) {
	n, c, pr, seg := probeEpisode(t)
	n.clk.Advance(rackRTT)
	pr.sackAck(seg(8), SACKBlock{seg(9), seg(10)})
	if got := seqsOf(n.drain()); len(got) != 1 || got[0] != seg(8) {
		t.Fatalf("on the probe's SACK: sent %v, want segment 8 again", got)
	}
	pr.sackAck(seg(10))
	n.clk.Advance(time.Second)
	st := &n.p.Stats
	if st.SackRecovery.Load() != 1 || st.Timeouts.Load() != 0 || c.Info().SendQ != 0 {
		t.Errorf("TCPSackRecovery %d, TCPTimeouts %d, Send-Q %d; want 1, 0, 0", st.SackRecovery.Load(), st.Timeouts.Load(), c.Info().SendQ)
	}
}
