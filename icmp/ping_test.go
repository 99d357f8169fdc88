package icmp

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

var routerIP = netip.MustParseAddr("192.0.2.1")

// quote returns an ICMP error of type/code from the router about an echo
// request (id, seq) we sent to dst, quoting its IP header and the first 8
// bytes of the ICMP message, as RFC 792 prescribes. mtu fills the
// next-hop MTU field.
func quote(typ, code uint8, mtu uint16, dst netip.Addr, id, seq uint16) []byte {
	req := echo(TypeEchoRequest, id, seq, 56)
	q := make([]byte, ip.HeaderLen+HeaderLen)
	ip.Header(q[:ip.HeaderLen]).Encode(ip.Fields{TotalLen: ip.HeaderLen + len(req), ID: 3, TTL: 1, Protocol: ip.ProtoICMP, Src: ourIP, Dst: dst})
	copy(q[ip.HeaderLen:], req[:HeaderLen])
	m := make([]byte, HeaderLen, HeaderLen+len(q))
	m[0], m[1] = typ, code
	binary.BigEndian.PutUint16(m[6:], mtu)
	m = append(m, q...)
	Header(m).SetChecksum()
	return m
}

// nextReply returns the next event for pg, or fails if none is waiting.
func nextReply(t *testing.T, pg *Pinger) Reply {
	t.Helper()
	select {
	case r := <-pg.Replies():
		return r
	default:
		t.Fatal("no reply delivered")
	}
	return Reply{}
}

func noReply(t *testing.T, pg *Pinger) {
	t.Helper()
	select {
	case r := <-pg.Replies():
		t.Fatalf("delivered %+v, want nothing", r)
	default:
	}
}

func TestPingSend(t *testing.T) {
	h := newHost(t)
	pg, err := h.icmp.NewPinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	before := time.Now()
	if err := pg.Send(peerIP, 3, SendOptions{Size: 56, TTL: 9, DF: true}); err != nil {
		t.Fatal(err)
	}
	got := h.sent()
	if len(got) != 1 {
		t.Fatalf("sent %d datagrams, want 1", len(got))
	}
	d := got[0]
	if d.ip.Src() != ourIP || d.ip.Dst() != peerIP || d.ip.TTL() != 9 || !d.ip.DF() || d.ip.Protocol() != ip.ProtoICMP || d.ip.TotalLen() != 84 {
		t.Errorf("sent %v, want IP %v > %v ICMP ttl 9 len 84 DF", d.ip, ourIP, peerIP)
	}
	if d.msg.Type() != TypeEchoRequest || d.msg.ID() != pg.ID() || d.msg.Seq() != 3 || len(d.msg.Payload()) != 56 {
		t.Errorf("sent %v, want echo request id %d seq 3 with 56 data bytes", d.msg, pg.ID())
	}
	// iputils' layout: an 8-byte timestamp, then 0x10, 0x11, ...
	data := d.msg.Payload()
	ts := time.Unix(0, int64(binary.BigEndian.Uint64(data)))
	if ts.Before(before.Add(-time.Second)) || ts.After(time.Now().Add(time.Second)) {
		t.Errorf("timestamp %v is not the send time", ts)
	}
	for i := 8; i < len(data); i++ {
		if data[i] != byte(i+8) {
			t.Fatalf("data[%d] = %#02x, want %#02x", i, data[i], byte(i+8))
		}
	}
}

func TestPingSendSizes(t *testing.T) {
	h := newHost(t)
	pg, _ := h.icmp.NewPinger()
	defer pg.Close()
	for _, size := range []int{0, 7, 8, 1472} {
		if err := pg.Send(peerIP, 1, SendOptions{Size: size}); err != nil {
			t.Errorf("size %d: %v", size, err)
			continue
		}
		got := h.sent()
		if len(got) != 1 || len(got[0].msg.Payload()) != size || got[0].ip.TTL() != ip.DefaultTTL {
			t.Errorf("size %d: sent %d datagrams", size, len(got))
		}
	}
	for _, size := range []int{-1, MaxPingPayload + 1} {
		if err := pg.Send(peerIP, 1, SendOptions{Size: size}); err == nil {
			t.Errorf("Send with size %d succeeded", size)
		}
	}
	// Larger than the MTU with DF (ping -M do): the send fails.
	if err := pg.Send(peerIP, 1, SendOptions{Size: 1473, DF: true}); !errors.Is(err, ip.ErrMsgSize) {
		t.Errorf("Send of 1473 bytes with DF = %v, want ErrMsgSize", err)
	}
	// Without DF it leaves in two fragments.
	if err := pg.Send(peerIP, 2, SendOptions{Size: 1473}); err != nil {
		t.Errorf("Send of 1473 bytes = %v", err)
	}
	frames := h.wire.take()
	if len(frames) != 2 || !ip.Header(frames[0][netdev.EthernetHeaderLen:]).MF() {
		t.Errorf("1473 bytes left in %d frames, want 2 fragments", len(frames))
	}
	if n := h.icmp.Stats.OutErrors.Load(); n != 1 {
		t.Errorf("OutErrors = %d, want 1", n)
	}
}

func TestPingNoRoute(t *testing.T) {
	h := newHost(t)
	h.ip.Routes.Delete(netip.MustParsePrefix("0.0.0.0/0"))
	pg, _ := h.icmp.NewPinger()
	defer pg.Close()
	if err := pg.Send(netip.MustParseAddr("8.8.8.8"), 1, SendOptions{Size: 56}); !errors.Is(err, ip.ErrNoRoute) {
		t.Errorf("Send without a route = %v, want ErrNoRoute", err)
	}
}

// TestPingReplyMatching: replies reach the ping with their identifier
// only, with the sender, sequence, TTL and size.
func TestPingReplyMatching(t *testing.T) {
	h := newHost(t)
	a, _ := h.icmp.NewPinger()
	defer a.Close()
	b, _ := h.icmp.NewPinger()
	defer b.Close()
	if a.ID() == b.ID() {
		t.Fatalf("two pings share id %d", a.ID())
	}
	if err := a.Send(peerIP, 5, SendOptions{Size: 56}); err != nil {
		t.Fatal(err)
	}
	h.sent()
	h.receive(frame(ourMAC, peerIP, ourIP, 61, 0, nil, echo(TypeEchoReply, a.ID(), 5, 56)))
	r := nextReply(t, a)
	if r.From != peerIP || r.Seq != 5 || r.TTL != 61 || r.Bytes != 64 || r.Err != nil {
		t.Errorf("reply %+v, want from %v seq 5 ttl 61 64 bytes", r, peerIP)
	}
	if r.RTT <= 0 || r.RTT > time.Minute {
		t.Errorf("RTT = %v, want the time since Send", r.RTT)
	}
	noReply(t, b)

	// A sequence number never sent has no RTT.
	h.receive(frame(ourMAC, peerIP, ourIP, 64, 0, nil, echo(TypeEchoReply, b.ID(), 77, 8)))
	if r := nextReply(t, b); r.Seq != 77 || r.RTT != 0 {
		t.Errorf("reply %+v, want seq 77 with RTT 0", r)
	}
	noReply(t, a)

	// After Close, its identifier is unknown.
	a.Close()
	h.receive(frame(ourMAC, peerIP, ourIP, 64, 0, nil, echo(TypeEchoReply, a.ID(), 6, 8)))
	if n := h.icmp.Stats.InEchoReplyNoPing.Load(); n != 1 {
		t.Errorf("InEchoReplyNoPing = %d, want 1", n)
	}
}

// TestPingErrorMatching: ICMP errors quoting one of our echo requests reach
// the ping that sent it; anything else is dropped.
func TestPingErrorMatching(t *testing.T) {
	dst := netip.MustParseAddr("198.51.100.9")
	tests := []struct {
		name    string
		msg     func(id uint16) []byte
		want    *ErrorReport
		wantSeq uint16
	}{
		{name: "host unreachable",
			msg:  func(id uint16) []byte { return quote(TypeDestUnreach, CodeHostUnreach, 0, dst, id, 4) },
			want: &ErrorReport{Type: TypeDestUnreach, Code: CodeHostUnreach}, wantSeq: 4},
		{name: "TTL exceeded",
			msg:  func(id uint16) []byte { return quote(TypeTimeExceeded, CodeTTLExceeded, 0, dst, id, 5) },
			want: &ErrorReport{Type: TypeTimeExceeded, Code: CodeTTLExceeded}, wantSeq: 5},
		{name: "frag needed",
			msg:  func(id uint16) []byte { return quote(TypeDestUnreach, CodeFragNeeded, 1400, dst, id, 6) },
			want: &ErrorReport{Type: TypeDestUnreach, Code: CodeFragNeeded, MTU: 1400}, wantSeq: 6},
		{name: "parameter problem",
			msg:  func(id uint16) []byte { return quote(TypeParamProblem, 0, 0, dst, id, 7) },
			want: &ErrorReport{Type: TypeParamProblem}, wantSeq: 7},
		{name: "another ping's id",
			msg: func(id uint16) []byte { return quote(TypeDestUnreach, CodeHostUnreach, 0, dst, id+1, 4) }},
		{name: "quotes UDP",
			msg: func(id uint16) []byte {
				m := quote(TypeDestUnreach, CodePortUnreach, 0, dst, id, 4)
				q := ip.Header(m[HeaderLen : HeaderLen+ip.HeaderLen])
				q[9] = ip.ProtoUDP
				q.UpdateChecksum()
				Header(m).SetChecksum()
				return m
			}},
		{name: "quotes an echo reply",
			msg: func(id uint16) []byte {
				m := quote(TypeDestUnreach, CodeHostUnreach, 0, dst, id, 4)
				m[HeaderLen+ip.HeaderLen] = TypeEchoReply
				Header(m).SetChecksum()
				return m
			}},
		{name: "quote cut short",
			msg: func(id uint16) []byte {
				m := quote(TypeDestUnreach, CodeHostUnreach, 0, dst, id, 4)[:HeaderLen+ip.HeaderLen+4]
				Header(m).SetChecksum()
				return m
			}},
		{name: "quoted header corrupt",
			msg: func(id uint16) []byte {
				m := quote(TypeDestUnreach, CodeHostUnreach, 0, dst, id, 4)
				m[HeaderLen+12] ^= 0xff // source address, under the quoted checksum
				Header(m).SetChecksum()
				return m
			}},
		{name: "nothing quoted",
			msg: func(id uint16) []byte {
				m := []byte{TypeDestUnreach, CodeHostUnreach, 0, 0, 0, 0, 0, 0}
				Header(m).SetChecksum()
				return m
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHost(t)
			pg, _ := h.icmp.NewPinger()
			defer pg.Close()
			m := tt.msg(pg.ID())
			h.receive(frame(ourMAC, routerIP, ourIP, 250, 0, nil, m))
			if len(h.sent()) != 0 {
				t.Error("answered an ICMP error")
			}
			if tt.want == nil {
				noReply(t, pg)
				return
			}
			r := nextReply(t, pg)
			if r.Err == nil || *r.Err != *tt.want {
				t.Fatalf("delivered %+v (Err %v), want Err %+v", r, r.Err, tt.want)
			}
			if r.From != routerIP || r.Seq != tt.wantSeq || r.TTL != 250 || r.Bytes != len(m) {
				t.Errorf("delivered from %v seq %d ttl %d bytes %d, want %v %d 250 %d", r.From, r.Seq, r.TTL, r.Bytes, routerIP, tt.wantSeq, len(m))
			}
		})
	}
}

func TestPingQueueFull(t *testing.T) {
	h := newHost(t)
	pg, _ := h.icmp.NewPinger()
	defer pg.Close()
	for seq := range replyQueueLen + 3 {
		h.receive(frame(ourMAC, peerIP, ourIP, 64, 0, nil, echo(TypeEchoReply, pg.ID(), uint16(seq), 8)))
	}
	if n := h.icmp.Stats.InEchoReplyQueueFull.Load(); n != 3 {
		t.Errorf("InEchoReplyQueueFull = %d, want 3", n)
	}
	if n := len(pg.Replies()); n != replyQueueLen {
		t.Errorf("%d replies queued, want %d", n, replyQueueLen)
	}
}

func TestPingerIDs(t *testing.T) {
	h := newHost(t)
	seen := map[uint16]bool{}
	var pings []*Pinger
	for range MaxPings {
		pg, err := h.icmp.NewPinger()
		if err != nil {
			t.Fatal(err)
		}
		if seen[pg.ID()] {
			t.Fatalf("id %d handed out twice", pg.ID())
		}
		seen[pg.ID()] = true
		pings = append(pings, pg)
	}
	if _, err := h.icmp.NewPinger(); !errors.Is(err, ErrTooManyPings) {
		t.Errorf("ping #%d = %v, want ErrTooManyPings", MaxPings+1, err)
	}
	pings[0].Close()
	pg, err := h.icmp.NewPinger()
	if err != nil {
		t.Fatalf("after a Close: %v", err)
	}
	if seen[pg.ID()] && pg.ID() != pings[0].ID() {
		t.Errorf("id %d is still in use", pg.ID())
	}
	for _, p := range pings[1:] {
		p.Close()
	}
	pg.Close()
}

// TestPingerIDWrap: identifiers in use are skipped after the counter wraps.
func TestPingerIDWrap(t *testing.T) {
	h := newHost(t)
	keep, _ := h.icmp.NewPinger() // id 1
	h.icmp.pings.lastID = 0xffff  // next is 0, then 1 (busy), so 2
	a, _ := h.icmp.NewPinger()
	b, _ := h.icmp.NewPinger()
	if a.ID() != 0 || b.ID() != 2 || keep.ID() != 1 {
		t.Errorf("ids %d %d after wrapping past busy %d, want 0 2", a.ID(), b.ID(), keep.ID())
	}
	keep.Close()
	a.Close()
	b.Close()
}
