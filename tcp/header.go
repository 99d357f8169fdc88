package tcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gotapip/gotapip/ip"
)

// TCP header, RFC 9293 section 3.1:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          Source Port          |       Destination Port        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                        Sequence Number                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Acknowledgment Number                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Data |       |C|E|U|A|P|R|S|F|                               |
//	| Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//	|       |       |R|E|G|K|H|T|N|N|                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Checksum            |         Urgent Pointer        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           [Options]                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                                                               :
//	:                             Data                              :
//	:                                                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Data Offset counts the header with its options in 32-bit words (5 to
// 15). The checksum covers the pseudo-header below, the header and the
// data (RFC 9293 3.1); unlike UDP's it is never optional.
//
//	+--------+--------+--------+--------+
//	|           Source Address          |
//	+--------+--------+--------+--------+
//	|         Destination Address       |
//	+--------+--------+--------+--------+
//	|  zero  |  PTCL  |    TCP Length   |
//	+--------+--------+--------+--------+

const (
	HeaderLen    = 20 // without options
	MaxHeaderLen = 60 // Data Offset 15
)

// Named byte offsets in the header.
const (
	offSrcPort  = 0
	offDstPort  = 2
	offSeq      = 4
	offAck      = 8
	offDataOff  = 12
	offFlags    = 13
	offWindow   = 14
	offChecksum = 16
	offUrgent   = 18
)

// Flags are the control bits of byte 13.
type Flags uint8

const (
	FlagFIN Flags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
)

// String prints the flags as tcpdump does: "S.", "P.", "F.", "R", "none".
func (f Flags) String() string {
	var b strings.Builder
	for _, x := range []struct {
		f Flags
		c byte
	}{{FlagSYN, 'S'}, {FlagFIN, 'F'}, {FlagPSH, 'P'}, {FlagRST, 'R'}, {FlagURG, 'U'}, {FlagECE, 'E'}, {FlagCWR, 'W'}, {FlagACK, '.'}} {
		if f&x.f != 0 {
			b.WriteByte(x.c)
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// Errors Parse and Verify wrap, so the receive path can count drops by reason.
var (
	ErrTruncated   = errors.New("truncated")
	ErrBadOffset   = errors.New("bad data offset")
	ErrBadChecksum = errors.New("bad checksum")
	ErrBadOption   = errors.New("bad option")
)

// Header is a view of a TCP segment: header, options and data. Parse
// checks it once; after that no accessor can panic.
type Header []byte

// Parse validates the segment b (the whole IP payload): at least 20
// bytes and a Data Offset from 5 words to len(b). It does not check the
// checksum (see Verify) or parse the options (see Options).
func Parse(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return nil, fmt.Errorf("tcp: %d bytes, shorter than the %d-byte header: %w", len(b), HeaderLen, ErrTruncated)
	}
	off := int(b[offDataOff]>>4) * 4
	if off < HeaderLen || off > len(b) {
		return nil, fmt.Errorf("tcp: data offset %d bytes (segment %d bytes): %w", off, len(b), ErrBadOffset)
	}
	return Header(b), nil
}

func (h Header) SrcPort() uint16  { return binary.BigEndian.Uint16(h[offSrcPort:]) }
func (h Header) DstPort() uint16  { return binary.BigEndian.Uint16(h[offDstPort:]) }
func (h Header) Seq() Seq         { return Seq(binary.BigEndian.Uint32(h[offSeq:])) }
func (h Header) Ack() Seq         { return Seq(binary.BigEndian.Uint32(h[offAck:])) }
func (h Header) DataOffset() int  { return int(h[offDataOff]>>4) * 4 }
func (h Header) Flags() Flags     { return Flags(h[offFlags]) }
func (h Header) Window() uint16   { return binary.BigEndian.Uint16(h[offWindow:]) }
func (h Header) Checksum() uint16 { return binary.BigEndian.Uint16(h[offChecksum:]) }
func (h Header) Urgent() uint16   { return binary.BigEndian.Uint16(h[offUrgent:]) }
func (h Header) RawOptions() []byte {
	return h[HeaderLen:h.DataOffset()]
}
func (h Header) Payload() []byte { return h[h.DataOffset():] }

// SegLen is the sequence space the segment occupies: its data, plus one
// each for SYN and FIN (RFC 9293 3.4).
func (h Header) SegLen() int {
	n := len(h.Payload())
	if h.Flags()&FlagSYN != 0 {
		n++
	}
	if h.Flags()&FlagFIN != 0 {
		n++
	}
	return n
}

// Verify checks the checksum against the pseudo-header of src and dst.
// It does not allocate.
func (h Header) Verify(src, dst netip.Addr) error {
	if ip.Checksum(h, ip.PseudoSum(src, dst, ip.ProtoTCP, len(h))) != 0 {
		return fmt.Errorf("tcp: checksum 0x%04x: %w", h.Checksum(), ErrBadChecksum)
	}
	return nil
}

// Fields are the values of a header to build.
type Fields struct {
	SrcPort, DstPort uint16
	Seq, Ack         Seq
	Flags            Flags
	Window           uint16
	Urgent           uint16
	Src, Dst         netip.Addr // for the pseudo-header
}

// Encode writes the fixed header into h, whose options (optLen bytes,
// already in place after the first 20) and data follow, and computes the
// checksum over all of h. optLen must be a multiple of 4, at most 40. It
// does not allocate.
func (h Header) Encode(f Fields, optLen int) {
	h.encodeFields(f, optLen)
	binary.BigEndian.PutUint16(h[offChecksum:], ip.Checksum(h, ip.PseudoSum(f.Src, f.Dst, ip.ProtoTCP, len(h))))
}

// EncodePartial is Encode for a device with checksum offload: the
// checksum field holds only the pseudo-header's sum (over all of h's
// length), which the device finishes over the header and data (Linux's
// CHECKSUM_PARTIAL; for a super-frame the kernel adjusts it per piece).
func (h Header) EncodePartial(f Fields, optLen int) {
	h.encodeFields(f, optLen)
	binary.BigEndian.PutUint16(h[offChecksum:], ^ip.Checksum(nil, ip.PseudoSum(f.Src, f.Dst, ip.ProtoTCP, len(h))))
}

// encodeFields writes every field of the fixed header but the checksum,
// which it zeroes.
func (h Header) encodeFields(f Fields, optLen int) {
	binary.BigEndian.PutUint16(h[offSrcPort:], f.SrcPort)
	binary.BigEndian.PutUint16(h[offDstPort:], f.DstPort)
	binary.BigEndian.PutUint32(h[offSeq:], uint32(f.Seq))
	binary.BigEndian.PutUint32(h[offAck:], uint32(f.Ack))
	h[offDataOff] = byte((HeaderLen+optLen)/4) << 4
	h[offFlags] = byte(f.Flags)
	binary.BigEndian.PutUint16(h[offWindow:], f.Window)
	binary.BigEndian.PutUint16(h[offChecksum:], 0)
	binary.BigEndian.PutUint16(h[offUrgent:], f.Urgent)
}

// String prints the segment on one line, tcpdump style, without addresses.
func (h Header) String() string { return h.Format(netip.Addr{}, netip.Addr{}) }

// Format is String with the IP header's addresses:
// "TCP 10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 1, ack 0, win 65535, options [mss 1460,wscale 7], length 0".
func (h Header) Format(src, dst netip.Addr) string {
	if len(h) < HeaderLen || h.DataOffset() > len(h) {
		return fmt.Sprintf("TCP %s > %s: truncated, %d bytes", endpoint(src, 0), endpoint(dst, 0), len(h))
	}
	opts := ""
	if o := h.RawOptions(); len(o) > 0 {
		var parsed Options
		if err := parsed.Parse(o); err != nil {
			opts = ", options [bad]"
		} else {
			opts = ", options [" + parsed.String() + "]"
		}
	}
	return fmt.Sprintf("TCP %s > %s: Flags [%s], seq %d, ack %d, win %d%s, length %d",
		endpoint(src, h.SrcPort()), endpoint(dst, h.DstPort()), h.Flags(), uint32(h.Seq()), uint32(h.Ack()),
		h.Window(), opts, len(h.Payload()))
}

func endpoint(a netip.Addr, port uint16) string {
	if !a.IsValid() {
		return fmt.Sprint(port)
	}
	return fmt.Sprintf("%s.%d", a, port)
}
