// Package vnet is the struct virtio_net_hdr (linux/virtio_net.h) that
// comes with every frame on an AF_PACKET socket with PACKET_VNET_HDR and
// on a macvtap (or a TAP with IFF_VNET_HDR), as between a virtio-net
// device and its driver. The tap, packet and macvtap drivers share it: a
// frame's header may say its checksum is partial (checksum offload) or
// describe a GSO super-frame, a TCP segment of up to 64 KB that the
// kernel cuts into MSS-sized pieces (on transmit) or joined from them (on
// receive).
//
// The legacy header, in host byte order (what the kernel uses unless told
// otherwise with TUNSETVNETLE/BE):
//
//	 0      7 8     15 16                            31
//	+--------+--------+--------------------------------+
//	| flags  |gso_type|            hdr_len             |
//	+--------+--------+--------------------------------+
//	|    gso_size     |          csum_start            |
//	+-----------------+--------------------------------+
//	|   csum_offset   |
//	+-----------------+
//
//	flags     VIRTIO_NET_HDR_F_NEEDS_CSUM (1): the checksum at csum_start +
//	          csum_offset holds only the pseudo-header's sum; finish it.
//	          VIRTIO_NET_HDR_F_DATA_VALID (2): the kernel checked it
//	gso_type  VIRTIO_NET_HDR_GSO_NONE (0), TCPV4 (1), UDP_L4 (5); ECN
//	          (0x80) added: the first piece carries CWR
//	hdr_len   GSO only: the headers' length (Ethernet to TCP), a hint
//	gso_size  GSO only: the payload bytes of each piece (the MSS)
//	csum_start  where the checksum starts, counted from the Ethernet header
//	csum_offset where it goes, counted from csum_start
package vnet

import (
	"encoding/binary"

	"github.com/gotapip/gotapip/internal/checksum"
)

// HeaderLen is the size of the legacy virtio_net_hdr.
const HeaderLen = 10

const (
	flagsAt      = 0
	gsoTypeAt    = 1
	hdrLenAt     = 2
	gsoSizeAt    = 4
	csumStartAt  = 6
	csumOffsetAt = 8

	// FlagNeedsCsum is VIRTIO_NET_HDR_F_NEEDS_CSUM.
	FlagNeedsCsum = 1
	// FlagDataValid is VIRTIO_NET_HDR_F_DATA_VALID: the kernel verified
	// the checksum (received frames only).
	FlagDataValid = 2

	// GSONone is VIRTIO_NET_HDR_GSO_NONE: not a super-frame.
	GSONone = 0
	// GSOTCPv4 is VIRTIO_NET_HDR_GSO_TCPV4: TCP over IPv4, cut at gso_size.
	GSOTCPv4 = 1
	// GSOUDPL4 is VIRTIO_NET_HDR_GSO_UDP_L4: UDP datagrams of gso_size
	// each (USO); the stack does not ask for them (doc/decisions.md).
	GSOUDPL4 = 5
	// GSOECN is VIRTIO_NET_HDR_GSO_ECN, or-ed into gso_type: the
	// super-frame's first piece carries CWR.
	GSOECN = 0x80
)

var ne = binary.NativeEndian // the legacy header is in host byte order

// Header is a view of a virtio_net_hdr; it must hold HeaderLen bytes.
type Header []byte

func (h Header) Flags() uint8        { return h[flagsAt] }
func (h Header) GSOType() uint8      { return h[gsoTypeAt] }
func (h Header) HdrLen() int         { return int(ne.Uint16(h[hdrLenAt:])) }
func (h Header) GSOSize() int        { return int(ne.Uint16(h[gsoSizeAt:])) }
func (h Header) CsumStart() int      { return int(ne.Uint16(h[csumStartAt:])) }
func (h Header) CsumOffset() int     { return int(ne.Uint16(h[csumOffsetAt:])) }
func (h Header) IsGSO() bool         { return h.GSOType() != GSONone }
func (h Header) NeedsChecksum() bool { return h.Flags()&FlagNeedsCsum != 0 }
func (h Header) DataValid() bool     { return h.Flags()&FlagDataValid != 0 }

// IsTCPv4GSO reports a TCP-over-IPv4 super-frame (ECN or not) with a
// piece size: the one kind the stack takes whole.
func (h Header) IsTCPv4GSO() bool {
	return h.GSOType()&^GSOECN == GSOTCPv4 && h.GSOSize() > 0
}

// SetGSO makes the header, filled by Set, describe a super-frame:
// gsoType, the headers' length and each piece's payload size.
func (h Header) SetGSO(gsoType uint8, hdrLen, gsoSize uint16) {
	h[gsoTypeAt] = gsoType
	ne.PutUint16(h[hdrLenAt:], hdrLen)
	ne.PutUint16(h[gsoSizeAt:], gsoSize)
}

// Set fills the header: flags, gso_type, csum_start and csum_offset; the
// GSO lengths are zeroed. A zero header asks for no offload.
func (h Header) Set(flags, gsoType uint8, csumStart, csumOffset uint16) {
	clear(h[:HeaderLen])
	h[flagsAt], h[gsoTypeAt] = flags, gsoType
	ne.PutUint16(h[csumStartAt:], csumStart)
	ne.PutUint16(h[csumOffsetAt:], csumOffset)
}

// Verdict is what Receive found.
type Verdict uint8

const (
	OK      Verdict = iota // a frame to pass up, its checksum finished if it was partial
	GSO                    // a GSO super-frame: nobody segmented it; drop and count
	BadCsum                // NEEDS_CSUM with the checksum outside the frame; drop and count
)

// Receive checks a received frame against its header h: a GSO super-frame
// is refused; a checksum the sender left partial is finished in place.
func Receive(h Header, frame []byte) Verdict {
	if h.IsGSO() {
		return GSO
	}
	if !FinishChecksum(h, frame) {
		return BadCsum
	}
	return OK
}

// Checksum offload on receive. A frame sent by the local kernel (over a
// veth pair, or by a process on this host) may leave its UDP or TCP
// checksum for the "hardware" (skb CHECKSUM_PARTIAL): the checksum field
// holds only the sum of the pseudo-header. The header says so
// (NEEDS_CSUM) and where the checksum goes; the driver finishes it as a
// NIC with checksum offload would, so the stack receives complete frames.

// FinishChecksum finishes the frame's checksum if its header h asks for
// it. It reports false, changing nothing, when the header points the
// checksum outside the frame.
func FinishChecksum(h Header, frame []byte) bool {
	if !h.NeedsChecksum() {
		return true
	}
	return CompleteChecksum(frame, h.CsumStart(), h.CsumOffset())
}

// CompleteChecksum does what checksum-offload hardware does, knowing
// nothing of the protocols: it takes the Internet checksum of frame from
// start (counted from the Ethernet header) to its end and stores it at
// start+offset. The field there is inside the sum, and holds the partial
// sum the sender left (the pseudo-header's), which so seeds the result. A
// result of 0 is stored as 0xffff, as the kernel does in software
// (skb_checksum_help): the same in ones' complement, and for UDP 0 would
// mean "no checksum". It reports false, changing nothing, when the field
// does not lie within frame.
//
// netdev.Transmit calls it too, to finish in software a checksum the stack
// left partial for a device that turned out not to take it.
func CompleteChecksum(frame []byte, start, offset int) bool {
	at := start + offset
	if start < 0 || offset < 0 || at > len(frame)-2 {
		return false
	}
	c := checksum.Checksum(frame[start:], 0)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(frame[at:], c)
	return true
}
