package tcp

import (
	"bytes"
	"testing"
	"time"
)

// RACK (RFC 8985) on the fake clock: a scripted peer 10 ms away. Each
// test reads what TCP sent after every step, so a retransmission is seen
// when it happens, and asserts on RetransSegs (the MIB counter every
// resent segment goes through, output.go).

const rackRTT = 10 * time.Millisecond

// rackConn accepts a connection (its handshake rackRTT long) and runs
// four windows through it, each acknowledged rackRTT after it went, so
// that RACK's minimum RTT is rackRTT and SRTT is above a quarter of it.
func rackConn(t *testing.T, mod func(*Config)) (*testNet, *Conn, *peer) {
	t.Helper()
	n := newTestNet(t, func(c *Config) {
		c.Wmem[1] = 1 << 20
		if mod != nil {
			mod(c)
		}
	})
	n.synRTT = rackRTT
	c, pr := n.accept(synOptions(1))
	for range 4 {
		flight(t, n, c, pr, 10)
		n.clk.Advance(rackRTT)
		pr.sackAck(pr.ack)
	}
	if got := n.drain(); len(got) != 0 {
		t.Fatalf("warming up: %d segments sent after the last ACK", len(got))
	}
	if c.rack.minRTT != rackRTT || c.rtt.srtt < rackRTT/4 {
		t.Fatalf("after warming up: min RTT %v, SRTT %v; want %v and at least a quarter of it", c.rack.minRTT, c.rtt.srtt, rackRTT)
	}
	return n, c, pr
}

// flight writes k full segments (of c.mss: 1448 bytes with timestamps), checks that all of them went at once,
// and returns the sequence number of segment i as seg(i).
func flight(t *testing.T, n *testNet, c *Conn, pr *peer, k int) func(int) Seq {
	t.Helper()
	c.Write(bytes.Repeat([]byte("k"), k*c.mss))
	sent := n.drain()
	if len(sent) != k {
		t.Fatalf("%d segments sent of a flight of %d", len(sent), k)
	}
	for _, h := range sent {
		pr.take(h)
	}
	base := sent[0].Seq()
	return func(i int) Seq { return base.Add(i * c.mss) }
}

// resent fails the test if TCP sent anything since the last look.
func noneSent(t *testing.T, n *testNet, when string) {
	t.Helper()
	if got := seqsOf(n.drain()); len(got) != 0 {
		t.Fatalf("%s: sent %v, want nothing", when, got)
	}
}

// Reordering the first time (RFC 8985 6.2 step 4, reordering not seen
// yet): segment 0 arrives after 1 and 2, reo_wnd/2 late. Below
// DupThresh SACKed segments the window is min_RTT/4, so nothing goes
// again; the late segment shows the reordering (TcpExtTCPSACKReorder).
// The control: the same delay with three segments ahead of it is a loss
// by the RFC's rule for a connection that has seen no reordering; the
// peer's D-SACK of the needless retransmission then shows the reordering
// and widens the window (RFC 8985 6.2 step 4: reo_wnd_mult 2, for 16
// recoveries).
func TestRACKReorderingFirstTime(t *testing.T) {
	for _, tc := range []struct {
		ahead   int
		resends uint64
		mult    int
	}{{2, 0, 0}, {3, 1, 2}} {
		n, c, pr := rackConn(t, nil)
		seg := flight(t, n, c, pr, 10)
		reo := c.reoWnd()
		if reo != rackRTT/4 {
			t.Fatalf("reo_wnd %v before any SACK, want min_RTT/4 = %v", reo, rackRTT/4)
		}
		n.clk.Advance(rackRTT)
		for k := 1; k <= tc.ahead; k++ {
			pr.sackAck(seg(0), SACKBlock{seg(1), seg(1 + k)})
		}
		n.clk.Advance(reo / 2)
		pr.sackAck(seg(10)) // segment 0, then the rest
		if tc.resends > 0 {
			pr.sackAck(seg(10), SACKBlock{seg(0), seg(1)}) // D-SACK: 0 arrived twice
		}
		n.clk.Advance(time.Second)
		n.drain()
		if got := n.p.Stats.RetransSegs.Load(); got != tc.resends {
			t.Errorf("%d segments ahead of the late one: RetransSegs %d, want %d", tc.ahead, got, tc.resends)
		}
		if !c.rack.reorderingSeen {
			t.Errorf("%d ahead: reordering not seen", tc.ahead)
		}
		if got := n.p.Stats.DSACKRecv.Load(); got != tc.resends || c.rack.reoWndMult != tc.mult {
			t.Errorf("%d ahead: TcpExtTCPDSACKRecv %d, reo_wnd_mult %d; want %d, %d", tc.ahead, got, c.rack.reoWndMult, tc.resends, tc.mult)
		}
		if tc.resends == 0 && n.p.Stats.SACKReorder.Load() != 1 {
			t.Errorf("TcpExtTCPSACKReorder %d, want 1", n.p.Stats.SACKReorder.Load())
		}
	}
}

// Once reordering has been seen, the window holds whatever the number of
// segments ahead: six overtake segment 0, which arrives 0.9 reo_wnd
// late, and nothing is sent again. Past the window it is a loss, found
// by the reorder timer on the very tick.
func TestRACKReorderingSeen(t *testing.T) {
	for _, tc := range []struct {
		late    float64 // in reo_wnd
		resends uint64
	}{{0.9, 0}, {1.1, 1}} {
		n, c, pr := rackConn(t, nil)
		c.rack.reorderingSeen = true
		seg := flight(t, n, c, pr, 10)
		reo := c.reoWnd()
		n.clk.Advance(rackRTT)
		for k := 1; k <= 6; k++ {
			pr.sackAck(seg(0), SACKBlock{seg(1), seg(1 + k)})
		}
		noneSent(t, n, "six segments SACKed within reo_wnd")
		late := time.Duration(tc.late * float64(reo))
		n.clk.Advance(late)
		if tc.resends > 0 {
			if got := seqsOf(n.drain()); len(got) != 1 || got[0] != seg(0) {
				t.Fatalf("at %v past the window: sent %v, want segment 0 again", late-reo, got)
			}
		}
		pr.sackAck(seg(10))
		n.clk.Advance(time.Second)
		n.drain()
		if got := n.p.Stats.RetransSegs.Load(); got != tc.resends {
			t.Errorf("arriving %.1f reo_wnd late: RetransSegs %d, want %d", tc.late, got, tc.resends)
		}
	}
}

// A real loss with a single SACK behind it (one duplicate ACK, where RFC
// 6675 needs three): segment 2 of a flight of 4 is lost. The reorder
// timer marks it lost reo_wnd after the SACK of 3, not a tick before,
// long before the tail loss probe (2 SRTT) or the RTO (200 ms).
func TestRACKLossByTime(t *testing.T) {
	n, c, pr := rackConn(t, nil)
	seg := flight(t, n, c, pr, 4)
	n.clk.Advance(rackRTT)
	pr.sackAck(seg(2), SACKBlock{seg(3), seg(4)})
	reo := c.reoWnd()
	if reo == 0 || !c.reo {
		t.Fatalf("reo_wnd %v, reorder timer armed %v after one SACK: want a window and the timer", reo, c.reo)
	}
	n.clk.Advance(reo - time.Microsecond)
	noneSent(t, n, "before the reordering window passed")
	n.clk.Advance(time.Microsecond)
	if got := seqsOf(n.drain()); len(got) != 1 || got[0] != seg(2) {
		t.Fatalf("at reo_wnd: sent %v, want segment 2 again", got)
	}
	pr.sackAck(seg(4))
	st := &n.p.Stats
	if st.RetransSegs.Load() != 1 || st.Timeouts.Load() != 0 || st.LossProbes.Load() != 0 || st.SackRecovery.Load() != 1 {
		t.Errorf("RetransSegs %d, TCPTimeouts %d, TCPLossProbes %d, TCPSackRecovery %d; want 1, 0, 0, 1",
			st.RetransSegs.Load(), st.Timeouts.Load(), st.LossProbes.Load(), st.SackRecovery.Load())
	}
	if c.cc.inRecovery || c.Info().SendQ != 0 {
		t.Errorf("after the last ACK: in recovery %v, Send-Q %d", c.cc.inRecovery, c.Info().SendQ)
	}
}

// A retransmission that is lost again is found by time too: once data
// sent after it is SACKed, RACK marks it lost (in recovery, reo_wnd is 0
// until reordering is seen), rather than leaving it to the RTO.
func TestRACKLostRetransmission(t *testing.T) {
	n, c, pr := rackConn(t, nil)
	seg := flight(t, n, c, pr, 8)
	n.clk.Advance(rackRTT)
	pr.sackAck(seg(2), SACKBlock{seg(3), seg(4)}) // 2 lost
	n.clk.Advance(c.reoWnd())
	if got := seqsOf(n.drain()); len(got) != 1 || got[0] != seg(2) {
		t.Fatalf("at reo_wnd: sent %v, want segment 2 again", got)
	}
	c.Write(bytes.Repeat([]byte("k"), 4*1448)) // its retransmission is lost too; new data follows it
	var later []Seq
	for top := 5; top <= 8; top++ {
		pr.sackAck(seg(2), SACKBlock{seg(3), seg(top)})
		later = append(later, seqsOf(n.drain())...)
	}
	if len(later) == 0 || later[0] != seg(8) {
		t.Fatalf("sent %v on the SACKs of 4-7, want new data from segment 8", later)
	}
	n.clk.Advance(rackRTT)
	pr.sackAck(seg(2), SACKBlock{seg(3), seg(9)}) // 8, sent after the retransmission, arrives
	if got := seqsOf(n.drain()); len(got) == 0 || got[0] != seg(2) {
		t.Fatalf("sent %v (segment 2 at %d) once segment 8 was SACKed, want segment 2 a third time; later %v", got, seg(2), later)
	}
	if n.p.Stats.Timeouts.Load() != 0 {
		t.Errorf("TCPTimeouts %d, want 0", n.p.Stats.Timeouts.Load())
	}
}

// With tcp_recovery=0 the same single-SACK loss waits: RFC 6675 needs
// DupThresh, so nothing goes at reo_wnd (the tail loss probe comes later).
func TestRACKOff(t *testing.T) {
	n, c, pr := rackConn(t, rfc6675Only)
	seg := flight(t, n, c, pr, 4)
	n.clk.Advance(rackRTT)
	pr.sackAck(seg(2), SACKBlock{seg(3), seg(4)})
	n.clk.Advance(rackRTT / 4)
	noneSent(t, n, "RACK off, one SACK, a quarter RTT later")
	if c.reo {
		t.Error("reorder timer armed with tcp_recovery=0")
	}
}

// The other bits of tcp_recovery, as Linux: 2 keeps reo_wnd static (a
// D-SACK does not widen it), 4 drops the fallback to 0 once DupThresh
// segments are SACKed before any reordering was seen.
func TestRACKRecoveryBits(t *testing.T) {
	for _, tc := range []struct {
		bits     int
		mult     int           // reo_wnd_mult after a D-SACK
		reoAfter time.Duration // reo_wnd with three segments SACKed, no reordering seen
	}{
		{RecoveryRACK, 2, 0},
		{RecoveryRACK | RecoveryStaticReoWnd, 0, 0},
		{RecoveryRACK | RecoveryNoDupThreshFB, 2, rackRTT / 4},
	} {
		n, c, pr := rackConn(t, func(cfg *Config) { cfg.Recovery = tc.bits })
		seg := flight(t, n, c, pr, 5)
		n.clk.Advance(rackRTT)
		pr.sackAck(seg(0), SACKBlock{seg(1), seg(4)})
		if got := c.reoWnd(); got != tc.reoAfter {
			t.Errorf("tcp_recovery=%d: reo_wnd %v with three SACKed, want %v", tc.bits, got, tc.reoAfter)
		}
		pr.sackAck(seg(0), SACKBlock{seg(4), seg(5)}, SACKBlock{seg(1), seg(5)}) // a D-SACK inside the second block
		if c.rack.reoWndMult != tc.mult {
			t.Errorf("tcp_recovery=%d: reo_wnd_mult %d after a D-SACK, want %d", tc.bits, c.rack.reoWndMult, tc.mult)
		}
	}
}
