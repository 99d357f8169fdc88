package tcp

import (
	"bytes"
	"testing"
	"time"
)

// The sender's loss recovery, driven by a scripted peer on the fake
// clock that never advances: whatever is repaired here is repaired by
// ACKs, not by the retransmission timer. These are RFC 6675's rules, with
// RACK off: on a clock that stands still RACK marks every hole lost at
// the first SACK (rack_test.go drives it with time passing).

// rfc6675Only switches RACK off (net.ipv4.tcp_recovery=0).
func rfc6675Only(c *Config) { c.Recovery = 0 }

// drain returns every segment TCP sent and the test has not read.
func (n *testNet) drain() []Header {
	var out []Header
	for {
		select {
		case h := <-n.out:
			out = append(out, h)
		default:
			return out
		}
	}
}

// sackAck injects an ACK of ack from the peer with SACK blocks for the
// given segments' sequence ranges [segs[i], segs[j]).
func (p *peer) sackAck(ack Seq, blocks ...SACKBlock) {
	o := &Options{NumSACK: len(blocks)}
	copy(o.SACK[:], blocks)
	if p.ts {
		p.tsVal++
		o.HasTimestamp, o.TSVal, o.TSEcr = true, p.tsVal, p.tsEcr
	}
	p.n.inject(p.addr, p.to, Fields{Seq: p.nxt, Ack: ack, Flags: FlagACK, Window: p.wnd}, o, nil)
}

// sendSegments writes k full segments and reads the ten of IW10, returning
// the sequence number of segment i as seg(i).
func sendSegments(t *testing.T, n *testNet, c *Conn, k int) func(int) Seq {
	t.Helper()
	c.Write(bytes.Repeat([]byte("r"), k*1448))
	sent := n.drain()
	if len(sent) != 10 {
		t.Fatalf("%d segments in the initial window, want 10", len(sent))
	}
	base := sent[0].Seq()
	return func(i int) Seq { return base.Add(i * 1448) }
}

// seqsOf lists the sequence numbers of segments carrying data.
func seqsOf(segs []Header) []Seq {
	var out []Seq
	for _, h := range segs {
		if len(h.Payload()) > 0 {
			out = append(out, h.Seq())
		}
	}
	return out
}

// Limited transmit (RFC 3042), without SACK: the first two duplicate
// ACKs each send one new segment, the third retransmits the head.
func TestLimitedTransmit(t *testing.T) {
	n := newTestNet(t, nil)
	opts := synOptions(1)
	opts.SACKPermitted = false
	c, pr := n.accept(opts)
	seg := sendSegments(t, n, c, 20)
	pr.ack = seg(0) // segment 0 lost
	for i, want := range []Seq{seg(10), seg(11), seg(0)} {
		pr.send(FlagACK, "")
		if got := seqsOf(n.drain()); len(got) != 1 || got[0] != want {
			t.Fatalf("duplicate ACK %d: sent %v, want one segment at %d", i+1, got, uint32(want))
		}
	}
	if got := n.p.Stats.RenoRecovery.Load(); got != 1 {
		t.Errorf("RenoRecovery %d, want 1", got)
	}
	if c.Info().Recovery != "newreno" {
		t.Errorf("recovery %q, want newreno", c.Info().Recovery)
	}
}

// Two losses in one window with SACK (RFC 6675): both holes are
// retransmitted on ACKs alone, each once, and the full ACK ends
// recovery without an RTO.
func TestSACKRecoveryTwoLosses(t *testing.T) {
	n := newTestNet(t, rfc6675Only)
	c, pr := n.accept(synOptions(1))
	seg := sendSegments(t, n, c, 20)
	var sent []Header
	// segments 0 and 4 lost: 1-3 arrive, then 5-9 and what limited transmit sent
	for _, top := range []int{2, 3, 4} {
		pr.sackAck(seg(0), SACKBlock{seg(1), seg(top)})
		sent = append(sent, n.drain()...)
	}
	for top := 6; top <= 12; top++ {
		pr.sackAck(seg(0), SACKBlock{seg(5), seg(top)}, SACKBlock{seg(1), seg(4)})
		sent = append(sent, n.drain()...)
	}
	count := map[Seq]int{}
	for _, s := range seqsOf(sent) {
		count[s]++
	}
	if count[seg(0)] != 1 || count[seg(4)] != 1 {
		t.Fatalf("retransmissions of segments 0 and 4: %d and %d, want 1 each (sent %v)", count[seg(0)], count[seg(4)], seqsOf(sent))
	}
	if !c.cc.inRecovery || !c.cc.sack {
		t.Fatal("not in SACK recovery")
	}
	pr.sackAck(seg(4), SACKBlock{seg(5), seg(12)}) // the first hole filled: partial
	pr.sackAck(seg(12))                            // the second: past the recovery point
	if c.cc.inRecovery {
		t.Error("still in recovery after the full ACK")
	}
	st := &n.p.Stats
	if st.Timeouts.Load() != 0 || st.SackRecovery.Load() != 1 || st.FastRetrans.Load() != 2 {
		t.Errorf("TCPTimeouts %d, TCPSackRecovery %d, TCPFastRetrans %d; want 0, 1, 2",
			st.Timeouts.Load(), st.SackRecovery.Load(), st.FastRetrans.Load())
	}
	if c.Info().Recovery != "sack" {
		t.Errorf("recovery %q, want sack", c.Info().Recovery)
	}
}

// A lost tail with SACK: nothing past it can SACK it, so the rescue
// retransmission (RFC 6675 4 rule 4) sends it on the ACKs of recovery,
// without waiting for the RTO.
func TestSACKRescueRetransmission(t *testing.T) {
	n := newTestNet(t, rfc6675Only)
	c, pr := n.accept(synOptions(1))
	seg := sendSegments(t, n, c, 10) // all of it in flight: no new data to send
	var sent []Header
	for top := 2; top <= 9; top++ { // 0 and 9 lost
		pr.sackAck(seg(0), SACKBlock{seg(1), seg(top)})
		sent = append(sent, n.drain()...)
	}
	got := seqsOf(sent)
	if len(got) != 2 || got[0] != seg(0) || got[1] != seg(9) {
		t.Fatalf("sent %v, want segment 0 (fast retransmit) then 9 (rescue)", got)
	}
	pr.sackAck(seg(10))
	if c.cc.inRecovery || n.p.Stats.Timeouts.Load() != 0 || c.Info().SendQ != 0 {
		t.Errorf("after the last ACK: in recovery %v, TCPTimeouts %d, Send-Q %d", c.cc.inRecovery, n.p.Stats.Timeouts.Load(), c.Info().SendQ)
	}
}

// Proportional Rate Reduction (RFC 6937): with a window of 20 segments
// and one loss, ssthresh is half the flight (Reno's), so while pipe stays above
// it one segment goes for every two delivered, from the start of
// recovery, rather than nothing for half a window and then one per ACK
// (RFC 6675 alone: ACKs 12, 13, ...); once pipe is down to ssthresh,
// one per ACK.
func TestSACKRecoveryPRR(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.Wmem[1], c.CongestionControl = 1<<20, "reno"; rfc6675Only(c) })
	c, pr := n.accept(synOptions(1))
	seg := sendSegments(t, n, c, 60)
	for i := 1; i <= 10; i++ { // slow start: cwnd 10 -> 20 segments, 20 in flight (10-29)
		pr.sackAck(seg(i))
	}
	if got := len(seqsOf(n.drain())); got != 20 || c.cc.cwnd != 20*1448 {
		t.Fatalf("%d segments, cwnd %d after slow start; want 20 and 20 segments", got, c.cc.cwnd/1448)
	}
	// segment 10 lost; 11.. arrive: limited transmit sends 30 and 31, the third enters recovery
	var sentAt []int // the ACKs (by SACKed segment count) that let a new segment go
	for k := 1; k <= 18; k++ {
		pr.sackAck(seg(10), SACKBlock{seg(11), seg(11 + k)})
		for _, s := range seqsOf(n.drain()) {
			if s.GEQ(seg(30)) {
				sentAt = append(sentAt, k)
			}
		}
	}
	want := []int{1, 2, 6, 8, 10, 12, 14, 17, 18}
	if len(sentAt) != len(want) {
		t.Fatalf("new segments went on ACKs %v, want %v", sentAt, want)
	}
	for i := range want {
		if sentAt[i] != want[i] {
			t.Fatalf("new segments went on ACKs %v, want %v", sentAt, want)
		}
	}
	if n.p.Stats.FastRetrans.Load() != 1 || n.p.Stats.Timeouts.Load() != 0 {
		t.Errorf("TCPFastRetrans %d, TCPTimeouts %d; want 1, 0", n.p.Stats.FastRetrans.Load(), n.p.Stats.Timeouts.Load())
	}
}

// A lost retransmission: the head's fast retransmit is lost too. Once
// the peer SACKs data first sent after it, the head goes a third time,
// on that ACK, not on the RTO (TCPLostRetransmit).
func TestSACKRecoveryLostRetransmission(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.Wmem[1] = 1 << 20; rfc6675Only(c) })
	c, pr := n.accept(synOptions(1))
	seg := sendSegments(t, n, c, 40)
	heads := 0
	count := func() {
		for _, s := range seqsOf(n.drain()) {
			if s == seg(0) {
				heads++
			}
		}
	}
	// segment 0 lost; 1-9 and the two of limited transmit (10, 11) arrive
	for top := 2; top <= 12; top++ {
		pr.sackAck(seg(0), SACKBlock{seg(1), seg(top)})
		count()
		if heads > 1 {
			t.Fatalf("the head went again before anything sent after its retransmission was SACKed (at %d)", top)
		}
	}
	if heads != 1 || c.sndMax.LEQ(seg(12)) {
		t.Fatalf("head retransmitted %d times, SND.MAX %d: want once, and new data sent in recovery", heads, uint32(c.sndMax))
	}
	// the retransmission was lost; segment 12, sent after it, arrives
	pr.sackAck(seg(0), SACKBlock{seg(1), seg(13)})
	count()
	if heads != 2 || n.p.Stats.LostRetransmit.Load() != 1 {
		t.Fatalf("head sent %d times, TCPLostRetransmit %d after data sent later was SACKed; want 2, 1", heads, n.p.Stats.LostRetransmit.Load())
	}
	pr.sackAck(seg(0), SACKBlock{seg(1), seg(14)}) // no news about the head: not again
	count()
	if heads != 2 || n.p.Stats.Timeouts.Load() != 0 {
		t.Errorf("head sent %d times, TCPTimeouts %d; want 2, 0", heads, n.p.Stats.Timeouts.Load())
	}
}

// A loss just past the recovery point: once the ACK reaches it (SND.UNA
// = the SND.MAX of the last recovery's start, as Linux's high_seq), three
// duplicate ACKs start a new recovery. Before, the ACK had to pass it
// by a byte, and a loss of the very next segment waited for the RTO.
func TestSACKRecoveryRightAfterRecoveryPoint(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.Wmem[1] = 1 << 20; rfc6675Only(c) })
	c, pr := n.accept(synOptions(1))
	seg := sendSegments(t, n, c, 10)
	for top := 2; top <= 10; top++ { // segment 0 lost
		pr.sackAck(seg(0), SACKBlock{seg(1), seg(top)})
	}
	pr.sackAck(seg(10)) // the full ACK, exactly at the recovery point
	if c.cc.inRecovery || c.cc.recover != seg(10) {
		t.Fatalf("in recovery %v, recovery point %d; want ended at %d", c.cc.inRecovery, uint32(c.cc.recover), uint32(seg(10)))
	}
	n.drain()
	c.Write(bytes.Repeat([]byte("r"), 10*1448))
	var sent []Seq
	for top := 12; top <= 14; top++ { // segment 10 lost, 11.. arrive
		sent = append(sent, seqsOf(n.drain())...)
		pr.sackAck(seg(10), SACKBlock{seg(11), seg(top)})
	}
	sent = append(sent, seqsOf(n.drain())...)
	again := 0
	for _, s := range sent {
		if s == seg(10) {
			again++
		}
	}
	if again != 2 || n.p.Stats.SackRecovery.Load() != 2 || n.p.Stats.Timeouts.Load() != 0 {
		t.Errorf("segment 10 sent %d times, TCPSackRecovery %d, TCPTimeouts %d; want 2, 2, 0 (sent %v)",
			again, n.p.Stats.SackRecovery.Load(), n.p.Stats.Timeouts.Load(), sent)
	}
}

// A lost last segment (RFC 8985 TLP): no ACK would come to start fast
// recovery, so after the probe timeout (here its 10 ms floor: the fake
// clock measured an RTT of 0) the last segment goes again, long before
// the 200 ms RTO, and its ACK completes the transfer. Two segments are
// out when the timer is armed (segment 8 arrives, its ACK is lost):
// with one, the probe waits for a delayed ACK too and the RTO is as soon.
func TestTailLossProbe(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	seg := sendSegments(t, n, c, 10)
	pr.sackAck(seg(8)) // 0-7 acknowledged (an RTT sample); 8's ACK and 9 lost
	n.none()
	n.clk.Advance(minPTO - time.Millisecond)
	n.none()
	n.clk.Advance(time.Millisecond)
	if h := n.next(); h.Seq() != seg(9) || len(h.Payload()) != 1448 {
		t.Fatalf("at the probe timeout sent %s, want segment 9 again", h)
	}
	pr.sackAck(seg(10))
	n.clk.Advance(MinRTO)
	n.none()
	st := &n.p.Stats
	if st.LossProbes.Load() != 1 || st.Timeouts.Load() != 0 || c.Info().SendQ != 0 {
		t.Errorf("TCPLossProbes %d, TCPTimeouts %d, Send-Q %d; want 1, 0, 0", st.LossProbes.Load(), st.Timeouts.Load(), c.Info().SendQ)
	}
}
