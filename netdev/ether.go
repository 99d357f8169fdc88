package netdev

import (
	"encoding/binary"
	"fmt"
)

// Ethernet II header (IEEE 802.3 with the DIX type field; RFC 894):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                Destination MAC address (6 octets)             |
//	+                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                               |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//	|                   Source MAC address (6 octets)               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           EtherType           |  Payload (46-1500 octets) ...
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The frame check sequence is added and stripped by the hardware (or TAP).

const (
	EthernetHeaderLen = 14
	// EthernetMinFrame is the shortest frame on the wire without the FCS;
	// shorter frames are padded on output.
	EthernetMinFrame = 60
	// EthernetMaxMTU bounds the MTU a device may be given: the largest
	// payload our receive buffers hold.
	EthernetMaxMTU = 9000

	EtherTypeIPv4 uint16 = 0x0800
	EtherTypeARP  uint16 = 0x0806
	EtherTypeIPv6 uint16 = 0x86dd
)

// Named byte ranges of the header.
const (
	ethDst  = 0
	ethSrc  = 6
	ethType = 12
)

// Ethernet is a view of an Ethernet II header at the start of a frame.
// Construct it with ParseEthernet (which checks the length) or over a buffer
// known to hold EthernetHeaderLen bytes; accessors never check again.
type Ethernet []byte

// ParseEthernet returns a view of frame's header, or an error if frame is too
// short to hold one.
func ParseEthernet(frame []byte) (Ethernet, error) {
	if len(frame) < EthernetHeaderLen {
		return nil, fmt.Errorf("ethernet: frame of %d bytes is shorter than the %d-byte header", len(frame), EthernetHeaderLen)
	}
	return Ethernet(frame[:EthernetHeaderLen]), nil
}

func (e Ethernet) Dst() MAC          { return MAC(e[ethDst : ethDst+6]) }
func (e Ethernet) Src() MAC          { return MAC(e[ethSrc : ethSrc+6]) }
func (e Ethernet) EtherType() uint16 { return binary.BigEndian.Uint16(e[ethType:]) }

func (e Ethernet) SetDst(m MAC)          { copy(e[ethDst:], m[:]) }
func (e Ethernet) SetSrc(m MAC)          { copy(e[ethSrc:], m[:]) }
func (e Ethernet) SetEtherType(t uint16) { binary.BigEndian.PutUint16(e[ethType:], t) }

// String prints the header on one line, as tcpdump -e does.
func (e Ethernet) String() string {
	return fmt.Sprintf("%s > %s, ethertype %s", e.Src(), e.Dst(), EtherTypeName(e.EtherType()))
}

// EtherTypeName names the EtherTypes this stack knows.
func EtherTypeName(t uint16) string {
	switch t {
	case EtherTypeIPv4:
		return "IPv4 (0x0800)"
	case EtherTypeARP:
		return "ARP (0x0806)"
	case EtherTypeIPv6:
		return "IPv6 (0x86dd)"
	}
	return fmt.Sprintf("0x%04x", t)
}
