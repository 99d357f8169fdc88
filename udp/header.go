package udp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gotapip/gotapip/ip"
)

// UDP header, RFC 768:
//
//	 0      7 8     15 16    23 24    31
//	+--------+--------+--------+--------+
//	|     Source      |   Destination   |
//	|      Port       |      Port       |
//	+--------+--------+--------+--------+
//	|                 |                 |
//	|     Length      |    Checksum     |
//	+--------+--------+--------+--------+
//	|
//	|          data octets ...
//	+---------------- ...
//
// Length counts the header and the data in octets (at least 8). The
// checksum is the RFC 1071 Internet checksum of the pseudo-header below,
// the UDP header and the data; 0 means "none computed" (RFC 768), so a
// computed 0 is sent as 0xffff, its ones' complement twin.
//
//	 0      7 8     15 16    23 24    31
//	+--------+--------+--------+--------+
//	|          source address           |
//	+--------+--------+--------+--------+
//	|        destination address        |
//	+--------+--------+--------+--------+
//	|  zero  |protocol|   UDP length    |
//	+--------+--------+--------+--------+

const (
	HeaderLen = 8
	// MaxPayload is the most data one datagram carries over IPv4:
	// 65535 - 20 (IPv4 header) - 8 (UDP header).
	MaxPayload = ip.MaxDatagram - ip.HeaderLen - HeaderLen
)

// Named byte offsets in the header.
const (
	offSrcPort  = 0
	offDstPort  = 2
	offLength   = 4
	offChecksum = 6
)

// Errors Parse and Verify wrap, so callers can count drops by reason.
var (
	ErrTruncated   = errors.New("truncated")
	ErrBadLength   = errors.New("bad length")
	ErrBadChecksum = errors.New("bad checksum")
)

// Header is a view of a UDP datagram: the 8-byte header and the data the
// Length field covers. Parse checks it once; after that no accessor can
// panic.
type Header []byte

// Parse validates the UDP datagram at the start of b (the IP payload): at
// least a header, and a Length field from 8 to len(b). It returns the
// datagram cut to Length bytes: bytes past it are not UDP's (RFC 768 lets
// the IP payload be longer; Linux and BSD ignore the excess the same way).
// It does not check the checksum, which needs the addresses: see Verify.
func Parse(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return nil, fmt.Errorf("udp: %d bytes, shorter than the %d-byte header: %w", len(b), HeaderLen, ErrTruncated)
	}
	n := int(binary.BigEndian.Uint16(b[offLength:]))
	if n < HeaderLen || n > len(b) {
		return nil, fmt.Errorf("udp: length field %d (have %d bytes): %w", n, len(b), ErrBadLength)
	}
	return Header(b[:n]), nil
}

func (h Header) SrcPort() uint16  { return binary.BigEndian.Uint16(h[offSrcPort:]) }
func (h Header) DstPort() uint16  { return binary.BigEndian.Uint16(h[offDstPort:]) }
func (h Header) Length() int      { return int(binary.BigEndian.Uint16(h[offLength:])) }
func (h Header) Checksum() uint16 { return binary.BigEndian.Uint16(h[offChecksum:]) }
func (h Header) Payload() []byte  { return h[HeaderLen:] }

// Verify checks the checksum against the pseudo-header of src and dst. A
// zero checksum field means the sender computed none: it passes. It does
// not allocate.
func (h Header) Verify(src, dst netip.Addr) error {
	if h.Checksum() == 0 {
		return nil
	}
	if ip.Checksum(h, ip.PseudoSum(src, dst, ip.ProtoUDP, len(h))) != 0 {
		return fmt.Errorf("udp: checksum 0x%04x: %w", h.Checksum(), ErrBadChecksum)
	}
	return nil
}

// Fields are the values of a header to build; Length is len of the view.
type Fields struct {
	SrcPort, DstPort uint16
	Src, Dst         netip.Addr // for the pseudo-header
}

// Encode writes the header into h, whose data must already be in place
// after the first HeaderLen bytes, and computes the checksum over all of
// h (always: RFC 1122 4.1.3.4 says it must be on by default). A computed
// 0 is sent as 0xffff. It does not allocate.
func (h Header) Encode(f Fields) {
	binary.BigEndian.PutUint16(h[offSrcPort:], f.SrcPort)
	binary.BigEndian.PutUint16(h[offDstPort:], f.DstPort)
	binary.BigEndian.PutUint16(h[offLength:], uint16(len(h)))
	binary.BigEndian.PutUint16(h[offChecksum:], 0)
	c := ip.Checksum(h, ip.PseudoSum(f.Src, f.Dst, ip.ProtoUDP, len(h)))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(h[offChecksum:], c)
}

// String prints the header on one line, tcpdump style, with the addresses
// of the IP header around it: "UDP 10.0.0.1.1234 > 10.0.0.2.7: length 5".
func (h Header) String() string { return h.Format(netip.Addr{}, netip.Addr{}) }

// Format is String with the source and destination addresses; invalid
// addresses are left out ("UDP 1234 > 7: length 5").
func (h Header) Format(src, dst netip.Addr) string {
	return fmt.Sprintf("UDP %s > %s: length %d", endpoint(src, h.SrcPort()), endpoint(dst, h.DstPort()), len(h)-HeaderLen)
}

func endpoint(a netip.Addr, port uint16) string {
	if !a.IsValid() {
		return fmt.Sprint(port)
	}
	return fmt.Sprintf("%s.%d", a, port)
}
