// Package vnettest builds the frames the tests of checksum offload need:
// a UDP datagram as the stack would send it, and the same datagram as the
// kernel hands it over with checksum offload (the checksum partial).
package vnettest

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/gotapip/gotapip/internal/checksum"
	"github.com/gotapip/gotapip/udp"
)

// The addresses of UDPFrames' datagram.
var (
	UDPSrc = netip.MustParseAddr("10.77.0.2")
	UDPDst = netip.MustParseAddr("10.77.0.1")
)

// UDPFrames returns an Ethernet + IPv4 + UDP frame carrying payload with
// its checksum complete (udp.Header.Encode), the same frame as the kernel
// hands it over with checksum offload (the field holds the folded sum of
// the pseudo-header, uncomplemented), and where the checksum starts and
// goes (csum_start, csum_offset).
func UDPFrames(payload []byte) (complete, partial []byte, start, offset int) {
	ulen := udp.HeaderLen + len(payload)
	f := make([]byte, 14+20+ulen)
	copy(f, []byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00})
	ih := f[14:34]
	ih[0], ih[8], ih[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ih[2:], uint16(20+ulen))
	copy(ih[12:], UDPSrc.AsSlice())
	copy(ih[16:], UDPDst.AsSlice())
	binary.BigEndian.PutUint16(ih[10:], checksum.Checksum(ih, 0))
	uh := udp.Header(f[34:])
	copy(uh.Payload(), payload)
	uh.Encode(udp.Fields{SrcPort: 4000, DstPort: 9, Src: UDPSrc, Dst: UDPDst})

	partial = bytes.Clone(f)
	var ph [12]byte
	copy(ph[0:], UDPSrc.AsSlice())
	copy(ph[4:], UDPDst.AsSlice())
	ph[9] = 17
	binary.BigEndian.PutUint16(ph[10:], uint16(ulen))
	binary.BigEndian.PutUint16(partial[34+6:], ^checksum.Checksum(ph[:], 0))
	return f, partial, 34, 6
}
