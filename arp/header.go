package arp

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/gotapip/gotapip/netdev"
)

// ARP packet for Ethernet and IPv4, RFC 826:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   Hardware type (1=Ethernet)  | Protocol type (0x0800 = IPv4) |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| HW len (6)    | Proto len (4) |  Opcode (1 request, 2 reply)  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 Sender hardware address (6)                   |
//	+                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                               |  Sender protocol address (4)  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Sender protocol addr (cont.) |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//	|                 Target hardware address (6)                   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                  Target protocol address (4)                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Only this one variant is supported; Parse rejects any other hardware or
// protocol type or address length.

const (
	HeaderLen = 28

	OpRequest uint16 = 1
	OpReply   uint16 = 2

	hwEthernet = 1
)

// Named byte offsets.
const (
	offHType = 0
	offPType = 2
	offHLen  = 4
	offPLen  = 5
	offOp    = 6
	offSHA   = 8
	offSPA   = 14
	offTHA   = 18
	offTPA   = 24
)

// Header is a view of an Ethernet/IPv4 ARP packet. Parse checks it once.
type Header []byte

// Parse validates b as an Ethernet/IPv4 ARP request or reply.
func Parse(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return nil, fmt.Errorf("arp: %d bytes, want %d", len(b), HeaderLen)
	}
	h := Header(b[:HeaderLen])
	if ht, pt := binary.BigEndian.Uint16(h[offHType:]), binary.BigEndian.Uint16(h[offPType:]); ht != hwEthernet || pt != netdev.EtherTypeIPv4 {
		return nil, fmt.Errorf("arp: hardware type %d, protocol 0x%04x: only Ethernet/IPv4 is supported", ht, pt)
	}
	if h[offHLen] != 6 || h[offPLen] != 4 {
		return nil, fmt.Errorf("arp: address lengths %d/%d, want 6/4", h[offHLen], h[offPLen])
	}
	if op := h.Op(); op != OpRequest && op != OpReply {
		return nil, fmt.Errorf("arp: opcode %d is neither request nor reply", op)
	}
	return h, nil
}

func (h Header) Op() uint16            { return binary.BigEndian.Uint16(h[offOp:]) }
func (h Header) SenderMAC() netdev.MAC { return netdev.MAC(h[offSHA : offSHA+6]) }
func (h Header) SenderIP() netip.Addr  { return netip.AddrFrom4([4]byte(h[offSPA : offSPA+4])) }
func (h Header) TargetMAC() netdev.MAC { return netdev.MAC(h[offTHA : offTHA+6]) }
func (h Header) TargetIP() netip.Addr  { return netip.AddrFrom4([4]byte(h[offTPA : offTPA+4])) }

// Fields are the values of an ARP packet to build.
type Fields struct {
	Op                   uint16
	SenderMAC, TargetMAC netdev.MAC
	SenderIP, TargetIP   netip.Addr
}

// Encode writes a complete packet into h, which must hold HeaderLen bytes.
func (h Header) Encode(f Fields) {
	binary.BigEndian.PutUint16(h[offHType:], hwEthernet)
	binary.BigEndian.PutUint16(h[offPType:], netdev.EtherTypeIPv4)
	h[offHLen], h[offPLen] = 6, 4
	binary.BigEndian.PutUint16(h[offOp:], f.Op)
	copy(h[offSHA:], f.SenderMAC[:])
	spa, tpa := f.SenderIP.As4(), f.TargetIP.As4()
	copy(h[offSPA:], spa[:])
	copy(h[offTHA:], f.TargetMAC[:])
	copy(h[offTPA:], tpa[:])
}

// String prints the packet as tcpdump does.
func (h Header) String() string {
	if h.Op() == OpRequest {
		return fmt.Sprintf("ARP, Request who-has %s tell %s (%s)", h.TargetIP(), h.SenderIP(), h.SenderMAC())
	}
	return fmt.Sprintf("ARP, Reply %s is-at %s", h.SenderIP(), h.SenderMAC())
}
