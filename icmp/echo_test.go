package icmp

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// TestEchoReply: an echo request is answered in place, from the address
// it was sent to, with id, seq and data unchanged.
func TestEchoReply(t *testing.T) {
	routerAlert := []byte{0x94, 0x04, 0x00, 0x00}
	tests := []struct {
		name     string
		src      netip.Addr
		ttl, tos uint8
		opts     []byte
		size     int
		nextHop  netip.Addr
	}{
		{name: "56 bytes", src: peerIP, ttl: 64, size: 56},
		{name: "empty", src: peerIP, ttl: 1, size: 0},
		{name: "odd", src: peerIP, ttl: 255, tos: 0x10, size: 13},
		{name: "with IP options", src: peerIP, ttl: 64, opts: routerAlert, size: 56},
		{name: "full MTU", src: peerIP, ttl: 64, size: 1500 - 28},
		{name: "off-link asker", src: netip.MustParseAddr("192.0.2.7"), ttl: 50, size: 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHost(t)
			req := echo(TypeEchoRequest, 0x4242, 9, tt.size)
			h.receive(frame(ourMAC, tt.src, ourIP, tt.ttl, tt.tos, tt.opts, req))
			got := h.sent()
			if len(got) != 1 {
				t.Fatalf("sent %d datagrams, want 1 reply", len(got))
			}
			r := got[0]
			if r.ip.Src() != ourIP || r.ip.Dst() != tt.src {
				t.Errorf("reply %v > %v, want %v > %v", r.ip.Src(), r.ip.Dst(), ourIP, tt.src)
			}
			if r.ip.IHL() != ip.HeaderLen || r.ip.TTL() != ip.DefaultTTL || r.ip.TOS() != tt.tos || r.ip.Protocol() != ip.ProtoICMP || r.ip.IsFragment() {
				t.Errorf("reply header %v (IHL %d TOS %#x), want 20 bytes, ttl 64, TOS %#x", r.ip, r.ip.IHL(), r.ip.TOS(), tt.tos)
			}
			if r.ip.TotalLen() != ip.HeaderLen+len(req) {
				t.Errorf("reply total length %d, want %d", r.ip.TotalLen(), ip.HeaderLen+len(req))
			}
			if r.msg.Type() != TypeEchoReply || r.msg.Code() != 0 || r.msg.ID() != 0x4242 || r.msg.Seq() != 9 {
				t.Errorf("reply %v, want echo reply id 0x4242 seq 9", r.msg)
			}
			if !bytes.Equal(r.msg.Payload(), req[HeaderLen:]) {
				t.Error("reply data differs from the request's")
			}
			want := append(Header(nil), r.msg...)
			want.SetChecksum()
			if r.msg.Checksum() != want.Checksum() {
				t.Errorf("incremental checksum %#04x, full %#04x", r.msg.Checksum(), want.Checksum())
			}
			if r.dstMAC != peerMAC {
				t.Errorf("reply to %v, want %v", r.dstMAC, peerMAC)
			}
			s := &h.icmp.Stats
			if s.InMsgs.Load() != 1 || s.InType[TypeEchoRequest].Load() != 1 || s.OutMsgs.Load() != 1 || s.OutType[TypeEchoReply].Load() != 1 {
				t.Errorf("stats InMsgs %d InType[8] %d OutMsgs %d OutType[0] %d, want 1 each",
					s.InMsgs.Load(), s.InType[8].Load(), s.OutMsgs.Load(), s.OutType[0].Load())
			}
		})
	}
}

// TestEchoBroadcast: echo to a broadcast address is ignored by default
// (Linux icmp_echo_ignore_broadcasts); when allowed, the reply comes from
// our own address, never the broadcast one.
func TestEchoBroadcast(t *testing.T) {
	tests := []struct {
		name   string
		dstMAC netdev.MAC
		dst    string
	}{
		{"limited broadcast", netdev.BroadcastMAC, "255.255.255.255"},
		{"directed broadcast", netdev.BroadcastMAC, "10.0.0.255"},
		{"multicast", netdev.MAC{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, "224.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHost(t)
			req := echo(TypeEchoRequest, 1, 1, 8)
			h.receive(frame(tt.dstMAC, peerIP, netip.MustParseAddr(tt.dst), 64, 0, nil, req))
			if got := h.sent(); len(got) != 0 {
				t.Fatalf("answered a broadcast echo by default: %v", got[0].ip)
			}
			if n := h.icmp.Stats.InEchoBroadcastIgnored.Load(); n != 1 {
				t.Errorf("InEchoBroadcastIgnored = %d, want 1", n)
			}
			h.icmp.IgnoreBroadcastEcho.Store(false)
			h.receive(frame(tt.dstMAC, peerIP, netip.MustParseAddr(tt.dst), 64, 0, nil, req))
			got := h.sent()
			if len(got) != 1 {
				t.Fatalf("sent %d replies, want 1", len(got))
			}
			if got[0].ip.Src() != ourIP || got[0].ip.Dst() != peerIP {
				t.Errorf("reply %v > %v, want %v > %v", got[0].ip.Src(), got[0].ip.Dst(), ourIP, peerIP)
			}
		})
	}
}

func TestInputErrors(t *testing.T) {
	bad := echo(TypeEchoRequest, 1, 1, 8)
	bad[HeaderLen] ^= 0xff
	tests := []struct {
		name      string
		msg       []byte
		errors    uint64
		csumError uint64
	}{
		{"bad checksum", bad, 1, 1},
		{"short", []byte{8, 0, 0xf7}, 1, 0},
		{"unknown type", func() []byte { m := echo(TypeEchoRequest, 1, 1, 0); m[0] = 13; Header(m).SetChecksum(); return m }(), 0, 0},
		{"reply nobody waits for", echo(TypeEchoReply, 999, 1, 8), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHost(t)
			h.receive(frame(ourMAC, peerIP, ourIP, 64, 0, nil, tt.msg))
			if got := h.sent(); len(got) != 0 {
				t.Errorf("sent %d datagrams, want 0", len(got))
			}
			if h.icmp.Stats.InErrors.Load() != tt.errors || h.icmp.Stats.InCsumErrors.Load() != tt.csumError {
				t.Errorf("InErrors %d InCsumErrors %d, want %d %d",
					h.icmp.Stats.InErrors.Load(), h.icmp.Stats.InCsumErrors.Load(), tt.errors, tt.csumError)
			}
		})
	}
}

// TestEchoReplyNoAllocs: the echo fast path, frame in to frame out,
// allocates nothing.
func TestEchoReplyNoAllocs(t *testing.T) {
	h := newHost(t)
	h.wire.discard = true
	f := frame(ourMAC, peerIP, ourIP, 64, 0, nil, echo(TypeEchoRequest, 1, 1, 56))
	run := func() {
		p := h.pool.Get(len(f))
		copy(p.Append(len(f)), f)
		h.dev.Receive(p)
	}
	run()
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Errorf("echo request to reply allocates %v times, want 0", n)
	}
	if n := h.icmp.Stats.OutType[TypeEchoReply].Load(); n < 1000 {
		t.Errorf("%d replies sent, want at least 1000", n)
	}
}

func TestStatsReset(t *testing.T) {
	var s Stats
	s.InMsgs.Add(1)
	s.InType[8].Add(2)
	s.OutType[0].Add(3)
	s.Reset()
	if s.InMsgs.Load() != 0 || s.InType[8].Load() != 0 || s.OutType[0].Load() != 0 {
		t.Error("Reset left counters non-zero")
	}
}
