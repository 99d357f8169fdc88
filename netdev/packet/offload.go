//go:build linux

package packet

import (
	"encoding/binary"

	"github.com/gotapip/gotapip/internal/checksum"
)

// Checksum offload on receive. A frame sent by the local kernel (over a
// veth pair, or by a process on this host) may leave its UDP or TCP
// checksum for the "hardware" (skb CHECKSUM_PARTIAL): the checksum field
// holds only the sum of the pseudo-header. The virtio_net_hdr in front of
// the frame says so (VIRTIO_NET_HDR_F_NEEDS_CSUM) and where the checksum
// goes; the driver finishes it as a NIC with checksum offload would, so
// the stack receives complete frames.

// finishChecksum finishes the frame's checksum if its virtio_net_hdr vh
// asks for it. It reports false, changing nothing, when the header points
// the checksum outside the frame.
func finishChecksum(vh, frame []byte) bool {
	if vh[vnetFlags]&vnetFNeedsCsum == 0 {
		return true
	}
	return completeChecksum(frame, int(ne.Uint16(vh[vnetCsumStart:])), int(ne.Uint16(vh[vnetCsumOffset:])))
}

// completeChecksum does what checksum-offload hardware does, knowing
// nothing of the protocols: it takes the Internet checksum of frame from
// start (counted from the Ethernet header) to its end and stores it at
// start+offset. The field there is inside the sum, and holds the partial
// sum the sender left (the pseudo-header's), which so seeds the result. A
// result of 0 is stored as 0xffff, as the kernel does in software
// (skb_checksum_help): the same in ones' complement, and for UDP 0 would
// mean "no checksum". It reports false, changing nothing, when the field
// does not lie within frame.
func completeChecksum(frame []byte, start, offset int) bool {
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
