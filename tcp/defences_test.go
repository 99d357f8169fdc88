package tcp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/ip"
)

// RFC 5961: a RST or SYN in the window but not at RCV.NXT gets a
// challenge ACK and changes nothing; a RST outside the window is dropped
// silently; a RST exactly at RCV.NXT resets.
func TestChallengeACKs(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	rcvNxt := pr.nxt
	pr.nxt = rcvNxt.Add(100)
	pr.send(FlagRST, "")
	n.expect(FlagACK, 0, rcvNxt)
	pr.nxt = rcvNxt.Add(50)
	pr.send(FlagSYN, "")
	n.expect(FlagACK, 0, rcvNxt)
	pr.nxt = rcvNxt.Add(1 << 30) // far outside the window
	pr.send(FlagRST, "")
	n.none()
	wantState(t, c, Established)
	if got := n.p.Stats.ChallengeACKs.Load(); got != 2 {
		t.Errorf("ChallengeACKs %d, want 2", got)
	}
	pr.nxt = rcvNxt
	pr.send(FlagRST, "")
	wantState(t, c, Closed)
}

// Challenge ACKs are rate-limited per second.
func TestChallengeACKRateLimit(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.ChallengeACKLimit = 2 })
	_, pr := n.accept(nil)
	rcvNxt := pr.nxt
	for range 5 {
		pr.nxt = rcvNxt.Add(10)
		pr.send(FlagRST, "")
	}
	n.expect(FlagACK, 0, rcvNxt)
	n.expect(FlagACK, 0, rcvNxt)
	n.none()
}

// An ACK of data never sent is answered with an ACK and dropped (RFC
// 5961 5.2); so is a segment outside the window.
func TestBadACKAndOutOfWindow(t *testing.T) {
	n := newTestNet(t, nil)
	_, pr := n.accept(nil)
	good := pr.ack
	pr.ack = good.Add(5000)
	pr.send(FlagACK, "bogus")
	n.expect(FlagACK, 0, pr.nxt.Add(-5))
	if got := n.p.Stats.BadACK.Load(); got != 1 {
		t.Errorf("BadACK %d", got)
	}
	pr.ack, pr.nxt = good, pr.nxt.Add(1<<24) // beyond the window
	pr.send(FlagACK, "far")
	n.expect(FlagACK, 0, 0)
	if got := n.p.Stats.OutOfWindow.Load(); got != 1 {
		t.Errorf("OutOfWindow %d", got)
	}
}

// Out-of-order data is kept, SACKed at once, and delivered in order when
// the hole fills; duplicates and overlaps are trimmed.
func TestOutOfOrderSACKAndTrim(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	start := pr.nxt
	pr.nxt = start.Add(5)
	pr.send(FlagACK, "fghij")
	h := n.expect(FlagACK, 0, start)
	var o Options
	o.Parse(h.RawOptions())
	if o.NumSACK != 1 || o.SACK[0] != (SACKBlock{start.Add(5), start.Add(10)}) {
		t.Errorf("SACK blocks %s, want one for bytes 5-10", o.String())
	}
	pr.nxt = start.Add(12)
	pr.send(FlagACK, "mn")
	n.expect(FlagACK, 0, start)
	pr.nxt = start
	pr.send(FlagACK, "abcdefg") // fills the hole and overlaps the kept range
	n.expect(FlagACK, 0, start.Add(10))
	pr.nxt = start.Add(8)
	pr.send(FlagACK, "ijkl") // 2 old bytes, then the next hole
	n.expect(FlagACK, 0, start.Add(14))
	buf := make([]byte, 32)
	k, _ := c.Read(buf)
	if string(buf[:k]) != "abcdefghijklmn" {
		t.Errorf("read %q", buf[:k])
	}
	if got := n.p.Stats.OFOQueue.Load(); got != 2 {
		t.Errorf("OFOQueue %d", got)
	}
}

// PAWS (RFC 7323 5): an old timestamp is dropped and answered with an
// ACK; a segment without timestamps is accepted as Linux does.
func TestPAWSAndSegmentsWithoutTimestamps(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1000))
	pr.tsVal = 500 // older than what we saw
	pr.send(FlagACK|FlagPSH, "old")
	n.expect(FlagACK, 0, pr.nxt.Add(-3))
	if got := n.p.Stats.PAWSEstab.Load(); got != 1 {
		t.Errorf("PAWSEstab %d", got)
	}
	pr.nxt = pr.nxt.Add(-3)
	pr.ts = false
	pr.send(FlagACK|FlagPSH, "new")
	n.clk.Advance(DelayedACK)
	pr.recv(FlagACK)
	buf := make([]byte, 8)
	if k, _ := c.Read(buf); string(buf[:k]) != "new" {
		t.Errorf("read %q", buf[:k])
	}
}

// Without SACK, three duplicate ACKs: the missing segment goes again at
// once; a partial ACK sends the next hole (NewReno); the full ACK ends
// recovery.
func TestFastRetransmitNewReno(t *testing.T) {
	n := newTestNet(t, nil)
	opts := synOptions(1)
	opts.SACKPermitted = false
	c, pr := n.accept(opts)
	c.Write(bytes.Repeat([]byte("x"), 10*1448))
	var segs []Header
	for i := range 10 { // IW10
		flags := FlagACK
		if i == 9 {
			flags |= FlagPSH // the end of what was written
		}
		segs = append(segs, n.expect(flags, 0, 0))
	}
	pr.ack = segs[1].Seq() // segment 0 arrived, 1 was lost
	pr.send(FlagACK, "")
	for range 3 { // 2..4 arrived
		pr.send(FlagACK, "")
	}
	n.expect(FlagACK, segs[1].Seq(), 0)
	if got := n.p.Stats.FastRetrans.Load(); got != 1 {
		t.Errorf("FastRetrans %d", got)
	}
	pr.ack = segs[5].Seq() // partial: 5 was lost too
	pr.send(FlagACK, "")

	n.expect(FlagACK, segs[5].Seq(), 0)
	pr.ack = segs[9].Seq().Add(1448)
	pr.send(FlagACK, "")
	if c.cc.inRecovery {
		t.Error("still in recovery after the full ACK")
	}
}

// ICMP port unreachable about our SYN refuses the connect; one quoting
// a sequence number we never sent is ignored (RFC 5927).
func TestICMPErrorsInSynSent(t *testing.T) {
	n := newTestNet(t, nil)
	res := n.dial(peerPort)
	syn := n.expect(FlagSYN, 0, 0)
	quote := func(seq Seq) (ip.Header, []byte) {
		q := make(ip.Header, ip.HeaderLen)
		q.Encode(ip.Fields{TotalLen: 40, TTL: 64, Protocol: ip.ProtoTCP, Src: ourAddr, Dst: peerAddr})
		tr := make([]byte, 8)
		binary.BigEndian.PutUint16(tr, syn.SrcPort())
		binary.BigEndian.PutUint16(tr[2:], syn.DstPort())
		binary.BigEndian.PutUint32(tr[4:], uint32(seq))
		return q, tr
	}
	q, tr := quote(syn.Seq().Add(1000))
	n.p.HandleError(peerAddr, ip.PortUnreachable, 0, q, tr)
	if got := n.p.Stats.ICMPIgnored.Load(); got != 1 {
		t.Errorf("ICMPIgnored %d after a blind error", got)
	}
	q, tr = quote(syn.Seq())
	n.p.HandleError(peerAddr, ip.HostUnreachable, 0, q, tr)
	if r := <-res; !errors.Is(r.err, syscall.EHOSTUNREACH) {
		t.Fatalf("dial: %v, want EHOSTUNREACH", r.err)
	}
}

// Fragmentation needed shrinks the MSS, and the segment goes again in
// pieces that fit.
func TestFragNeededShrinksMSS(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	c.Write(bytes.Repeat([]byte("y"), 1448))
	h := pr.recv(FlagACK | FlagPSH)
	q := make(ip.Header, ip.HeaderLen)
	q.Encode(ip.Fields{TotalLen: 1500, TTL: 64, Protocol: ip.ProtoTCP, Src: ourAddr, Dst: peerAddr})
	n.p.HandleError(peerAddr, ip.FragNeeded, 1000, q, h[:8])
	if got := c.Info().MSS; got != 1000-40-12 {
		t.Errorf("MSS %d after a 1000-byte MTU, want 948", got)
	}
	again := n.expect(FlagACK, h.Seq(), 0)
	if len(again.Payload()) != 948 {
		t.Errorf("resent %d bytes, want 948", len(again.Payload()))
	}
}

// The stack's bounds: connections in the table, bytes of buffer.
func TestConnectionAndBufferBounds(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.MaxConns = 3; c.Syncookies = 0 })
	n.p.Listen(ourPort, 16)
	for i := range 5 {
		n.inject(netip.AddrPortFrom(peerAddr, uint16(2000+i)), ourPort, Fields{Seq: 1, Flags: FlagSYN, Window: 65535}, nil, nil)
	}
	if got := len(n.p.Connections()); got != 1+3 {
		t.Errorf("%d rows, want the listener and 3 connections", got)
	}
	if got := n.p.Stats.NoBuffers.Load(); got != 2 {
		t.Errorf("NoBuffers %d, want 2", got)
	}
	m := newTestNet(t, func(c *Config) { c.MaxBuffered = c.Rmem[1] + c.Wmem[1] }) // room for one
	m.dial(peerPort)
	m.expect(FlagSYN, 0, 0)
	r := <-m.dial(netip.MustParseAddrPort("10.0.0.2:81"))
	if !errors.Is(r.err, syscall.ENOBUFS) {
		t.Errorf("second dial: %v, want ENOBUFS", r.err)
	}
}

// RFC 6528: the ISN of a tuple moves with a 4 µs clock; other tuples
// start elsewhere.
func TestISNClockAndKey(t *testing.T) {
	n := newTestNet(t, nil)
	a := n.p.isn(ourPort, peerPort)
	n.clk.Advance(4 * time.Millisecond)
	if d := n.p.isn(ourPort, peerPort).Sub(a); d != 1000 {
		t.Errorf("ISN moved %d in 4 ms, want 1000", d)
	}
	other := netip.MustParseAddrPort("10.0.0.2:40001")
	if d := n.p.isn(ourPort, other).Sub(a); d > -1<<12 && d < 1<<12 {
		t.Errorf("another port's ISN only %d away: not keyed", d)
	}
}

// The peer's SACK blocks (RFC 2018): after an RTO the holes go again and
// what the peer holds does not.
func TestRetransmissionSkipsSACKedData(t *testing.T) {
	n := newTestNet(t, rfc6675Only) // the RTO's part: RACK would repair it first
	c, pr := n.accept(synOptions(1))
	c.Write(bytes.Repeat([]byte("s"), 4*1448))
	var segs []Header
	for range 4 {
		segs = append(segs, n.next())
	}
	end := segs[3].Seq().Add(1448)
	pr.tsVal++
	n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Ack: segs[0].Seq(), Flags: FlagACK, Window: pr.wnd},
		&Options{HasTimestamp: true, TSVal: pr.tsVal, NumSACK: 1, SACK: [MaxSACKBlocks]SACKBlock{{segs[2].Seq(), end}}}, nil)
	n.clk.Advance(MinRTO)
	pr.take(n.expect(FlagACK, segs[0].Seq(), 0)) // the ACK echoes the retransmission: not spurious
	pr.ack = segs[1].Seq()
	pr.send(FlagACK, "")
	if h := n.expect(FlagACK, segs[1].Seq(), 0); len(h.Payload()) != 1448 {
		t.Fatalf("resent %d bytes of the second segment", len(h.Payload()))
	}
	n.none() // segments 2 and 3 are held by the peer
	pr.ack = end
	pr.send(FlagACK, "")
	if c.Info().SendQ != 0 {
		t.Errorf("Send-Q %d after the last ACK", c.Info().SendQ)
	}
}
