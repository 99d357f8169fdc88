package tcp

import (
	"testing"
	"time"
)

// RTT samples on the fake clock (rttsample.go): round trips far below
// the timestamp clock's millisecond, as over a TAP, are measured from
// the send records; the timestamp is the fallback when Karn's rule
// leaves no record to time.

const us = time.Microsecond

// rttConn accepts a connection whose handshake takes synRTT; with ts the
// peer offers every option (timestamps, SACK), without it only the MSS.
func rttConn(t *testing.T, synRTT time.Duration, ts bool) (*testNet, *Conn, *peer) {
	t.Helper()
	n := newTestNet(t, nil)
	n.synRTT = synRTT
	opts := (*Options)(nil)
	if ts {
		opts = synOptions(1)
	}
	c, pr := n.accept(opts)
	return n, c, pr
}

// wantRTT checks ss's srtt/rttvar.
func wantRTT(t *testing.T, c *Conn, when string, srtt, rttvar time.Duration) {
	t.Helper()
	if in := c.Info(); in.RTT != srtt || in.RTTVar != rttvar {
		t.Errorf("%s: rtt %v/%v, want %v/%v", when, in.RTT, in.RTTVar, srtt, rttvar)
	}
}

// The handshake's sample comes from the SYN-ACK's send time, and a data
// ACK's from its segments' send times: the estimator takes the oldest
// segment the ACK covers (it waited for the peer's delayed ACK), the
// congestion control the newest. Timestamps are on: from them each
// sample would be a millisecond.
func TestRTTFromSendTimes(t *testing.T) {
	n, c, pr := rttConn(t, 50*us, true)
	wantRTT(t, c, "after the handshake", 50*us, 25*us)
	flight(t, n, c, pr, 1)
	n.clk.Advance(10 * us)
	flight(t, n, c, pr, 1)
	n.clk.Advance(30 * us)
	pr.send(FlagACK, "") // both: 40 and 30 µs after they went
	wantRTT(t, c, "after the data's ACK", (7*50*us+40*us)/8, (3*25*us+10*us)/4)
	if ca, ok := c.rtt.takeLatest(); !ok || ca != 30*us {
		t.Errorf("congestion control's sample %v (fresh %v), want the newest segment's 30µs", ca, ok)
	}
}

// Karn's rule: an ACK of a segment sent twice gives no sample from
// either send time, and the RTO keeps its backoff until a valid sample
// (RFC 6298 5.5, as Linux). With timestamps the echo tells
// which transmission the peer answered: the original's echo times the
// whole 200 ms; the retransmission's, echoed in the millisecond it went,
// counts as one millisecond (a tick), not 0.
func TestRTTKarnAndTimestampFallback(t *testing.T) {
	for _, tc := range []struct {
		name         string
		ts, echoRetx bool
		srtt         time.Duration
		backoff      uint
	}{
		{"no timestamps: no sample", false, false, 50 * us, 1},
		{"echo of the original", true, false, (7*50*us + 200*time.Millisecond) / 8, 0},
		{"echo of the retransmission", true, true, (7*50*us + time.Millisecond) / 8, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, c, pr := rttConn(t, 50*us, tc.ts)
			flight(t, n, c, pr, 1)
			n.clk.Advance(c.Info().RTO)
			again := n.drain()
			if len(again) != 1 {
				t.Fatalf("%d segments at the RTO, want the one again", len(again))
			}
			if tc.echoRetx {
				pr.take(again[0])
			}
			n.clk.Advance(20 * us)
			pr.send(FlagACK, "")
			if in := c.Info(); in.RTT != tc.srtt || c.rtt.backoff != tc.backoff {
				t.Errorf("srtt %v, RTO backoff %d; want %v and %d", in.RTT, c.rtt.backoff, tc.srtt, tc.backoff)
			}
		})
	}
}

// A duplicate ACK that SACKs segments sent once samples their send
// times (Linux's sack_rtt_us), though SND.UNA stays; one without SACK
// blocks gives no sample, not even from its timestamp (RFC 7323 4.1:
// only an ACK of new data is timed).
func TestRTTFromSACK(t *testing.T) {
	n, c, pr := rttConn(t, 50*us, true)
	seg := flight(t, n, c, pr, 3)
	n.clk.Advance(20 * us)
	pr.sackAck(seg(0)) // its echo would be a 1 ms sample
	wantRTT(t, c, "after a duplicate ACK", 50*us, 25*us)
	n.clk.Advance(50 * us)
	pr.sackAck(seg(0), SACKBlock{seg(1), seg(3)})
	wantRTT(t, c, "after the SACK", (7*50*us+70*us)/8, (3*25*us+20*us)/4)
}

// A SYN-ACK sent twice is not timed (Karn): without timestamps the
// handshake gives no sample, and the RTO is the initial one.
func TestRTTHandshakeKarn(t *testing.T) {
	n := newTestNet(t, nil)
	l, err := n.p.Listen(ourPort, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pr := &peer{n: n, addr: peerPort, to: ourPort, iss: 1000, nxt: 1000, wnd: 64240}
	pr.send(FlagSYN, "")
	pr.recv(FlagSYN | FlagACK)
	n.clk.Advance(InitialRTO)
	pr.recv(FlagSYN | FlagACK) // again
	n.clk.Advance(30 * us)
	pr.send(FlagACK, "")
	c, err := l.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	if in := c.Info(); c.rtt.measured || in.RTO != InitialRTO {
		t.Errorf("rtt %v (measured %v), RTO %v; want no sample and the initial %v", in.RTT, c.rtt.measured, in.RTO, InitialRTO)
	}
}
