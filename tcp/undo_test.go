package tcp

import (
	"bytes"
	"testing"
)

// An RTO that fires while the ACKs of the window wait unread (the
// process stalled): the first ACK after it echoes the original's
// timestamp, so the window comes back and sending goes on from SND.MAX
// with new data, instead of resending from SND.UNA what the peer holds.
// An ACK echoing the retransmission's timestamp leaves the RTO's work.
func TestSpuriousRTOUndone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spurious bool // the ACK echoes the original transmission
	}{
		{"ACK of the original", true},
		{"ACK of the retransmission", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t, nil)
			c, pr := n.accept(synOptions(1))
			c.Write(bytes.Repeat([]byte("u"), 30*1448))
			sent := n.drain()
			if len(sent) != 10 {
				t.Fatalf("%d segments in the initial window, want 10", len(sent))
			}
			seg := func(i int) Seq { return sent[0].Seq().Add(i * 1448) }
			n.clk.Advance(MinRTO) // the RTO, while the peer's ACKs wait unread
			rtx := n.drain()
			if len(rtx) != 1 || rtx[0].Seq() != seg(0) {
				t.Fatalf("after the RTO %d segments, want the head once", len(rtx))
			}
			echoed := sent[4] // the peer's ACK of the first five, queued before the RTO
			if !tc.spurious {
				echoed = rtx[0] // or answering the retransmission
			}
			pr.take(echoed)
			pr.ack = seg(5)
			pr.send(FlagACK, "")
			after := seqsOf(n.drain())
			want := uint64(0)
			if tc.spurious {
				want = 1
			}
			if got := n.p.Stats.SpuriousRTOs.Load(); got != want {
				t.Errorf("TcpExtTCPSpuriousRTOs %d, want %d", got, want)
			}
			c.mu.Lock()
			waiting := c.recs.lost
			c.mu.Unlock()
			if tc.spurious && waiting != 0 {
				t.Errorf("%d send records still marked lost after the undo, want 0 (RACK would resend them)", waiting)
			}
			if len(after) == 0 {
				t.Fatal("nothing sent after the ACK")
			}
			switch {
			case tc.spurious && (len(after) < 5 || after[0] != seg(10)):
				t.Errorf("after the ACK %d segments from %d, want at least 5 from SND.MAX %d (new data, cwnd back)",
					len(after), uint32(after[0]), uint32(seg(10)))
			case !tc.spurious && (after[0] != seg(5) || c.cc.cwnd > 3*1448):
				t.Errorf("after the ACK %d segments from %d, cwnd %d; want the next from SND.UNA %d, cwnd at most 3 segments (1 and slow start),",
					len(after), uint32(after[0]), c.cc.cwnd, uint32(seg(5)))
			}
		})
	}
}
