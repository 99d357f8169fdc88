package icmp

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gotapip/gotapip/ip"
)

// goldenEcho is an echo request, id 0x1234, seq 1, data "abcdefgh".
var goldenEcho = []byte{
	0x08, 0x00, 0x54, 0x35, // echo request, code 0, checksum
	0x12, 0x34, 0x00, 0x01, // id, seq
	'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
}

// goldenEchoReply is its answer.
var goldenEchoReply = []byte{
	0x00, 0x00, 0x5c, 0x35,
	0x12, 0x34, 0x00, 0x01,
	'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
}

func TestHeaderDeconstruct(t *testing.T) {
	tests := []struct {
		name      string
		in        []byte
		typ       uint8
		checksum  uint16
		id, seq   uint16
		payload   string
		wantError bool
	}{
		{name: "echo request", in: goldenEcho, typ: TypeEchoRequest, checksum: 0x5435, id: 0x1234, seq: 1, payload: "abcdefgh"},
		{name: "echo reply", in: goldenEchoReply, typ: TypeEchoReply, checksum: 0x5c35, id: 0x1234, seq: 1, payload: "abcdefgh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Parse(append([]byte(nil), tt.in...))
			if err != nil {
				t.Fatal(err)
			}
			if h.Type() != tt.typ || h.Code() != 0 || h.Checksum() != tt.checksum || h.ID() != tt.id || h.Seq() != tt.seq {
				t.Errorf("type %d code %d checksum %#04x id %#x seq %d, want %d 0 %#04x %#x %d",
					h.Type(), h.Code(), h.Checksum(), h.ID(), h.Seq(), tt.typ, tt.checksum, tt.id, tt.seq)
			}
			if string(h.Payload()) != tt.payload {
				t.Errorf("Payload() = %q, want %q", h.Payload(), tt.payload)
			}
		})
	}
}

func TestHeaderConstruct(t *testing.T) {
	tests := []struct {
		typ  uint8
		want []byte
	}{
		{TypeEchoRequest, goldenEcho},
		{TypeEchoReply, goldenEchoReply},
	}
	for _, tt := range tests {
		buf := bytes.Repeat([]byte{0xa5}, len(tt.want))
		copy(buf[HeaderLen:], "abcdefgh")
		Header(buf).EncodeEcho(tt.typ, 0x1234, 1)
		if !bytes.Equal(buf, tt.want) {
			t.Errorf("EncodeEcho(%d) (-want +got):\n-% x\n+% x", tt.typ, tt.want, buf)
		}
	}
}

// TestNextHopMTU decodes a "fragmentation needed" error (RFC 1191).
func TestNextHopMTU(t *testing.T) {
	b := []byte{TypeDestUnreach, CodeFragNeeded, 0, 0, 0, 0, 0x05, 0x78}
	Header(b).SetChecksum()
	h, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.NextHopMTU() != 1400 {
		t.Errorf("NextHopMTU() = %d, want 1400", h.NextHopMTU())
	}
}

func TestParseErrors(t *testing.T) {
	bad := append([]byte(nil), goldenEcho...)
	bad[len(bad)-1] ^= 0x01
	odd := append(append([]byte(nil), goldenEcho...), 'i') // checksum now wrong
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"type only", goldenEcho[:1]},
		{"7 bytes", goldenEcho[:7]},
		{"bad checksum", bad},
		{"byte added", odd},
		{"zero checksum field", append([]byte{8, 0, 0, 0}, goldenEcho[4:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if h, err := Parse(tt.in); err == nil {
				t.Errorf("Parse succeeded with %v, want an error", h)
			}
		})
	}
	// Odd lengths are fine once the checksum is right.
	Header(odd).SetChecksum()
	if _, err := Parse(odd); err != nil {
		t.Errorf("Parse(odd length, fixed checksum) = %v", err)
	}
	if _, err := Parse(goldenEcho[:0:0]); err == nil {
		t.Error("Parse(empty) succeeded")
	}
}

func TestHeaderString(t *testing.T) {
	unreach := []byte{TypeDestUnreach, CodePortUnreach, 0, 0, 0, 0, 0, 0}
	unreach = append(unreach, make([]byte, 28)...)
	tests := []struct {
		in   []byte
		want string
	}{
		{goldenEcho, "ICMP echo request, id 4660, seq 1, length 16"},
		{goldenEchoReply, "ICMP echo reply, id 4660, seq 1, length 16"},
		{unreach, "ICMP Destination Port Unreachable, length 36"},
		{[]byte{13, 0, 0, 0, 0, 0, 0, 0}, "ICMP type 13 code 0, length 8"},
	}
	for _, tt := range tests {
		if got := Header(tt.in).String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestTypeName(t *testing.T) {
	tests := []struct {
		typ, code uint8
		want      string
	}{
		{TypeEchoReply, 0, "echo reply"},
		{TypeEchoRequest, 0, "echo request"},
		{TypeDestUnreach, CodeNetUnreach, "Destination Net Unreachable"},
		{TypeDestUnreach, CodeHostUnreach, "Destination Host Unreachable"},
		{TypeDestUnreach, CodeProtoUnreach, "Destination Protocol Unreachable"},
		{TypeDestUnreach, CodePortUnreach, "Destination Port Unreachable"},
		{TypeDestUnreach, CodeFragNeeded, "Frag needed and DF set"},
		{TypeDestUnreach, 13, "Dest Unreachable, Bad Code: 13"},
		{TypeTimeExceeded, CodeTTLExceeded, "Time to live exceeded"},
		{TypeTimeExceeded, CodeReasmExceeded, "Frag reassembly time exceeded"},
		{TypeParamProblem, 0, "Parameter problem"},
		{5, 1, "type 5 code 1"},
	}
	for _, tt := range tests {
		if got := TypeName(tt.typ, tt.code); got != tt.want {
			t.Errorf("TypeName(%d, %d) = %q, want %q", tt.typ, tt.code, got, tt.want)
		}
	}
	if got := (&ErrorReport{Type: TypeDestUnreach, Code: CodeHostUnreach}).String(); got != "Destination Host Unreachable" {
		t.Errorf("ErrorReport.String() = %q", got)
	}
}

// TestHeaderGopacket decodes our echo messages with gopacket and compares
// the checksum gopacket computes for the same message.
func TestHeaderGopacket(t *testing.T) {
	for _, size := range []int{0, 1, 7, 56, 1472} {
		for _, typ := range []uint8{TypeEchoRequest, TypeEchoReply} {
			msg := make([]byte, HeaderLen+size)
			for i := HeaderLen; i < len(msg); i++ {
				msg[i] = byte(i * 3)
			}
			Header(msg).EncodeEcho(typ, 0xbeef, uint16(size))
			var g layers.ICMPv4
			if err := g.DecodeFromBytes(msg, gopacket.NilDecodeFeedback); err != nil {
				t.Fatalf("gopacket: %v", err)
			}
			if g.TypeCode.Type() != typ || g.TypeCode.Code() != 0 || g.Id != 0xbeef || g.Seq != uint16(size) || len(g.Payload) != size {
				t.Errorf("size %d type %d: gopacket decoded %v id %#x seq %d payload %d", size, typ, g.TypeCode, g.Id, g.Seq, len(g.Payload))
			}
			ours := g.Checksum
			sb := gopacket.NewSerializeBuffer()
			if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{ComputeChecksums: true}, &g, gopacket.Payload(g.Payload)); err != nil {
				t.Fatal(err)
			}
			if g.Checksum != ours {
				t.Errorf("size %d type %d: checksum ours %#04x, gopacket %#04x", size, typ, ours, g.Checksum)
			}
			if !bytes.Equal(sb.Bytes(), msg) {
				t.Errorf("size %d type %d: gopacket re-encoding differs (-ours +gopacket):\n-% x\n+% x", size, typ, msg, sb.Bytes())
			}
		}
	}
	// And a message gopacket builds parses here.
	g := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodeHost)}
	sb := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{ComputeChecksums: true}, g, gopacket.Payload(make([]byte, 28))); err != nil {
		t.Fatal(err)
	}
	h, err := Parse(sb.Bytes())
	if err != nil || h.Type() != TypeDestUnreach || h.Code() != CodeHostUnreach {
		t.Errorf("Parse(gopacket's unreachable) = %v, %v", h, err)
	}
}

// FuzzICMPParse checks that Parse never panics, accepts exactly the
// messages of 8 bytes or more whose checksum verifies, and that an accepted
// echo re-encodes from its fields to the same bytes.
func FuzzICMPParse(f *testing.F) {
	// Echo request with 8 data bytes.
	f.Add(append([]byte(nil), goldenEcho...))
	// Echo reply.
	f.Add(append([]byte(nil), goldenEchoReply...))
	// Port unreachable quoting a UDP header (checksum fixed in the target).
	f.Add(append([]byte{3, 3, 0, 0, 0, 0, 0, 0, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}, make([]byte, 8)...))
	// Header only, odd length, and a runt.
	f.Add([]byte{8, 0, 0xf7, 0xff, 0, 0, 0, 0})
	f.Add([]byte{8, 0, 0xf7, 0xfe, 0, 0, 0, 0, 1})
	f.Add([]byte{8, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(b []byte) {
			h, err := Parse(b)
			if valid := len(b) >= HeaderLen && ip.Checksum(b, 0) == 0; (err == nil) != valid {
				t.Fatalf("Parse error = %v, want valid=%v", err, valid)
			}
			if err != nil {
				return
			}
			_ = h.String()
			_ = h.NextHopMTU()
			_, _ = ip.ParseQuoted(h.Payload())
			if h.Type() == TypeEchoRequest || h.Type() == TypeEchoReply {
				if h.Code() != 0 {
					return
				}
				out := append(Header(nil), h...)
				out.EncodeEcho(h.Type(), h.ID(), h.Seq())
				if binary.BigEndian.Uint16(out[offChecksum:]) != h.Checksum() && !(h.Checksum() == 0xffff || h.Checksum() == 0) {
					t.Fatalf("re-encoded echo checksum %#04x, original %#04x", out.Checksum(), h.Checksum())
				}
				if _, err := Parse(out); err != nil {
					t.Fatalf("re-encoded echo does not parse: %v", err)
				}
			}
		}
		check(b)
		// Most random inputs fail the checksum; try each with it made right.
		if len(b) >= HeaderLen {
			fixed := append(Header(nil), b...)
			fixed.SetChecksum()
			check(fixed)
		}
	})
}
