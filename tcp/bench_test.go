package tcp

import (
	"bytes"
	"testing"
)

// BenchmarkReceiveSegments is the receive data path per full-sized
// segment: Input (checksum, demux, PAWS, window, ring), an ACK every
// second segment, and the application's Read.
func BenchmarkReceiveSegments(b *testing.B) {
	n := newTestNet(b, nil)
	c, pr := n.accept(synOptions(1))
	n.discard = true
	payload := bytes.Repeat([]byte("r"), 1448)
	buf := make([]byte, 2*1448)
	o := Options{HasTimestamp: true}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		pr.tsVal++
		o.TSVal, o.TSEcr = pr.tsVal, pr.tsEcr
		n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Ack: pr.ack, Flags: FlagACK, Window: pr.wnd}, &o, payload)
		pr.nxt = pr.nxt.Add(len(payload))
		if i%2 == 1 {
			c.Read(buf)
		}
	}
}

// BenchmarkSendSegments is the send data path per full-sized segment:
// Write into the ring, the segment cut into a packet and sent, its ACK
// taken in.
func BenchmarkSendSegments(b *testing.B) {
	n := newTestNet(b, nil)
	c, pr := n.accept(synOptions(1))
	c.SetNoDelay(true)
	n.discard = true
	payload := bytes.Repeat([]byte("s"), 1448)
	o := Options{HasTimestamp: true}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		c.Write(payload)
		pr.ack = pr.ack.Add(len(payload))
		pr.tsVal++
		o.TSVal, o.TSEcr = pr.tsVal, pr.tsEcr
		n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Ack: pr.ack, Flags: FlagACK, Window: pr.wnd}, &o, nil)
	}
}
