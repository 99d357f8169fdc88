package tcp

import (
	"strings"
	"testing"
)

var fullSegment = strings.Repeat("b", 1448) // an MSS of 1460 less the timestamps

// acks drains what TCP sent and counts the ACKs without data.
func (n *testNet) acks() (count int, last Header) {
	for {
		select {
		case h := <-n.out:
			if len(h.Payload()) == 0 && h.Flags() == FlagACK {
				count++
				last = h
			}
		default:
			return count, last
		}
	}
}

// N in-order segments in one batch cost one ACK, sent when the batch
// ends and acknowledging them all; without batches, one per two.
func TestBatchOfSegmentsOneACK(t *testing.T) {
	for _, tt := range []struct {
		name     string
		batches  bool
		segments int
		want     int
	}{
		{"batches", true, 10, 1},
		{"batches, one segment", true, 1, 0}, // delayed, as without batches (RFC 5681 4.2)
		{"no batches", false, 10, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := newTestNet(t, nil)
			n.p.SetBatchACKs(tt.batches)
			_, pr := n.accept(synOptions(1))
			for range tt.segments {
				pr.send(FlagACK|FlagPSH, fullSegment)
			}
			if tt.batches {
				n.none() // nothing before the batch ends
			}
			n.p.BatchEnd()
			got, last := n.acks()
			if got != tt.want {
				t.Fatalf("%d ACKs for %d segments, want %d", got, tt.segments, tt.want)
			}
			if got > 0 && last.Ack() != pr.nxt {
				t.Errorf("the last ACK acknowledges %d, want %d (all of it)", uint32(last.Ack()), uint32(pr.nxt))
			}
			n.p.BatchEnd() // a second end with nothing received sends nothing
			n.none()
		})
	}
}

// What RFC 5681 4.2 wants at once does not wait for the batch's end:
// out-of-order data (a duplicate ACK with SACK) and a FIN.
func TestBatchImmediateACKs(t *testing.T) {
	n := newTestNet(t, nil)
	n.p.SetBatchACKs(true)
	_, pr := n.accept(synOptions(1))
	pr.send(FlagACK, fullSegment)
	pr.send(FlagACK, fullSegment)
	n.none()
	inOrder := pr.nxt
	pr.nxt = pr.nxt.Add(len(fullSegment)) // a segment lost
	pr.send(FlagACK, fullSegment)
	h := n.expect(FlagACK, 0, inOrder)
	var o Options
	if err := o.Parse(h.RawOptions()); err != nil || o.NumSACK != 1 || o.SACK[0].Right != pr.nxt {
		t.Errorf("the ACK for out-of-order data: %s, want a SACK block ending at %d", h, uint32(pr.nxt))
	}
	n.p.BatchEnd()
	n.none() // the immediate ACK covered the batch

	n2 := newTestNet(t, nil)
	n2.p.SetBatchACKs(true)
	_, pr2 := n2.accept(synOptions(1))
	pr2.send(FlagACK, fullSegment)
	pr2.send(FlagACK|FlagFIN, fullSegment)
	pr2.recv(FlagACK) // the FIN's ACK, before any batch end
}

// A full list of waiting connections does not hold an ACK back: the
// connection past the bound is acknowledged at once.
func TestBatchListBound(t *testing.T) {
	n := newTestNet(t, nil)
	n.p.SetBatchACKs(true)
	_, pr := n.accept(synOptions(1))
	for range maxBatchConns {
		if !n.p.newConn(ourPort, peerPort).deferAck() {
			t.Fatal("the batch's list refused a connection before it was full")
		}
	}
	pr.send(FlagACK, fullSegment)
	pr.send(FlagACK, fullSegment)
	pr.recv(FlagACK)
	n.p.BatchEnd() // the placeholders are CLOSED: nothing for them
	n.none()
}

// A batch that never ends (no BatchEnd) still gets its ACK from the
// delayed-ACK timer.
func TestBatchFallsBackToDelayedACK(t *testing.T) {
	n := newTestNet(t, nil)
	n.p.SetBatchACKs(true)
	_, pr := n.accept(synOptions(1))
	pr.send(FlagACK, fullSegment)
	pr.send(FlagACK, fullSegment)
	n.none()
	n.clk.Advance(DelayedACK)
	pr.recv(FlagACK)
}
