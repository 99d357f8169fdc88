package icmp

import (
	"encoding/binary"
	"fmt"

	"github.com/gotapip/gotapip/ip"
)

// ICMP message, RFC 792. Every message starts with type, code and checksum;
// the next four bytes depend on the type:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Identifier          |        Sequence Number        |  echo (8), echo reply (0)
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Data ...
//	+-+-+-+-+-
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     unused (0)                |  Next-hop MTU (RFC 1191)      |  errors (3, 11, 12)
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      Internet Header + 64 bits of Original Data Datagram      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The checksum covers the whole ICMP message (RFC 1071).

const HeaderLen = 8

// Message types.
const (
	TypeEchoReply      uint8 = 0
	TypeDestUnreach    uint8 = 3
	TypeEchoRequest    uint8 = 8
	TypeTimeExceeded   uint8 = 11
	TypeParamProblem   uint8 = 12
	CodeNetUnreach     uint8 = 0
	CodeHostUnreach    uint8 = 1
	CodeProtoUnreach   uint8 = 2
	CodePortUnreach    uint8 = 3
	CodeFragNeeded     uint8 = 4
	CodeTTLExceeded    uint8 = 0
	CodeReasmExceeded  uint8 = 1
	offType, offCode         = 0, 1
	offChecksum, offID       = 2, 4
	offSeq                   = 6
)

// Header is a view of an ICMP message (header and data). Parse checks it.
type Header []byte

// Parse validates the ICMP message b: long enough and a correct checksum.
func Parse(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return nil, fmt.Errorf("icmp: %d bytes, shorter than the %d-byte header", len(b), HeaderLen)
	}
	if ip.Checksum(b, 0) != 0 {
		return nil, fmt.Errorf("icmp: bad checksum 0x%04x", binary.BigEndian.Uint16(b[offChecksum:]))
	}
	return Header(b), nil
}

func (h Header) Type() uint8      { return h[offType] }
func (h Header) Code() uint8      { return h[offCode] }
func (h Header) Checksum() uint16 { return binary.BigEndian.Uint16(h[offChecksum:]) }
func (h Header) ID() uint16       { return binary.BigEndian.Uint16(h[offID:]) }
func (h Header) Seq() uint16      { return binary.BigEndian.Uint16(h[offSeq:]) }
func (h Header) Payload() []byte  { return h[HeaderLen:] }

// NextHopMTU is the MTU field of a "fragmentation needed" error (RFC 1191).
func (h Header) NextHopMTU() int { return int(binary.BigEndian.Uint16(h[offSeq:])) }

// SetChecksum computes the checksum over the whole message.
func (h Header) SetChecksum() {
	binary.BigEndian.PutUint16(h[offChecksum:], 0)
	binary.BigEndian.PutUint16(h[offChecksum:], ip.Checksum(h, 0))
}

// EncodeEcho writes an echo request or reply header into h (which must hold
// the whole message, data already in place) and its checksum.
func (h Header) EncodeEcho(typ uint8, id, seq uint16) {
	h[offType], h[offCode] = typ, 0
	binary.BigEndian.PutUint16(h[offID:], id)
	binary.BigEndian.PutUint16(h[offSeq:], seq)
	h.SetChecksum()
}

// String prints the message on one line, tcpdump style.
func (h Header) String() string {
	switch h.Type() {
	case TypeEchoRequest, TypeEchoReply:
		return fmt.Sprintf("ICMP %s, id %d, seq %d, length %d", TypeName(h.Type(), 0), h.ID(), h.Seq(), len(h))
	}
	return fmt.Sprintf("ICMP %s, length %d", TypeName(h.Type(), h.Code()), len(h))
}

// MessageName names a message type alone, as netstat -s's ICMP histogram.
func MessageName(typ uint8) string {
	switch typ {
	case TypeEchoReply:
		return "echo reply"
	case TypeDestUnreach:
		return "destination unreachable"
	case TypeEchoRequest:
		return "echo request"
	case TypeTimeExceeded:
		return "time exceeded"
	case TypeParamProblem:
		return "parameter problem"
	}
	return fmt.Sprintf("type %d", typ)
}

// TypeName names a type and code as tcpdump and ping print them.
func TypeName(typ, code uint8) string {
	switch typ {
	case TypeEchoReply:
		return "echo reply"
	case TypeEchoRequest:
		return "echo request"
	case TypeDestUnreach:
		switch code {
		case CodeNetUnreach:
			return "Destination Net Unreachable"
		case CodeHostUnreach:
			return "Destination Host Unreachable"
		case CodeProtoUnreach:
			return "Destination Protocol Unreachable"
		case CodePortUnreach:
			return "Destination Port Unreachable"
		case CodeFragNeeded:
			return "Frag needed and DF set"
		}
		return fmt.Sprintf("Dest Unreachable, Bad Code: %d", code)
	case TypeTimeExceeded:
		if code == CodeReasmExceeded {
			return "Frag reassembly time exceeded"
		}
		return "Time to live exceeded"
	case TypeParamProblem:
		return "Parameter problem"
	}
	return fmt.Sprintf("type %d code %d", typ, code)
}
