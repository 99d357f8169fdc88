package tcp

import (
	"bytes"
	"testing"
)

// The steady-state data path allocates nothing: two full-sized segments
// in (checksum, demux, PAWS, window, buffer, the receiver's RTT, an ACK
// out with timestamps at the end of the batch), read by the application
// (autotuning's measure); a segment written, sent, and acknowledged.
// Recording the connection's history (history.go) allocates nothing either.
func TestDataPathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under the race detector")
	}
	t.Run("default", func(t *testing.T) { dataPathAllocs(t, 0) })
	t.Run("recording", func(t *testing.T) { dataPathAllocs(t, DefaultHistoryEntries) })
}

func dataPathAllocs(t *testing.T, history int) {
	n := newTestNet(t, nil)
	n.p.SetHistory(history)
	n.p.SetBatchACKs(true) // as the stack runs it: the ACK at the batch's end
	c, pr := n.accept(synOptions(1))
	n.discard = true
	payload := bytes.Repeat([]byte("z"), 1448)
	buf := make([]byte, 4096)
	o := Options{HasTimestamp: true}
	in := func() {
		pr.tsVal++
		o.TSVal, o.TSEcr = pr.tsVal, pr.tsEcr
		n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Ack: pr.ack, Flags: FlagACK, Window: pr.wnd}, &o, payload)
		pr.nxt = pr.nxt.Add(len(payload))
	}
	round := func() {
		in()
		in()
		n.p.BatchEnd()
		for got := 0; got < 2*len(payload); {
			k, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got += k
		}
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
		pr.ack = pr.ack.Add(len(payload))
		n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Ack: pr.ack, Flags: FlagACK, Window: pr.wnd}, &o, nil)
	}
	round() // warm the pools and timers
	if allocs := testing.AllocsPerRun(200, round); allocs != 0 {
		t.Errorf("%.1f allocations per round trip of segments, want 0", allocs)
	}
	if c.State() != Established || c.snd.len() != 0 {
		t.Fatalf("after the rounds: %s with %d bytes unacknowledged", c.State(), c.snd.len())
	}
}
