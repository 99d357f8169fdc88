package arp

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gotapip/gotapip/netdev"
)

var (
	macA = netdev.MAC{0x02, 0x00, 0x0a, 0x00, 0x00, 0x01}
	macB = netdev.MAC{0x02, 0x00, 0x0a, 0x00, 0x00, 0x02}
	ipA  = netip.MustParseAddr("10.0.0.1")
	ipB  = netip.MustParseAddr("10.0.0.2")
)

// goldenRequest is "who-has 10.0.0.2 tell 10.0.0.1" from 02:00:0a:00:00:01.
var goldenRequest = []byte{
	0x00, 0x01, 0x08, 0x00, // Ethernet, IPv4
	0x06, 0x04, 0x00, 0x01, // 6, 4, request
	0x02, 0x00, 0x0a, 0x00, 0x00, 0x01, // sender MAC
	0x0a, 0x00, 0x00, 0x01, // sender IP
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // target MAC (unknown)
	0x0a, 0x00, 0x00, 0x02, // target IP
}

// goldenReply is "10.0.0.2 is-at 02:00:0a:00:00:02", the answer.
var goldenReply = []byte{
	0x00, 0x01, 0x08, 0x00,
	0x06, 0x04, 0x00, 0x02,
	0x02, 0x00, 0x0a, 0x00, 0x00, 0x02,
	0x0a, 0x00, 0x00, 0x02,
	0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
	0x0a, 0x00, 0x00, 0x01,
}

func TestHeaderDeconstruct(t *testing.T) {
	tests := []struct {
		name               string
		in                 []byte
		op                 uint16
		senderMAC, tgtMAC  netdev.MAC
		senderIP, targetIP netip.Addr
	}{
		{"request", goldenRequest, OpRequest, macA, netdev.MAC{}, ipA, ipB},
		{"reply", goldenReply, OpReply, macB, macA, ipB, ipA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// With Ethernet padding behind it, as it arrives.
			h, err := Parse(append(append([]byte(nil), tt.in...), make([]byte, 18)...))
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != HeaderLen {
				t.Errorf("view is %d bytes, want %d", len(h), HeaderLen)
			}
			if h.Op() != tt.op || h.SenderMAC() != tt.senderMAC || h.SenderIP() != tt.senderIP ||
				h.TargetMAC() != tt.tgtMAC || h.TargetIP() != tt.targetIP {
				t.Errorf("got op %d %v %v -> %v %v, want op %d %v %v -> %v %v",
					h.Op(), h.SenderMAC(), h.SenderIP(), h.TargetMAC(), h.TargetIP(),
					tt.op, tt.senderMAC, tt.senderIP, tt.tgtMAC, tt.targetIP)
			}
		})
	}
}

func TestHeaderConstruct(t *testing.T) {
	tests := []struct {
		name string
		f    Fields
		want []byte
	}{
		{"request", Fields{Op: OpRequest, SenderMAC: macA, SenderIP: ipA, TargetIP: ipB}, goldenRequest},
		{"reply", Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA}, goldenReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := bytes.Repeat([]byte{0xa5}, HeaderLen+2)
			Header(buf[:HeaderLen]).Encode(tt.f)
			if !bytes.Equal(buf[:HeaderLen], tt.want) {
				t.Errorf("Encode (-want +got):\n-% x\n+% x", tt.want, buf[:HeaderLen])
			}
			if buf[HeaderLen] != 0xa5 || buf[HeaderLen+1] != 0xa5 {
				t.Errorf("Encode wrote past the packet: % x", buf[HeaderLen:])
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	mod := func(off int, v ...byte) []byte {
		b := append([]byte(nil), goldenRequest...)
		copy(b[off:], v)
		return b
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"truncated", goldenRequest[:HeaderLen-1]},
		{"header only", goldenRequest[:8]},
		{"htype IEEE 802", mod(offHType, 0x00, 0x06)},
		{"htype 0", mod(offHType, 0x00, 0x00)},
		{"ptype IPv6", mod(offPType, 0x86, 0xdd)},
		{"ptype ARP", mod(offPType, 0x08, 0x06)},
		{"hlen 8", mod(offHLen, 8)},
		{"hlen 0", mod(offHLen, 0)},
		{"plen 16", mod(offPLen, 16)},
		{"opcode 0", mod(offOp, 0, 0)},
		{"RARP request", mod(offOp, 0, 3)},
		{"InARP reply", mod(offOp, 0, 9)},
		{"opcode 0x0101", mod(offOp, 1, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse succeeded with %v, want an error", h)
			}
			if h != nil {
				t.Error("Parse returned a view with its error")
			}
		})
	}
}

func TestHeaderString(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{goldenRequest, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1 (02:00:0a:00:00:01)"},
		{goldenReply, "ARP, Reply 10.0.0.2 is-at 02:00:0a:00:00:02"},
	}
	for _, tt := range tests {
		if got := Header(tt.in).String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// TestHeaderGopacket decodes packets Encode builds with gopacket, and
// parses packets gopacket builds.
func TestHeaderGopacket(t *testing.T) {
	tests := []Fields{
		{Op: OpRequest, SenderMAC: macA, SenderIP: ipA, TargetIP: ipB},
		{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA},
		{Op: OpRequest, SenderMAC: macA, SenderIP: netip.IPv4Unspecified(), TargetIP: ipA}, // RFC 5227 probe
	}
	for _, f := range tests {
		t.Run(f.SenderIP.String(), func(t *testing.T) {
			b := make([]byte, HeaderLen)
			Header(b).Encode(f)
			var g layers.ARP
			if err := g.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
				t.Fatalf("gopacket: %v", err)
			}
			if g.AddrType != layers.LinkTypeEthernet || g.Protocol != layers.EthernetTypeIPv4 ||
				g.HwAddressSize != 6 || g.ProtAddressSize != 4 || g.Operation != f.Op {
				t.Errorf("gopacket decoded %+v", g)
			}
			spa, tpa := f.SenderIP.As4(), f.TargetIP.As4()
			if !bytes.Equal(g.SourceHwAddress, f.SenderMAC[:]) || !bytes.Equal(g.SourceProtAddress, spa[:]) ||
				!bytes.Equal(g.DstHwAddress, f.TargetMAC[:]) || !bytes.Equal(g.DstProtAddress, tpa[:]) {
				t.Errorf("gopacket addresses %v %v -> %v %v, want %v %v -> %v %v",
					net.HardwareAddr(g.SourceHwAddress), net.IP(g.SourceProtAddress), net.HardwareAddr(g.DstHwAddress), net.IP(g.DstProtAddress),
					f.SenderMAC, f.SenderIP, f.TargetMAC, f.TargetIP)
			}
			// And back: gopacket's encoding of the same packet parses to f.
			sb := gopacket.NewSerializeBuffer()
			if err := g.SerializeTo(sb, gopacket.SerializeOptions{}); err != nil {
				t.Fatal(err)
			}
			h, err := Parse(sb.Bytes())
			if err != nil {
				t.Fatalf("Parse(gopacket's packet): %v", err)
			}
			if got := (Fields{Op: h.Op(), SenderMAC: h.SenderMAC(), SenderIP: h.SenderIP(), TargetMAC: h.TargetMAC(), TargetIP: h.TargetIP()}); got != f {
				t.Errorf("Parse(gopacket) = %+v, want %+v", got, f)
			}
		})
	}
}

func TestHeaderNoAllocs(t *testing.T) {
	b := append([]byte(nil), goldenRequest...)
	f := Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA}
	if n := testing.AllocsPerRun(100, func() {
		h, _ := Parse(b)
		_, _ = h.SenderIP(), h.SenderMAC()
		h.Encode(f)
		h.Encode(Fields{Op: OpRequest, SenderMAC: macA, SenderIP: ipA, TargetIP: ipB})
	}); n != 0 {
		t.Errorf("Parse/Encode allocate %v times, want 0", n)
	}
}

// FuzzARPParse checks that Parse never panics, that it accepts exactly the
// Ethernet/IPv4 requests and replies of at least 28 bytes, and that an
// accepted packet re-encodes from its fields to the same bytes.
func FuzzARPParse(f *testing.F) {
	// who-has 10.0.0.2 tell 10.0.0.1.
	f.Add(append([]byte(nil), goldenRequest...))
	// 10.0.0.2 is-at 02:00:0a:00:00:02, with 18 bytes of Ethernet padding.
	f.Add(append(append([]byte(nil), goldenReply...), make([]byte, 18)...))
	// An RFC 5227 probe: sender IP 0.0.0.0.
	f.Add([]byte{0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1})
	// A RARP request (opcode 3): rejected.
	f.Add([]byte{0, 1, 8, 0, 6, 4, 0, 3, 2, 0, 10, 0, 0, 1, 0, 0, 0, 0, 2, 0, 10, 0, 0, 1, 0, 0, 0, 0})
	// Truncated by one byte.
	f.Add(append([]byte(nil), goldenRequest[:27]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		valid := len(b) >= HeaderLen &&
			binary.BigEndian.Uint16(b) == 1 && binary.BigEndian.Uint16(b[2:]) == 0x0800 &&
			b[4] == 6 && b[5] == 4 &&
			(binary.BigEndian.Uint16(b[6:]) == OpRequest || binary.BigEndian.Uint16(b[6:]) == OpReply)
		if (err == nil) != valid {
			t.Fatalf("Parse error = %v, want valid=%v", err, valid)
		}
		if err != nil {
			return
		}
		_ = h.String()
		out := Header(bytes.Repeat([]byte{0xa5}, HeaderLen))
		out.Encode(Fields{Op: h.Op(), SenderMAC: h.SenderMAC(), SenderIP: h.SenderIP(), TargetMAC: h.TargetMAC(), TargetIP: h.TargetIP()})
		if !bytes.Equal(out, h) {
			t.Fatalf("re-encoded (-want +got):\n-% x\n+% x", []byte(h), []byte(out))
		}
	})
}
