package netdev

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gotapip/gotapip/netdev/vnet"
)

// Offloads through a driver whose frames carry a virtio_net_hdr (a TAP
// opened with IFF_VNET_HDR, AF_PACKET with PACKET_VNET_HDR): the kernel on
// the other side finishes checksums and cuts TCP super-frames of up to
// 64 KB into MSS-sized segments (TSO/GSO), and hands us the segments it
// joined (GRO, or its own TSO towards us) as one frame. The stack marks
// what it wants on the Packet (SetChecksumPartial, SetGSO) from TCP, never
// by guessing in the driver; the device turns the marks into the header.

// Offloads are what a driver's kernel side does for us, named as
// ethtool -k names them.
type Offloads struct {
	TxChecksum bool // tx-checksumming: a frame may leave with a partial checksum
	TSO        bool // tcp-segmentation-offload: TCP super-frames are cut by the kernel
	RxVnet     bool // frames are read with their virtio_net_hdr: partial checksums and super-frames come up whole (generic-receive-offload)
	GSOMaxSize int  // the largest super-frame's IP datagram; 0 without TSO
}

// String lists the offloads in force as "ethtool -k" names them, or
// "none".
func (o Offloads) String() string {
	var on []string
	if o.TxChecksum {
		on = append(on, "tx-checksumming")
	}
	if o.TSO {
		on = append(on, "tcp-segmentation-offload")
	}
	if o.RxVnet && o.TSO { // the kernel hands us super-frames only if it may hand them at all
		on = append(on, "generic-receive-offload")
	}
	if len(on) == 0 {
		return "none"
	}
	return strings.Join(on, ", ")
}

// OffloadDriver is a Driver that can write a frame behind a
// virtio_net_hdr. The device uses it whenever Offloads says TxChecksum
// or TSO, for every frame (a zero header asks for nothing).
type OffloadDriver interface {
	Driver
	// Offloads reports what the kernel side agreed to, fixed at open.
	Offloads() Offloads
	// WriteVnetFrame writes b: a virtio_net_hdr (vnet.HeaderLen bytes)
	// and the frame after it.
	WriteVnetFrame(b []byte) error
}

// VnetReader is an OffloadDriver whose Offloads say RxVnet: the poller
// reads each frame with its header, up to 64 KB long.
type VnetReader interface {
	// ReadVnetFrame reads a virtio_net_hdr and the frame after it into
	// b, returning the length of both; ReadFrame's contract otherwise.
	ReadVnetFrame(b []byte) (int, error)
}

// errNoGSO is returned for a super-frame handed to a device that cannot
// have it cut (its netem was switched on after TCP built it): dropped,
// TCP sends the data again in plain segments.
var errNoGSO = errors.New("GSO super-frame on a device without TSO now (dropped; TCP sends it again)")

// offload is a packet's offload state (on Packet): set by TCP on
// transmit, by the device on receive from the virtio_net_hdr.
type offload struct {
	partial    bool   // the checksum holds only the pseudo-header's sum
	valid      bool   // received: the kernel vouched for the checksum
	csumStart  int    // offset in buf where the checksummed range starts
	csumOffset uint16 // where the checksum field is, from csumStart
	gsoSize    uint16 // payload bytes of each piece; 0: not a super-frame
	hdrLen     uint16 // transmit: the transport header's length
}

// SetChecksumPartial records that the checksum of the range starting at
// the packet's current data (the transport header) is partial: the field
// at offset holds the pseudo-header's sum only, for the device (or, if it
// cannot, netdev in software) to finish.
func (p *Packet) SetChecksumPartial(offset int) {
	p.off.partial, p.off.csumStart, p.off.csumOffset = true, p.head, uint16(offset)
}

// SetGSO marks the packet, whose data is a transport header of hdrLen
// bytes and its payload, as a super-frame to be cut into pieces of size
// payload bytes each. Its checksum must be partial.
func (p *Packet) SetGSO(size, hdrLen int) {
	p.off.gsoSize, p.off.hdrLen = uint16(size), uint16(hdrLen)
}

// GSOSize is the payload of each piece of a super-frame (sent or
// received), or 0 for an ordinary packet.
func (p *Packet) GSOSize() int { return int(p.off.gsoSize) }

// GSOHeaderLen is the transport header's length of a super-frame (sent,
// or received whole), which every piece repeats.
func (p *Packet) GSOHeaderLen() int { return int(p.off.hdrLen) }

// ChecksumVerified reports that the packet came from a kernel that
// vouched for its transport checksum: it was left partial by the sender on
// this host (CHECKSUM_PARTIAL) or checked (DATA_VALID). Receivers skip
// summing it, as Linux does for CHECKSUM_PARTIAL and CHECKSUM_UNNECESSARY.
func (p *Packet) ChecksumVerified() bool { return p.off.valid }

// GSOSegments is how many wire segments a super-frame being sent makes;
// 1 for an ordinary packet.
func (p *Packet) GSOSegments() int {
	if p.off.gsoSize == 0 {
		return 1
	}
	payload := p.tail - p.off.csumStart - int(p.off.hdrLen)
	return max(1, (payload+int(p.off.gsoSize)-1)/int(p.off.gsoSize))
}

// GSONote describes a super-frame for debug and capture output as
// "GSO 44×1448", or "" for an ordinary packet.
func (p *Packet) GSONote() string {
	if p.off.gsoSize == 0 {
		return ""
	}
	return fmt.Sprintf("GSO %d×%d", p.GSOSegments(), p.off.gsoSize)
}

// putVnetHeader pushes the virtio_net_hdr that asks the kernel for what p
// is marked with; p's data is the whole frame.
func (p *Packet) putVnetHeader() {
	h := vnet.Header(p.Push(vnet.HeaderLen))
	frame := p.head + vnet.HeaderLen
	if !p.off.partial {
		h.Set(0, vnet.GSONone, 0, 0)
		return
	}
	start := p.off.csumStart - frame
	h.Set(vnet.FlagNeedsCsum, vnet.GSONone, uint16(start), p.off.csumOffset)
	if p.off.gsoSize > 0 {
		h.SetGSO(vnet.GSOTCPv4, uint16(start)+p.off.hdrLen, p.off.gsoSize)
	}
}

// finishChecksum completes a partial checksum in software, for a device
// that cannot take it partial; p's data is the whole frame.
func (p *Packet) finishChecksum() {
	if p.off.partial {
		vnet.CompleteChecksum(p.Data(), p.off.csumStart-p.head, int(p.off.csumOffset))
		p.off.partial = false
	}
}

// takeVnetHeader applies the virtio_net_hdr h of a received frame, now
// the packet's data, to p. It reports false for a frame the stack cannot
// take: a super-frame that is not TCP over IPv4, or a checksum placed
// outside the frame.
func (p *Packet) takeVnetHeader(h vnet.Header) bool {
	if h.IsGSO() {
		if !h.IsTCPv4GSO() || !h.NeedsChecksum() || h.GSOSize() < minGSOSize {
			return false
		}
		p.off.gsoSize = uint16(h.GSOSize())
	}
	if h.NeedsChecksum() {
		start, offset := h.CsumStart(), h.CsumOffset()
		if start+offset > p.Len()-2 {
			return false
		}
		p.off.partial, p.off.csumStart, p.off.csumOffset = true, p.head+start, uint16(offset)
		if p.off.gsoSize > 0 {
			// TCP's data offset, to count the pieces: the kernel said
			// TCPV4, and csum_start is where the TCP header begins.
			if start+tcpDataOffsetAt >= p.Len() {
				return false
			}
			p.off.hdrLen = uint16(p.Data()[start+tcpDataOffsetAt]>>4) * 4
		}
	}
	p.off.valid = h.NeedsChecksum() || h.DataValid()
	return true
}

// minGSOSize is the smallest piece a super-frame may be cut into: Linux's
// tcp_min_snd_mss. A header asking for less would have a forwarded
// super-frame cut into tens of thousands of pieces (ip/gso.go).
const minGSOSize = 48

// tcpDataOffsetAt is where TCP's data offset (its header's length in
// 32-bit words, in the high nibble) is, from the start of its header.
const tcpDataOffsetAt = 12
