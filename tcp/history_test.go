package tcp

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

// lossPlay is a connection that lost segment 2 of the ten of its
// initial window, recorded: the peer ACKs 0 and 1 at 5 ms, then sends
// three duplicate ACKs SACKing 3 on (the third brings the retransmission,
// at 5 ms), then at 10 ms an ACK of all sent so far (end).
type lossPlay struct {
	n   *testNet
	c   *Conn
	seg func(int) Seq
	end Seq
}

func playLoss(t *testing.T) lossPlay {
	n := newTestNet(t, nil)
	if err := n.p.SetHistory(64); err != nil {
		t.Fatal(err)
	}
	c, pr := n.accept(synOptions(1))
	seg := sendSegments(t, n, c, 20)
	n.clk.Advance(5 * time.Millisecond)
	pr.sackAck(seg(2)) // 0 and 1 arrive; 2 is lost
	for top := 4; top <= 6; top++ {
		pr.sackAck(seg(2), SACKBlock{seg(3), seg(top)})
	}
	for _, h := range n.drain() {
		pr.take(h) // the retransmission fills the hole: the last ACK echoes its timestamp
	}
	n.clk.Advance(5 * time.Millisecond)
	end := c.sndMax
	pr.sackAck(end)
	return lossPlay{n, c, seg, end}
}

// A segment lost in a window of ten (segment 2): the history holds one
// sample per ACK processed (the handshake's and the five the peer sends),
// every ACK as received with its SACK blocks, and every data segment
// sent, exactly one of them marked as a retransmission: segment 2's.
func TestHistoryRecordsLossAndRecovery(t *testing.T) {
	play := playLoss(t)
	n, c, seg, end := play.n, play.c, play.seg, play.end
	h, ok := n.p.History(ourPort, peerPort)
	if !ok {
		t.Fatal("no history of the connection")
	}
	var rexmits []Seq
	data, acks := 0, 0
	for _, s := range h.Segments {
		switch {
		case s.Out && s.Len > 0:
			data++
			if s.Rexmit {
				rexmits = append(rexmits, s.Seq)
			}
		case !s.Out:
			acks++
			if acks >= 2 && acks <= 4 && (s.NumSACK != 1 || s.SACK[0].Left != seg(3)) {
				t.Errorf("duplicate ACK %d recorded with SACK %v, want one block from %d", acks-1, s.SACK[:s.NumSACK], uint32(seg(3)))
			}
		}
	}
	if len(rexmits) != 1 || rexmits[0] != seg(2) {
		t.Errorf("retransmissions recorded at %v, want one at %d (segment 2)", rexmits, uint32(seg(2)))
	}
	if acks != 5 || len(h.Samples) != 6 {
		t.Errorf("%d ACKs and %d samples recorded, want 5 and 6", acks, len(h.Samples))
	}
	if data < 11 {
		t.Errorf("%d data segments recorded, want the 10 of the initial window and more", data)
	}
	last := h.Samples[len(h.Samples)-1]
	if !h.Samples[4].Recovery || last.Recovery || last.Ssthresh >= 1<<29 || last.Una != end {
		t.Errorf("samples: recovery %v at the third duplicate, %v at the end; end ssthresh %d, una %d (want recovery, then not; a finite ssthresh; una %d)",
			h.Samples[4].Recovery, last.Recovery, last.Ssthresh, uint32(last.Una), uint32(end))
	}
	if h.Samples[0].At != 0 || last.At != 10*time.Millisecond {
		t.Errorf("samples from %v to %v, want 0 to 10ms", h.Samples[0].At, last.At)
	}
	if h.ISS != c.iss || !h.Live || h.MSS != 1448 {
		t.Errorf("history ISS %d live %v MSS %d, want %d true 1448", uint32(h.ISS), h.Live, h.MSS, uint32(c.iss))
	}
}

// More segments than the ring holds: the ring keeps the newest, in
// order, counts every one, and stays its size.
func TestHistoryRingKeepsTheNewest(t *testing.T) {
	n := newTestNet(t, nil)
	n.p.SetHistory(MinHistoryEntries)
	c, pr := n.accept(synOptions(1))
	const rounds = 40
	for range rounds {
		c.Write(bytes.Repeat([]byte("h"), 1448))
		pr.recv(FlagACK | FlagPSH)
		pr.sackAck(pr.ack)
	}
	h, _ := n.p.History(ourPort, peerPort)
	if h.TotalSegments != 2*rounds || len(h.Segments) != MinHistoryEntries || len(c.hist.segments.buf) != MinHistoryEntries {
		t.Fatalf("%d segments counted, %d kept in a ring of %d; want %d, %d, %d",
			h.TotalSegments, len(h.Segments), len(c.hist.segments.buf), 2*rounds, MinHistoryEntries, MinHistoryEntries)
	}
	for i, s := range h.Segments {
		if s.Out != (i%2 == 0) {
			t.Fatalf("entry %d: out %v; want the rounds' segment and ACK in turn", i, s.Out)
		}
		if i > 0 && s.Out && s.Seq != h.Segments[i-2].Seq.Add(1448) {
			t.Fatalf("entry %d at %d, want %d: not in order", i, uint32(s.Seq), uint32(h.Segments[i-2].Seq.Add(1448)))
		}
	}
	if end := h.Segments[len(h.Segments)-1]; end.Out || end.Ack != c.sndMax {
		t.Errorf("newest entry %+v, want the ACK of %d", end, uint32(c.sndMax))
	}
	if h.TotalSamples != rounds+1 || len(h.Samples) != MinHistoryEntries {
		t.Errorf("%d samples counted, %d kept; want %d, %d", h.TotalSamples, len(h.Samples), rounds+1, MinHistoryEntries)
	}
}

// The stack keeps MaxHistories histories: when live connections hold
// them all a new one is not recorded (and counted); once one closes, a
// new connection takes its slot. SetHistory takes 0 or a ring size in
// bounds.
func TestHistoriesBounded(t *testing.T) {
	p := newTestNet(t, nil).p
	if p.SetHistory(MinHistoryEntries-1) == nil || p.SetHistory(MaxHistoryEntries+1) == nil {
		t.Error("SetHistory took a ring size out of bounds")
	}
	p.SetHistory(MinHistoryEntries)
	conn := func(i int) *Conn {
		c := p.newConn(ourPort, netip.AddrPortFrom(peerAddr, uint16(40000+i)))
		c.setState(Established)
		c.startHistory()
		return c
	}
	var cs []*Conn
	for i := range MaxHistories {
		if cs = append(cs, conn(i)); cs[i].hist == nil {
			t.Fatalf("connection %d not recorded", i)
		}
	}
	if c := conn(MaxHistories); c.hist != nil {
		t.Fatal("recorded past MaxHistories live connections")
	}
	cs[3].setState(Closed)
	if c := conn(MaxHistories + 1); c.hist == nil {
		t.Fatal("not recorded after a connection closed")
	}
	hs, skipped := p.Histories()
	if len(hs) != MaxHistories || skipped != 1 {
		t.Errorf("%d histories, %d not recorded; want %d, 1", len(hs), skipped, MaxHistories)
	}
	for _, h := range hs {
		if h.Remote == cs[3].remote {
			t.Error("the closed connection's history is still kept")
		}
	}
	p.SetHistory(0)
	if c := conn(MaxHistories + 2); c.hist != nil {
		t.Error("recorded with recording off")
	}
}

// BenchmarkHistoryRecord is what recording adds per ACK processed: the
// ACK logged and a sample taken, at the time segmentArrives read anyway.
// (A segment sent adds one log entry and a clock read.)
func BenchmarkHistoryRecord(b *testing.B) {
	n := newTestNet(b, nil)
	n.p.SetHistory(DefaultHistoryEntries)
	c, _ := n.accept(synOptions(1))
	ack := make(Header, HeaderLen)
	ack.Encode(Fields{Seq: 1, Ack: 2, Flags: FlagACK, Window: 502, Src: peerAddr, Dst: ourAddr}, 0)
	o := Options{NumSACK: 1}
	b.ReportAllocs()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastRecv = time.Now()
	for b.Loop() {
		c.historyIn(ack, &o)
		c.historySample(c.lastRecv)
	}
}
