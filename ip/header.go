package ip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// IPv4 header, RFC 791 section 3.1:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version|  IHL  |Type of Service|          Total Length         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Identification        |Flags|      Fragment Offset    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Time to Live |    Protocol   |         Header Checksum       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       Source Address                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Destination Address                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Options                    |    Padding    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// IHL counts 32-bit words (5 to 15); Total Length counts the header and
// data in bytes. Flags: bit 0 reserved, DF (don't fragment), MF (more
// fragments). The fragment offset counts 8-byte units.

const (
	HeaderLen    = 20 // without options
	MaxHeaderLen = 60
	Version      = 4
	DefaultTTL   = 64 // Linux net.ipv4.ip_default_ttl
	MaxDatagram  = 65535

	FlagDF = 0x4000 // don't fragment
	FlagMF = 0x2000 // more fragments

	fragOffsetMask = 0x1fff
)

// Protocol numbers (IANA) this stack knows.
const (
	ProtoICMP = 1
	ProtoTCP  = 6
	ProtoUDP  = 17
)

// Named byte offsets in the header.
const (
	offVersionIHL = 0
	offTOS        = 1
	offTotalLen   = 2
	offID         = 4
	offFlagsFrag  = 6
	offTTL        = 8
	offProtocol   = 9
	offChecksum   = 10
	offSrc        = 12
	offDst        = 16
)

// Header is a view of an IPv4 header at the start of a datagram. Parse
// checks it once; after that no accessor can panic.
type Header []byte

// Errors Parse wraps, so callers can count drops by reason.
var (
	ErrTruncated   = errors.New("truncated")
	ErrBadVersion  = errors.New("not IPv4")
	ErrBadIHL      = errors.New("bad header length")
	ErrBadLength   = errors.New("bad total length")
	ErrBadChecksum = errors.New("bad header checksum")
)

// Parse validates the IPv4 header at the start of b: version 4, IHL >= 5,
// header and total length within b, header checksum. It returns the header
// view (IHL*4 bytes). The datagram is b[:h.TotalLen()]; bytes past it are
// link-layer padding.
func Parse(b []byte) (Header, error) { return parse(b, true) }

// ParseQuoted validates the header quoted inside an ICMP error: as Parse,
// except that the datagram behind it may be cut short (RFC 792 quotes the
// header and only 8 bytes of data).
func ParseQuoted(b []byte) (Header, error) { return parse(b, false) }

func parse(b []byte, whole bool) (Header, error) {
	h, err := View(b)
	if err != nil {
		return nil, err
	}
	if v := b[0] >> 4; v != Version {
		return nil, fmt.Errorf("ip: version %d: %w", v, ErrBadVersion)
	}
	hlen := h.IHL()
	if tl := h.TotalLen(); tl < hlen || (whole && tl > len(b)) {
		return nil, fmt.Errorf("ip: total length %d (header %d, have %d bytes): %w", tl, hlen, len(b), ErrBadLength)
	}
	if Checksum(h, 0) != 0 {
		return nil, fmt.Errorf("ip: checksum 0x%04x: %w", h.Checksum(), ErrBadChecksum)
	}
	return h, nil
}

// View checks only what the accessors need (a whole header of IHL words)
// and returns the header; it is for printing packets that may be broken.
// Use Parse to accept a datagram.
func View(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return nil, fmt.Errorf("ip: %d bytes: %w", len(b), ErrTruncated)
	}
	hlen := int(b[0]&0x0f) * 4
	if hlen < HeaderLen || hlen > len(b) {
		return nil, fmt.Errorf("ip: IHL %d words in %d bytes: %w", hlen/4, len(b), ErrBadIHL)
	}
	return Header(b[:hlen]), nil
}

func (h Header) IHL() int         { return int(h[offVersionIHL]&0x0f) * 4 }
func (h Header) TOS() uint8       { return h[offTOS] }
func (h Header) TotalLen() int    { return int(binary.BigEndian.Uint16(h[offTotalLen:])) }
func (h Header) ID() uint16       { return binary.BigEndian.Uint16(h[offID:]) }
func (h Header) TTL() uint8       { return h[offTTL] }
func (h Header) Protocol() uint8  { return h[offProtocol] }
func (h Header) Checksum() uint16 { return binary.BigEndian.Uint16(h[offChecksum:]) }
func (h Header) Src() netip.Addr  { return netip.AddrFrom4([4]byte(h[offSrc : offSrc+4])) }
func (h Header) Dst() netip.Addr  { return netip.AddrFrom4([4]byte(h[offDst : offDst+4])) }
func (h Header) Options() []byte  { return h[HeaderLen:h.IHL()] }
func (h Header) flagsFrag() uint16 {
	return binary.BigEndian.Uint16(h[offFlagsFrag:])
}

// DF and MF report the fragmentation flags.
func (h Header) DF() bool { return h.flagsFrag()&FlagDF != 0 }
func (h Header) MF() bool { return h.flagsFrag()&FlagMF != 0 }

// FragOffset is the fragment's offset in bytes.
func (h Header) FragOffset() int { return int(h.flagsFrag()&fragOffsetMask) * 8 }

// IsFragment reports whether the datagram is one piece of a larger one.
func (h Header) IsFragment() bool { return h.MF() || h.FragOffset() != 0 }

func (h Header) SetTotalLen(n int)    { binary.BigEndian.PutUint16(h[offTotalLen:], uint16(n)) }
func (h Header) SetTTL(ttl uint8)     { h[offTTL] = ttl }
func (h Header) SetChecksum(c uint16) { binary.BigEndian.PutUint16(h[offChecksum:], c) }
func (h Header) SetSrc(a netip.Addr)  { a4 := a.As4(); copy(h[offSrc:], a4[:]) }
func (h Header) SetDst(a netip.Addr)  { a4 := a.As4(); copy(h[offDst:], a4[:]) }

// SetFragment sets the offset (bytes, a multiple of 8) and MF, keeping DF.
func (h Header) SetFragment(offset int, more bool) {
	v := h.flagsFrag()&FlagDF | uint16(offset/8)&fragOffsetMask
	if more {
		v |= FlagMF
	}
	binary.BigEndian.PutUint16(h[offFlagsFrag:], v)
}

// UpdateChecksum recomputes the header checksum from scratch, over the IHL
// words of the header only, however long the slice h is.
func (h Header) UpdateChecksum() {
	h.SetChecksum(0)
	h.SetChecksum(Checksum(h[:h.IHL()], 0))
}

// DecrementTTL lowers the TTL by one and patches the checksum incrementally
// (RFC 1624), as a router does.
func (h Header) DecrementTTL() {
	old := binary.BigEndian.Uint16(h[offTTL:])
	h[offTTL]--
	h.SetChecksum(UpdateChecksum(h.Checksum(), old, binary.BigEndian.Uint16(h[offTTL:])))
}

// Fields are the values of a header to build (gVisor's IPv4Fields).
type Fields struct {
	TOS      uint8
	TotalLen int
	ID       uint16
	DF       bool
	TTL      uint8
	Protocol uint8
	Src, Dst netip.Addr
}

// Encode writes a 20-byte header (no options) with a valid checksum into the
// first HeaderLen bytes of h.
func (h Header) Encode(f Fields) {
	h = h[:HeaderLen]
	h[offVersionIHL] = Version<<4 | HeaderLen/4
	h[offTOS] = f.TOS
	h.SetTotalLen(f.TotalLen)
	binary.BigEndian.PutUint16(h[offID:], f.ID)
	var ff uint16
	if f.DF {
		ff = FlagDF
	}
	binary.BigEndian.PutUint16(h[offFlagsFrag:], ff)
	h[offTTL] = f.TTL
	h[offProtocol] = f.Protocol
	h.SetSrc(f.Src)
	h.SetDst(f.Dst)
	h.UpdateChecksum()
}

// String prints the header on one line, tcpdump style.
func (h Header) String() string {
	s := fmt.Sprintf("IP %s > %s: %s, ttl %d, id %d, len %d", h.Src(), h.Dst(),
		ProtocolName(h.Protocol()), h.TTL(), h.ID(), h.TotalLen())
	if h.IsFragment() {
		s += fmt.Sprintf(", frag offset %d", h.FragOffset())
		if h.MF() {
			s += " +MF"
		}
	}
	if h.DF() {
		s += " DF"
	}
	return s
}

// ProtocolName names an IP protocol number.
func ProtocolName(p uint8) string {
	switch p {
	case ProtoICMP:
		return "ICMP"
	case ProtoTCP:
		return "TCP"
	case ProtoUDP:
		return "UDP"
	}
	return fmt.Sprintf("proto %d", p)
}
