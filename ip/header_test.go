package ip

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// goldenUDP is the header of a 115-byte UDP datagram from 192.168.0.1 to
// 192.168.0.199, DF set, TTL 64: the classic checksum example (0xb861).
var goldenUDP = []byte{
	0x45, 0x00, 0x00, 0x73, // v4, IHL 5, TOS 0, total length 115
	0x00, 0x00, 0x40, 0x00, // id 0, DF, offset 0
	0x40, 0x11, 0xb8, 0x61, // TTL 64, UDP, checksum
	0xc0, 0xa8, 0x00, 0x01, // 192.168.0.1
	0xc0, 0xa8, 0x00, 0xc7, // 192.168.0.199
}

// goldenFragOpts is a 24-byte header with a Router Alert option (RFC 2113)
// of a TCP fragment at offset 1480 with MF set, TTL 127, TOS 0, id 0xabcd.
var goldenFragOpts = []byte{
	0x46, 0x00, 0x00, 0x2c, // v4, IHL 6, total length 44
	0xab, 0xcd, 0x20, 0xb9, // id 0xabcd, MF, offset 185*8
	0x7f, 0x06, 0xc6, 0x3e, // TTL 127, TCP, checksum
	0x0a, 0x00, 0x00, 0x01, // 10.0.0.1
	0x0a, 0x00, 0x00, 0x02, // 10.0.0.2
	0x94, 0x04, 0x00, 0x00, // Router Alert
}

var (
	addr1   = netip.MustParseAddr("192.168.0.1")
	addr199 = netip.MustParseAddr("192.168.0.199")
)

// datagram returns hdr followed by payload bytes up to its total length,
// then extra bytes of link-layer padding.
func withPayload(hdr []byte, extra int) []byte {
	tl := int(binary.BigEndian.Uint16(hdr[2:]))
	b := make([]byte, tl+extra)
	copy(b, hdr)
	for i := len(hdr); i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

func TestHeaderDeconstruct(t *testing.T) {
	tests := []struct {
		name               string
		hdr                []byte
		ihl, tos, totalLen int
		id                 uint16
		df, mf, frag       bool
		fragOff            int
		ttl, proto         uint8
		checksum           uint16
		src, dst           string
		options            []byte
	}{
		{name: "udp DF", hdr: goldenUDP, ihl: 20, totalLen: 115, id: 0, df: true, ttl: 64, proto: ProtoUDP,
			checksum: 0xb861, src: "192.168.0.1", dst: "192.168.0.199", options: []byte{}},
		{name: "fragment with options", hdr: goldenFragOpts, ihl: 24, totalLen: 44, id: 0xabcd, mf: true, frag: true,
			fragOff: 1480, ttl: 127, proto: ProtoTCP, checksum: 0xc63e, src: "10.0.0.1", dst: "10.0.0.2",
			options: []byte{0x94, 0x04, 0x00, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(withPayload(tt.hdr, 6))
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != tt.ihl || h.IHL() != tt.ihl {
				t.Errorf("len %d IHL() %d, want %d", len(h), h.IHL(), tt.ihl)
			}
			if int(h.TOS()) != tt.tos || h.TotalLen() != tt.totalLen || h.ID() != tt.id {
				t.Errorf("TOS %d TotalLen %d ID %#x, want %d %d %#x", h.TOS(), h.TotalLen(), h.ID(), tt.tos, tt.totalLen, tt.id)
			}
			if h.DF() != tt.df || h.MF() != tt.mf || h.IsFragment() != tt.frag || h.FragOffset() != tt.fragOff {
				t.Errorf("DF %v MF %v IsFragment %v FragOffset %d, want %v %v %v %d",
					h.DF(), h.MF(), h.IsFragment(), h.FragOffset(), tt.df, tt.mf, tt.frag, tt.fragOff)
			}
			if h.TTL() != tt.ttl || h.Protocol() != tt.proto || h.Checksum() != tt.checksum {
				t.Errorf("TTL %d Protocol %d Checksum %#04x, want %d %d %#04x", h.TTL(), h.Protocol(), h.Checksum(), tt.ttl, tt.proto, tt.checksum)
			}
			if h.Src().String() != tt.src || h.Dst().String() != tt.dst {
				t.Errorf("Src %v Dst %v, want %v %v", h.Src(), h.Dst(), tt.src, tt.dst)
			}
			if !bytes.Equal(h.Options(), tt.options) {
				t.Errorf("Options() = % x, want % x", h.Options(), tt.options)
			}
		})
	}
}

func TestHeaderConstruct(t *testing.T) {
	buf := bytes.Repeat([]byte{0xa5}, HeaderLen+4)
	h := Header(buf[:HeaderLen])
	h.Encode(Fields{TOS: 0, TotalLen: 115, ID: 0, DF: true, TTL: 64, Protocol: ProtoUDP, Src: addr1, Dst: addr199})
	if !bytes.Equal(buf[:HeaderLen], goldenUDP) {
		t.Errorf("Encode (-want +got):\n-% x\n+% x", goldenUDP, buf[:HeaderLen])
	}
	if !bytes.Equal(buf[HeaderLen:], []byte{0xa5, 0xa5, 0xa5, 0xa5}) {
		t.Errorf("Encode wrote past the header: % x", buf[HeaderLen:])
	}

	// The fragment header, built with the setters over a 0xa5 buffer.
	buf = bytes.Repeat([]byte{0xa5}, len(goldenFragOpts))
	h = Header(buf)
	h.Encode(Fields{TotalLen: 44, ID: 0xabcd, TTL: 127, Protocol: ProtoTCP,
		Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")})
	h[0] = Version<<4 | 6 // IHL 6: one word of options
	copy(h[HeaderLen:], []byte{0x94, 0x04, 0x00, 0x00})
	h.SetFragment(1480, true)
	h.UpdateChecksum()
	if !bytes.Equal(buf, goldenFragOpts) {
		t.Errorf("setters (-want +got):\n-% x\n+% x", goldenFragOpts, buf)
	}
}

func TestSetFragmentKeepsDF(t *testing.T) {
	h := Header(append([]byte(nil), goldenUDP...))
	h.SetFragment(8, true)
	if !h.DF() || !h.MF() || h.FragOffset() != 8 {
		t.Errorf("DF %v MF %v offset %d, want true true 8", h.DF(), h.MF(), h.FragOffset())
	}
	h.SetFragment(0, false)
	if !h.DF() || h.MF() || h.IsFragment() {
		t.Errorf("DF %v MF %v IsFragment %v, want true false false", h.DF(), h.MF(), h.IsFragment())
	}
	h.SetFragment(65528, false) // the largest offset
	if h.FragOffset() != 65528 {
		t.Errorf("FragOffset() = %d, want 65528", h.FragOffset())
	}
}

func TestDecrementTTL(t *testing.T) {
	for _, ttl := range []uint8{255, 64, 2, 1} {
		h := Header(append([]byte(nil), goldenUDP...))
		h.SetTTL(ttl)
		h.UpdateChecksum()
		h.DecrementTTL()
		if h.TTL() != ttl-1 {
			t.Errorf("TTL %d: after DecrementTTL = %d, want %d", ttl, h.TTL(), ttl-1)
		}
		want := Header(append([]byte(nil), h...))
		want.UpdateChecksum()
		if h.Checksum() != want.Checksum() {
			t.Errorf("TTL %d: incremental checksum %#04x, full recompute %#04x", ttl, h.Checksum(), want.Checksum())
		}
		if _, err := Parse(withPayload(h, 0)); err != nil {
			t.Errorf("TTL %d: header after DecrementTTL does not parse: %v", ttl, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	// mod returns goldenUDP's datagram changed by f, checksum fixed unless
	// keepSum.
	mod := func(f func(h []byte), keepSum bool) []byte {
		b := withPayload(goldenUDP, 0)
		f(b)
		if !keepSum {
			h := Header(b[:int(b[0]&0xf)*4])
			if len(h) >= HeaderLen && len(h) <= len(b) {
				h.UpdateChecksum()
			}
		}
		return b
	}
	tests := []struct {
		name       string
		in         []byte
		want       error // from Parse
		wantQuoted error // from ParseQuoted
	}{
		{name: "empty", in: nil, want: ErrTruncated, wantQuoted: ErrTruncated},
		{name: "19 bytes", in: goldenUDP[:19], want: ErrTruncated, wantQuoted: ErrTruncated},
		{name: "version 6", in: mod(func(b []byte) { b[0] = 0x65 }, false), want: ErrBadVersion, wantQuoted: ErrBadVersion},
		{name: "version 0", in: mod(func(b []byte) { b[0] = 0x05 }, false), want: ErrBadVersion, wantQuoted: ErrBadVersion},
		{name: "IHL 4", in: mod(func(b []byte) { b[0] = 0x44 }, true), want: ErrBadIHL, wantQuoted: ErrBadIHL},
		{name: "IHL 0", in: mod(func(b []byte) { b[0] = 0x40 }, true), want: ErrBadIHL, wantQuoted: ErrBadIHL},
		{name: "IHL beyond buffer", in: mod(func(b []byte) { b[0] = 0x4f }, false)[:40], want: ErrBadIHL, wantQuoted: ErrBadIHL},
		{name: "total length below header", in: mod(func(b []byte) { b[3] = 19 }, false), want: ErrBadLength, wantQuoted: ErrBadLength},
		{name: "total length zero", in: mod(func(b []byte) { b[2], b[3] = 0, 0 }, false), want: ErrBadLength, wantQuoted: ErrBadLength},
		{name: "total length beyond buffer", in: withPayload(goldenUDP, 0)[:114], want: ErrBadLength, wantQuoted: nil},
		{name: "quoted header + 8 bytes", in: withPayload(goldenUDP, 0)[:28], want: ErrBadLength, wantQuoted: nil},
		{name: "bad checksum", in: mod(func(b []byte) { b[11] ^= 1 }, true), want: ErrBadChecksum, wantQuoted: ErrBadChecksum},
		{name: "field changed under checksum", in: mod(func(b []byte) { b[8]-- }, true), want: ErrBadChecksum, wantQuoted: ErrBadChecksum},
		{name: "ok", in: withPayload(goldenUDP, 0)},
		{name: "ok with padding", in: withPayload(goldenUDP, 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				fn   string
				f    func([]byte) (Header, error)
				want error
			}{{"Parse", Parse, tt.want}, {"ParseQuoted", ParseQuoted, tt.wantQuoted}} {
				h, err := c.f(tt.in)
				if c.want == nil {
					if err != nil {
						t.Errorf("%s: %v, want success", c.fn, err)
					} else if len(h) != h.IHL() {
						t.Errorf("%s: view of %d bytes, IHL %d", c.fn, len(h), h.IHL())
					}
					continue
				}
				if !errors.Is(err, c.want) {
					t.Errorf("%s error = %v, want %v", c.fn, err, c.want)
				}
				if h != nil {
					t.Errorf("%s returned a view with its error", c.fn)
				}
			}
		})
	}
}

func TestHeaderString(t *testing.T) {
	tests := []struct {
		name string
		hdr  []byte
		want string
	}{
		{"DF", goldenUDP, "IP 192.168.0.1 > 192.168.0.199: UDP, ttl 64, id 0, len 115 DF"},
		{"fragment", goldenFragOpts, "IP 10.0.0.1 > 10.0.0.2: TCP, ttl 127, id 43981, len 44, frag offset 1480 +MF"},
	}
	for _, tt := range tests {
		if got := Header(tt.hdr).String(); got != tt.want {
			t.Errorf("%s: String() = %q, want %q", tt.name, got, tt.want)
		}
	}
	h := Header(append([]byte(nil), goldenUDP...))
	h.SetFragment(0, false)
	h[offFlagsFrag] = 0 // no DF either
	h[offProtocol] = ProtoICMP
	if got, want := h.String(), "IP 192.168.0.1 > 192.168.0.199: ICMP, ttl 64, id 0, len 115"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	h.SetFragment(64, false) // last fragment
	if got, want := h.String(), "IP 192.168.0.1 > 192.168.0.199: ICMP, ttl 64, id 0, len 115, frag offset 64"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestProtocolName(t *testing.T) {
	for p, want := range map[uint8]string{1: "ICMP", 6: "TCP", 17: "UDP", 89: "proto 89"} {
		if got := ProtocolName(p); got != want {
			t.Errorf("ProtocolName(%d) = %q, want %q", p, got, want)
		}
	}
}

// TestHeaderGopacket encodes headers with Encode, decodes them with
// gopacket and compares every field, including the checksum gopacket
// computes when it serializes the same header.
func TestHeaderGopacket(t *testing.T) {
	tests := []Fields{
		{TotalLen: 84, ID: 1, DF: true, TTL: 64, Protocol: ProtoICMP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")},
		{TOS: 0xb8, TotalLen: 1500, ID: 0xffff, TTL: 1, Protocol: ProtoUDP, Src: netip.MustParseAddr("192.0.2.255"), Dst: netip.MustParseAddr("255.255.255.255")},
		{TotalLen: 20, ID: 0x8000, TTL: 255, Protocol: 253, Src: netip.MustParseAddr("0.0.0.0"), Dst: netip.MustParseAddr("224.0.0.1")},
	}
	for _, f := range tests {
		t.Run(f.Dst.String(), func(t *testing.T) {
			b := bytes.Repeat([]byte{0xa5}, f.TotalLen)
			Header(b[:HeaderLen]).Encode(f)
			var g layers.IPv4
			if err := g.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
				t.Fatalf("gopacket: %v", err)
			}
			wantFlags := layers.IPv4Flag(0)
			if f.DF {
				wantFlags = layers.IPv4DontFragment
			}
			if g.Version != 4 || g.IHL != 5 || g.TOS != f.TOS || int(g.Length) != f.TotalLen || g.Id != f.ID ||
				g.Flags != wantFlags || g.FragOffset != 0 || g.TTL != f.TTL || uint8(g.Protocol) != f.Protocol {
				t.Errorf("gopacket decoded %+v, want fields %+v", g, f)
			}
			if !g.SrcIP.Equal(net.IP(f.Src.AsSlice())) || !g.DstIP.Equal(net.IP(f.Dst.AsSlice())) {
				t.Errorf("gopacket Src %v Dst %v, want %v %v", g.SrcIP, g.DstIP, f.Src, f.Dst)
			}
			// Let gopacket compute the checksum of the same header.
			ours := Header(b).Checksum()
			sb := gopacket.NewSerializeBuffer()
			g.Checksum = 0
			if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{ComputeChecksums: true}, &g, gopacket.Payload(g.Payload)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sb.Bytes()[:HeaderLen], b[:HeaderLen]) {
				t.Errorf("gopacket re-encoding (-ours +gopacket):\n-% x\n+% x", b[:HeaderLen], sb.Bytes()[:HeaderLen])
			}
			if g.Checksum != ours {
				t.Errorf("checksum: ours %#04x, gopacket %#04x", ours, g.Checksum)
			}
		})
	}
}

// TestParseGopacket parses headers gopacket builds, options and fragment
// fields included.
func TestParseGopacket(t *testing.T) {
	g := &layers.IPv4{
		Version: 4, TOS: 0x10, Id: 4242, Flags: layers.IPv4MoreFragments, FragOffset: 185,
		TTL: 9, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IPv4(10, 0, 0, 1), DstIP: net.IPv4(10, 0, 0, 2),
		Options: []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}},
	}
	sb := gopacket.NewSerializeBuffer()
	payload := gopacket.Payload(bytes.Repeat([]byte{7}, 16))
	if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, g, payload); err != nil {
		t.Fatal(err)
	}
	h, err := Parse(sb.Bytes())
	if err != nil {
		t.Fatalf("Parse(gopacket's datagram): %v\n% x", err, sb.Bytes())
	}
	if h.IHL() != 24 || h.TotalLen() != 24+16 || h.TOS() != 0x10 || h.ID() != 4242 || !h.MF() || h.DF() ||
		h.FragOffset() != 185*8 || h.TTL() != 9 || h.Protocol() != ProtoUDP || h.Checksum() != g.Checksum {
		t.Errorf("Parse(gopacket) = %v (IHL %d, checksum %#04x); gopacket had %+v", h, h.IHL(), h.Checksum(), g)
	}
	if !bytes.Equal(h.Options(), []byte{148, 4, 0, 0}) {
		t.Errorf("Options() = % x, want 94 04 00 00", h.Options())
	}
}

func TestHeaderNoAllocs(t *testing.T) {
	b := withPayload(goldenUDP, 0)
	if n := testing.AllocsPerRun(100, func() {
		h, _ := Parse(b)
		_, _ = h.Src(), h.Dst()
		h.DecrementTTL()
		h.SetTTL(64)
		h.UpdateChecksum()
	}); n != 0 {
		t.Errorf("Parse and header updates allocate %v times, want 0", n)
	}
}

// FuzzIPv4Parse checks that Parse and ParseQuoted never panic, that what
// Parse accepts ParseQuoted accepts too, and that an accepted header keeps
// its promises: its length is IHL*4, its checksum verifies, and a header
// re-encoded from its fields matches it field for field.
func FuzzIPv4Parse(f *testing.F) {
	// The classic UDP header with its 95 data bytes.
	f.Add(withPayload(goldenUDP, 0))
	// A fragment with a Router Alert option and 4 bytes of Ethernet padding.
	f.Add(withPayload(goldenFragOpts, 4))
	// A header quoted in an ICMP error: 20 bytes and 8 of data, total length 115.
	f.Add(withPayload(goldenUDP, 0)[:28])
	// IHL 15 with only 20 bytes present.
	f.Add([]byte{0x4f, 0, 0, 60, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2})
	// Version 6.
	f.Add([]byte{0x60, 0, 0, 0, 0, 8, 0x3a, 64, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkParsed(t, b)
		// The checksum stops most random inputs at the door; also try the
		// input with its header checksum made right, to reach the rest.
		if len(b) >= HeaderLen {
			if ihl := int(b[0]&0x0f) * 4; ihl >= HeaderLen && ihl <= len(b) {
				fixed := append([]byte(nil), b...)
				Header(fixed[:ihl]).UpdateChecksum()
				checkParsed(t, fixed)
			}
		}
	})
}

func checkParsed(t *testing.T, b []byte) {
	q, qerr := ParseQuoted(b)
	h, err := Parse(b)
	if err != nil {
		if qerr == nil {
			_ = q.String()
		}
		return
	}
	if qerr != nil {
		t.Fatalf("Parse accepts what ParseQuoted rejects: %v", qerr)
	}
	if len(h) != h.IHL() || h.IHL() < HeaderLen || h.TotalLen() < h.IHL() || h.TotalLen() > len(b) {
		t.Fatalf("accepted header breaks its bounds: len %d IHL %d total %d of %d bytes", len(h), h.IHL(), h.TotalLen(), len(b))
	}
	if Checksum(h, 0) != 0 {
		t.Fatal("accepted header with a bad checksum")
	}
	_ = h.String()
	_ = h.Options()
	// Re-encode from the fields; with the flags, options and checksum
	// fixed up the same way, the bytes must match.
	out := make(Header, len(h))
	out.Encode(Fields{TOS: h.TOS(), TotalLen: h.TotalLen(), ID: h.ID(), DF: h.DF(), TTL: h.TTL(), Protocol: h.Protocol(), Src: h.Src(), Dst: h.Dst()})
	out[offVersionIHL] = h[offVersionIHL]
	out.SetFragment(h.FragOffset(), h.MF())
	out[offFlagsFrag] |= h[offFlagsFrag] & 0x80 // the reserved ("evil") bit
	copy(out[HeaderLen:], h.Options())
	out.UpdateChecksum()
	if !bytes.Equal(out, h) {
		t.Fatalf("re-encoded header (-want +got):\n-% x\n+% x", []byte(h), []byte(out))
	}
}
