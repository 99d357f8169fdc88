package main

// The virtio-net header a TAP opened with IFF_VNET_HDR puts in front of
// every frame (struct virtio_net_hdr, linux/include/uapi/linux/virtio_net.h;
// little-endian since virtio 1.0, which is what TUN uses by default):
//
//	 0               1               2               3
//	+---------------+---------------+-------------------------------+
//	|     flags     |   gso_type    |            hdr_len            |
//	+---------------+---------------+-------------------------------+
//	|           gso_size            |          csum_start           |
//	+-------------------------------+-------------------------------+
//	|          csum_offset          |
//	+-------------------------------+
//
// flags NEEDS_CSUM: the transport checksum is partial (pseudo-header sum
// only); the kernel finishes it from csum_start, storing at
// csum_start+csum_offset. gso_type TCPV4: the frame is one TCP segment
// larger than the MSS, to be cut into gso_size-byte segments.

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

const (
	vnetHdrLen = 10

	vnetFlagNeedsCsum = 1
	vnetGSOTCPv4      = 1

	vnetOffFlags      = 0
	vnetOffGSOType    = 1
	vnetOffHdrLen     = 2
	vnetOffGSOSize    = 4
	vnetOffCsumStart  = 6
	vnetOffCsumOffset = 8
)

// vnetHeaderFor fills h for an outgoing packet from the GSO options
// gVisor's TCP set on it. Packets without GSO options (ARP, ICMP, a
// listener's SYN-ACK or RST) carry full checksums and an all-zero header.
// The stack registers IPv4 only, so TCPv6 GSO never reaches here.
func vnetHeaderFor(h *[vnetHdrLen]byte, pkt *stack.PacketBuffer) {
	*h = [vnetHdrLen]byte{}
	gso := pkt.GSOOptions
	if gso.Type == stack.GSONone {
		return
	}
	binary.LittleEndian.PutUint16(h[vnetOffHdrLen:], uint16(pkt.HeaderSize()))
	if gso.NeedsCsum {
		h[vnetOffFlags] = vnetFlagNeedsCsum
		binary.LittleEndian.PutUint16(h[vnetOffCsumStart:], header.EthernetMinimumSize+gso.L3HdrLen)
		binary.LittleEndian.PutUint16(h[vnetOffCsumOffset:], gso.CsumOffset)
	}
	if gso.Type == stack.GSOTCPv4 && pkt.Data().Size() > int(gso.MSS) {
		h[vnetOffGSOType] = vnetGSOTCPv4
		binary.LittleEndian.PutUint16(h[vnetOffGSOSize:], gso.MSS)
	}
}
