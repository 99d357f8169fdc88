package udp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"

	"github.com/gotapip/gotapip/ip"
)

var (
	addrA = netip.MustParseAddr("10.0.0.1")
	addrB = netip.MustParseAddr("10.0.0.2")
)

// "hello" from 10.0.0.1:1234 to 10.0.0.2:7; checksum worked out by hand
// (and by a separate Python sum) over the pseudo-header.
var golden = mustHex("04d2" + "0007" + "000d" + "a326" + hex.EncodeToString([]byte("hello")))

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestDeconstruct(t *testing.T) {
	h, err := Parse(golden)
	if err != nil {
		t.Fatal(err)
	}
	if h.SrcPort() != 1234 || h.DstPort() != 7 || h.Length() != 13 || h.Checksum() != 0xa326 || string(h.Payload()) != "hello" {
		t.Errorf("fields: %d %d %d %#x %q", h.SrcPort(), h.DstPort(), h.Length(), h.Checksum(), h.Payload())
	}
	if err := h.Verify(addrA, addrB); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := h.Verify(addrA, netip.MustParseAddr("10.0.0.3")); !errors.Is(err, ErrBadChecksum) {
		t.Errorf("Verify with another destination: %v, want ErrBadChecksum", err)
	}
}

func TestConstruct(t *testing.T) {
	b := bytes.Repeat([]byte{0xa5}, len(golden)) // an unset field shows up as a5
	copy(b[HeaderLen:], "hello")
	Header(b).Encode(Fields{SrcPort: 1234, DstPort: 7, Src: addrA, Dst: addrB})
	if !bytes.Equal(b, golden) {
		t.Errorf("encoded %x, want %x", b, golden)
	}
}

// A checksum that computes to 0 goes on the wire as 0xffff (RFC 768), and
// verifies.
func TestComputedZeroChecksumIsSentAsFFFF(t *testing.T) {
	b := make([]byte, HeaderLen+2)
	Header(b).Encode(Fields{SrcPort: 1, DstPort: 2, Src: addrA, Dst: addrB})
	c := Header(b).Checksum() // with payload 0000; a payload of c makes the sum 0xffff
	binary.BigEndian.PutUint16(b[HeaderLen:], c)
	Header(b).Encode(Fields{SrcPort: 1, DstPort: 2, Src: addrA, Dst: addrB})
	if got := Header(b).Checksum(); got != 0xffff {
		t.Fatalf("checksum %#04x, want 0xffff", got)
	}
	if err := Header(b).Verify(addrA, addrB); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestZeroChecksumMeansNone(t *testing.T) {
	b := bytes.Clone(golden)
	b[6], b[7] = 0, 0
	b[HeaderLen] ^= 0xff // would not verify, but no checksum was computed
	if err := Header(b).Verify(addrA, addrB); err != nil {
		t.Errorf("Verify of a zero checksum: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	withLen := func(n int) []byte {
		b := bytes.Clone(golden)
		binary.BigEndian.PutUint16(b[4:], uint16(n))
		return b
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"7 bytes", golden[:7], ErrTruncated},
		{"length 7", withLen(7), ErrBadLength},
		{"length 0", withLen(0), ErrBadLength},
		{"length beyond data", withLen(14), ErrBadLength},
		{"length 65535", withLen(65535), ErrBadLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Parse(c.b); !errors.Is(err, c.want) {
				t.Errorf("Parse: %v, want %v", err, c.want)
			}
		})
	}
	// A length shorter than the IP payload: the excess is not UDP's.
	b := append(bytes.Clone(golden), 0xee, 0xee)
	h, err := Parse(b)
	if err != nil || len(h) != 13 || string(h.Payload()) != "hello" {
		t.Errorf("Parse with trailing bytes = %q, %v; want the 13-byte datagram", h, err)
	}
}

func TestString(t *testing.T) {
	h, _ := Parse(golden)
	if got, want := h.Format(addrA, addrB), "UDP 10.0.0.1.1234 > 10.0.0.2.7: length 5"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	if got, want := h.String(), "UDP 1234 > 7: length 5"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestEncodeVerifyAllocatesNothing(t *testing.T) {
	b := bytes.Clone(golden)
	allocs := testing.AllocsPerRun(100, func() {
		Header(b).Encode(Fields{SrcPort: 1234, DstPort: 7, Src: addrA, Dst: addrB})
		if Header(b).Verify(addrA, addrB) != nil {
			panic("bad")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
}

// FuzzUDPParse: Parse never panics; what it accepts has a Length within
// the input and at least a header; Encode then Verify round-trips.
func FuzzUDPParse(f *testing.F) {
	f.Add(golden)
	f.Add(golden[:7])                           // truncated header
	f.Add(append(golden[:4:4], 0, 7))           // length below the header
	f.Add(append(bytes.Clone(golden), 1, 2, 3)) // IP payload longer than Length
	f.Add(make([]byte, HeaderLen))              // length 0
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err != nil {
			return
		}
		if len(h) < HeaderLen || len(h) > len(b) || h.Length() != len(h) {
			t.Fatalf("accepted %d-byte view of %d bytes with length field %d", len(h), len(b), h.Length())
		}
		_ = h.Format(addrA, addrB)
		_ = h.Verify(addrA, addrB)
		c := bytes.Clone(h)
		Header(c).Encode(Fields{SrcPort: h.SrcPort(), DstPort: h.DstPort(), Src: addrA, Dst: addrB})
		if err := Header(c).Verify(addrA, addrB); err != nil {
			t.Fatalf("re-encoded datagram does not verify: %v", err)
		}
		if ip.Checksum(c, ip.PseudoSum(addrA, addrB, ip.ProtoUDP, len(c))) != 0 {
			t.Fatalf("re-encoded checksum does not sum to zero")
		}
	})
}
