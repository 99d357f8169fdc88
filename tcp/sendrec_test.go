package tcp

import (
	"bytes"
	"testing"
)

// The ring keeps sequence order across wrap-around and growth.
func TestSendRecordsRing(t *testing.T) {
	s := sendRecords{r: make([]sendRecord, 2)}
	add := func(start Seq) {
		if !s.push(sendRecord{start: start, end: start.Add(10)}) {
			t.Fatalf("push %d refused below the bound", start)
		}
	}
	add(0)
	add(10)
	s.popFront()
	add(20) // wraps
	add(30) // grows
	if len(s.r) != 16 || s.n != 3 {
		t.Fatalf("ring of %d holding %d, want 16 holding 3", len(s.r), s.n)
	}
	for i, want := range []Seq{10, 20, 30} {
		if got := s.at(i).start; got != want {
			t.Errorf("record %d starts at %d, want %d", i, got, want)
		}
	}
	if s.find(25) != 1 || s.find(40) != 3 || s.find(0) != 0 {
		t.Errorf("find(25, 40, 0) = %d, %d, %d; want 1, 3, 0", s.find(25), s.find(40), s.find(0))
	}
}

// At maxSendRecords a new segment is merged into the last record and
// counted (TcpExtTCPSendRecMerged); the ACK of it forgets them all.
func TestSendRecordsMergeAtBound(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	c.mu.Lock()
	una := c.sndUna
	c.recs.r = make([]sendRecord, maxSendRecords)
	for i := range c.recs.r { // a full ring of empty records at SND.UNA
		c.recs.r[i] = sendRecord{start: una, end: una}
	}
	c.recs.head, c.recs.n = 0, maxSendRecords
	c.mu.Unlock()
	c.Write(bytes.Repeat([]byte("m"), 1448))
	n.drain()
	if last := c.recs.last(); c.recs.n != maxSendRecords || last.end != una.Add(1448) || n.p.Stats.SendRecMerged.Load() != 1 {
		t.Fatalf("%d records, the last ending at %d, TcpExtTCPSendRecMerged %d; want %d, %d, 1",
			c.recs.n, uint32(last.end), n.p.Stats.SendRecMerged.Load(), maxSendRecords, uint32(una.Add(1448)))
	}
	pr.sackAck(una.Add(1448))
	if c.recs.n != 0 {
		t.Errorf("%d records left after the ACK of everything sent", c.recs.n)
	}
}
