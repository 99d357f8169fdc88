package tcp

import (
	"testing"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// Without timestamps, whether an ACK answers a retransmission or its
// original is known only by time (RFC 8985 6.2 step 2): an ACK that comes
// less than min_RTT after the retransmission went cannot be for it. A
// user-space stack reads the ACK late when it was busy: the ACK for the
// original, queued on the device as the retransmission left, read 10 ms
// (min_RTT) later, looks like the retransmission's. Taken, it moves
// RACK.xmit_ts to the retransmission's send time, and every segment sent
// more than reo_wnd before it is lost at once: here the eight of a second
// flight, whose ACKs wait in the queue behind. Each is then resent for
// nothing (the kernel-peer test without timestamps resent hundreds).
//
// The scenario: segment 0 of a flight of eight is held back; a second
// flight of eight goes 5 ms later; the SACK of 1-7 makes 0 lost (reo_wnd
// 0: DupThresh SACKed, no reordering seen) and it goes again; then the
// stack stalls 10 ms and reads the ACK of 0's original. The device can
// say when it last had no frame ready (netdev's Packet.ArrivedAfter):
//   - unknown (a driver that cannot tell): the ACK is dated when read, as
//     Linux dates it when its softirq runs, and taken: the mechanism;
//   - the device empty at min_RTT after the retransmission: the ACK came
//     a round trip after it and may be its own; taken, the second flight
//     is lost as RACK says;
//   - the device empty just before the retransmission: the ACK may have
//     waited there all along; it is ambiguous and ignored, nothing more
//     is lost, and the second flight's ACKs deliver it.
func TestRACKRetransmissionAckReadLate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		known     bool          // the device can tell when it had no frame ready
		emptyAt   time.Duration // then: since the retransmission
		lost      int           // records marked lost by the late ACK
		resentAll uint64        // RetransSegs once the second flight is ACKed
	}{
		{"arrival unknown", false, 0, 8, 9},
		{"device empty a min_RTT after", true, rackRTT, 8, 9},
		{"device empty before", true, -time.Millisecond, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, c, pr := rackConn(t, func(cfg *Config) { cfg.Timestamps = false })
			if c.tsOK {
				t.Fatal("timestamps negotiated with tcp_timestamps=0")
			}
			seg := flight(t, n, c, pr, 8)
			n.clk.Advance(5 * time.Millisecond)
			flight(t, n, c, pr, 8)
			n.clk.Advance(5 * time.Millisecond)
			pr.sackAck(seg(0), SACKBlock{seg(1), seg(8)})
			if got := seqsOf(n.drain()); len(got) != 1 || got[0] != seg(0) {
				t.Fatalf("on the SACK of 1-7: sent %v, want segment 0 again", got)
			}
			rtxAt := n.clk.Now()
			if tc.known {
				at := rtxAt.Add(tc.emptyAt)
				n.mark = func(pk *netdev.Packet) { pk.ArrivedAfter = at }
			}
			n.clk.Advance(rackRTT) // the stack stalls a min_RTT
			pr.sackAck(seg(8))     // the original's ACK, read now
			if got := c.recs.lost + int(n.p.Stats.RetransSegs.Load()) - 1; got != tc.lost {
				t.Errorf("the late ACK of the original marked %d records lost, want %d", got, tc.lost)
			}
			n.mark = nil
			for k := 9; k <= 16; k++ { // the second flight's ACKs, queued behind
				pr.sackAck(seg(k))
			}
			pr.sackAck(seg(16), SACKBlock{seg(0), seg(1)}) // D-SACK: 0 arrived twice
			n.clk.Advance(time.Second)
			n.drain()
			if got := n.p.Stats.RetransSegs.Load(); got != tc.resentAll {
				t.Errorf("RetransSegs %d, want %d", got, tc.resentAll)
			}
		})
	}
}
