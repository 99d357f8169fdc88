package tcp

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/vnet"
)

// offloadDriver is a driver whose kernel side would finish checksums and
// cut super-frames of up to 64 KB (as a TAP with offloads).
type offloadDriver struct{ nopDriver }

func (offloadDriver) Offloads() netdev.Offloads {
	return netdev.Offloads{TxChecksum: true, TSO: true, GSOMaxSize: 65535}
}
func (offloadDriver) WriteVnetFrame([]byte) error { return nil }

// offloadMark is what the harness records of a datagram sent (pk's data
// from the IP header): the GSO piece size, 0 for an ordinary segment with
// a partial checksum, -1 for a complete checksum.
func offloadMark(pk *netdev.Packet) int {
	if pk.GSOSize() > 0 {
		return pk.GSOSize()
	}
	seg := Header(pk.Data()[ip.HeaderLen:])
	if seg.Verify(ourAddr, peerAddr) == nil {
		return -1
	}
	return 0
}

// finished is seg with its partial checksum finished, as the kernel
// would; it must then verify.
func finished(t *testing.T, seg Header) Header {
	t.Helper()
	f := Header(bytes.Clone(seg))
	if !vnet.CompleteChecksum(f, 0, offChecksum) {
		t.Fatal("checksum field outside the segment")
	}
	if err := f.Verify(ourAddr, peerAddr); err != nil {
		t.Fatalf("the partial checksum, finished, does not verify: %v", err)
	}
	return f
}

// On a device with TSO, a write of 100 KB leaves as super-segments of
// whole MSS pieces, as many as the initial window (10 MSS) allows: one
// segment of 14480 bytes marked for pieces of 1448 (the MSS with
// timestamps), its checksum partial. TCP counts ten segments out.
func TestTSOSendsSuperSegments(t *testing.T) {
	n := newTestNetOn(t, offloadDriver{}, nil)
	n.offload = make(chan int, 4096)
	c, pr := n.accept(synOptions(1))
	for len(n.offload) > 0 {
		<-n.offload // the handshake's
	}
	before := n.p.Stats.OutSegs.Load()
	if _, err := c.Write(bytes.Repeat([]byte("t"), 100<<10)); err != nil {
		t.Fatal(err)
	}
	h := pr.recv(FlagACK)
	if got, want := len(h.Payload()), 10*1448; got != want {
		t.Fatalf("first data segment carries %d bytes, want %d (the initial window, whole)", got, want)
	}
	if got := <-n.offload; got != 1448 {
		t.Errorf("GSO piece size %d, want 1448", got)
	}
	finished(t, h)
	if got := n.p.Stats.OutSegs.Load() - before; got != 10 {
		t.Errorf("OutSegs grew by %d for one super-segment of 10 pieces, want 10", got)
	}
}

// Retransmissions (the tail loss probe, then the RTO's) go one MSS at a
// time, whatever the device could cut: only the part of a super-segment
// that was lost goes again.
func TestTSORetransmitsOneMSS(t *testing.T) {
	n := newTestNetOn(t, offloadDriver{}, nil)
	c, pr := n.accept(synOptions(1))
	if _, err := c.Write(bytes.Repeat([]byte("r"), 10*1448)); err != nil {
		t.Fatal(err)
	}
	first := pr.recv(FlagACK | FlagPSH)
	if len(first.Payload()) != 10*1448 {
		t.Fatalf("first segment carries %d bytes, want one super-segment of 10 MSS", len(first.Payload()))
	}
	for headAgain := false; !headAgain; {
		n.clk.Advance(time.Second) // the probe's timer, then the RTO's
		h := n.next()
		if len(h.Payload()) > 1448 {
			t.Fatalf("a retransmission of %d bytes at %d: want at most one MSS (1448)", len(h.Payload()), uint32(h.Seq()))
		}
		headAgain = h.Seq() == first.Seq()
	}
}

// Without offloads (the test device, like a pipe) every segment is at
// most an MSS, with its checksum complete.
func TestNoTSOWithoutOffloads(t *testing.T) {
	n := newTestNet(t, nil)
	n.offload = make(chan int, 4096)
	c, pr := n.accept(synOptions(1))
	if _, err := c.Write(bytes.Repeat([]byte("p"), 100<<10)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		h := pr.recv(FlagACK)
		if len(h.Payload()) > 1448 {
			t.Fatalf("segment %d carries %d bytes on a device without TSO, want at most the MSS 1448", i, len(h.Payload()))
		}
	}
	for len(n.offload) > 0 {
		if m := <-n.offload; m != -1 {
			t.Fatalf("a segment with offload mark %d on a device without offloads, want a complete checksum", m)
		}
	}
}

// The partial checksum is the pseudo-header's sum over the whole
// segment's length, uncomplemented: what the kernel's GSO adjusts per
// piece (tcp_gso_segment) and what a checksum NIC seeds its sum with.
func TestEncodePartial(t *testing.T) {
	seg := make(Header, HeaderLen+1000)
	for i := range seg[HeaderLen:] {
		seg[HeaderLen+i] = byte(i * 7)
	}
	f := Fields{SrcPort: 1, DstPort: 2, Seq: 3, Flags: FlagACK, Window: 9, Src: ourAddr, Dst: peerAddr}
	seg.EncodePartial(f, 0)
	want := ^ip.Checksum(nil, ip.PseudoSum(ourAddr, peerAddr, ip.ProtoTCP, len(seg)))
	if got := binary.BigEndian.Uint16(seg[offChecksum:]); got != want {
		t.Errorf("partial checksum %#04x, want the pseudo-header's sum %#04x", got, want)
	}
	full := make(Header, len(seg))
	copy(full, seg)
	full.Encode(f, 0)
	if got := finished(t, seg); !bytes.Equal(got, full) {
		t.Error("the finished partial segment differs from the one Encode builds")
	}
}

// A segment of ten times the MSS we advertised, as a TAP hands over a
// super-frame the kernel joined (GRO) or never cut, is taken whole:
// acknowledged at once, read intact, and counted as ten segments in.
func TestReceiveSuperSegment(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	n.mark = func(pk *netdev.Packet) {
		pk.SetChecksumPartial(offChecksum) // marks where the segment starts, which GSOSegments counts from
		pk.SetGSO(1448, HeaderLen+tsOptLen)
	}
	before := n.p.Stats.InSegs.Load()
	data := bytes.Repeat([]byte("0123456789abcdef"), 10*1448/16)
	pr.send(FlagACK|FlagPSH, string(data))
	if got := n.p.Stats.InSegs.Load() - before; got != 10 {
		t.Errorf("InSegs grew by %d for a super-segment of 10 pieces, want 10", got)
	}
	pr.recv(FlagACK) // two full-sized segments' worth: acknowledged at once
	got := make([]byte, len(data))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %v, data intact %v", err, bytes.Equal(got, data))
	}
}

// A super-segment gets one send record per MSS piece, the segments the
// device cuts, so RACK marks and resends a lost piece alone: with the
// first piece lost and the other nine SACKed, RACK resends that piece,
// one MSS, and nothing else waits to go again (a tail loss probe of the
// last piece may go too).
func TestTSORecordsPerPiece(t *testing.T) {
	n := newTestNetOn(t, offloadDriver{}, nil)
	c, pr := n.accept(synOptions(1))
	if _, err := c.Write(bytes.Repeat([]byte("p"), 10*1448)); err != nil {
		t.Fatal(err)
	}
	first := pr.recv(FlagACK | FlagPSH)
	if len(first.Payload()) != 10*1448 {
		t.Fatalf("first segment carries %d bytes, want one super-segment of 10 MSS", len(first.Payload()))
	}
	c.mu.Lock()
	records := c.recs.n
	for i := range c.recs.n {
		if r := c.recs.at(i); r.end.Sub(r.start) != 1448 {
			t.Errorf("record %d covers %d bytes, want one MSS", i, r.end.Sub(r.start))
		}
	}
	c.mu.Unlock()
	if records != 10 {
		t.Fatalf("%d send records for a super-segment of 10 pieces, want 10", records)
	}
	head := first.Seq()
	pr.sackAck(head, SACKBlock{head.Add(1448), head.Add(10 * 1448)})
	headAgain, others := false, 0
	for i := 0; !headAgain && i < 50; i++ { // RACK's reorder timer, if it waits
		for _, h := range n.drain() {
			if len(h.Payload()) > 1448 {
				t.Fatalf("resent %d bytes at %d: want one MSS piece", len(h.Payload()), uint32(h.Seq()))
			}
			if h.Seq() == head {
				headAgain = true
			} else {
				others++
			}
		}
		n.clk.Advance(time.Millisecond)
	}
	if !headAgain || others > 1 { // at most a tail loss probe besides
		t.Fatalf("lost piece resent: %v; %d other segments sent, want at most a probe", headAgain, others)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.recs.lost != 0 {
		t.Errorf("%d records still wait to be resent, want 0", c.recs.lost)
	}
}

// full is a smallTSODriver super-frame's data: 10 MSS of 1448.
const full = 10 * 1448

// tailTestConn is an accepted connection on a smallTSODriver whose
// congestion window holds four super-frames.
func tailTestConn(t *testing.T) (*testNet, *Conn, *peer) {
	n := newTestNetOn(t, smallTSODriver{}, nil)
	c, pr := n.accept(synOptions(1))
	c.mu.Lock()
	c.cc.cwnd = 4 * full
	c.mu.Unlock()
	return n, c, pr
}

// smallTSODriver cuts super-frames of up to 10 MSS (1448 with
// timestamps), so a test needs only a small window to fill several.
type smallTSODriver struct{ offloadDriver }

func (smallTSODriver) Offloads() netdev.Offloads {
	return netdev.Offloads{TxChecksum: true, TSO: true, GSOMaxSize: ip.HeaderLen + HeaderLen + tsOptLen + 10*1448}
}

// A super-frame's tail shorter than a full one waits, with a full one in
// flight, for the application's next write or the next ACK (Nagle's
// rule carried to TSO, holdTail); TCP_NODELAY and a FIN send it at once.
func TestTSOTailWaits(t *testing.T) {
	n, c, pr := tailTestConn(t)
	payload := func(h Header) int { return len(h.Payload()) }

	c.Write(make([]byte, 2*full+2000))
	for i := 0; i < 2; i++ {
		if h := pr.recv(FlagACK); payload(h) != full {
			t.Fatalf("segment %d carries %d bytes, want a full super-frame of %d", i, payload(h), full)
		}
	}
	n.none() // the 2000-byte tail waits
	c.Write(make([]byte, full-2000))
	if h := pr.recv(FlagACK | FlagPSH); payload(h) != full {
		t.Fatalf("the tail and the next write left as %d bytes, want one full super-frame of %d", payload(h), full)
	}

	c.Write(make([]byte, 3000))
	n.none()
	pr.send(FlagACK, "") // everything acknowledged: nothing in flight
	if h := pr.recv(FlagACK | FlagPSH); payload(h) != 3000 {
		t.Fatalf("after the ACK the tail left as %d bytes, want 3000", payload(h))
	}

	c.Write(make([]byte, 2*full))
	pr.recv(FlagACK)
	pr.recv(FlagACK | FlagPSH)
	c.SetNoDelay(true)
	c.Write(make([]byte, 3000))
	if h := pr.recv(FlagACK | FlagPSH); payload(h) != 3000 {
		t.Fatalf("with TCP_NODELAY the tail left as %d bytes, want 3000 at once", payload(h))
	}
	c.SetNoDelay(false)
	c.Write(make([]byte, 3000))
	n.none()
	c.CloseWrite()
	if h := pr.recv(FlagACK | FlagPSH | FlagFIN); payload(h) != 3000 {
		t.Fatalf("the FIN went with %d bytes, want the 3000 held", payload(h))
	}
}

// A tail held for the next ACK goes as a tail loss probe's new data
// when that ACK does not come (RFC 8985 7.3), not the last segment again.
func TestTSOTailGoesAsLossProbe(t *testing.T) {
	n, c, pr := tailTestConn(t)
	c.Write(make([]byte, 2*full+2000))
	pr.recv(FlagACK)
	last := pr.recv(FlagACK)
	n.none()
	for i := 0; i < 100 && len(n.out) == 0; i++ {
		n.clk.Advance(5 * time.Millisecond)
	}
	h := n.next()
	if h.Seq() != last.Seq().Add(full) || len(h.Payload()) != 2000 {
		t.Fatalf("the probe is %s, want the held 2000 bytes at %d", h, uint32(last.Seq().Add(full)))
	}
	if got := n.p.Stats.LossProbes.Load(); got != 1 {
		t.Errorf("TcpExtTCPLossProbes %d, want 1", got)
	}
}
