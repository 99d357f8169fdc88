//go:build linux

package packet

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev/vnet"
)

// The PACKET_MMAP ABI this package uses: TPACKET_V2 rings, from
// linux/if_packet.h and Documentation/networking/packet_mmap.rst. Fields
// are in host byte order.
//
// A ring is tp_block_nr blocks of tp_block_size bytes (a multiple of the
// page size); each block holds tp_block_size/tp_frame_size frames and
// leaves the rest of the block unused, so frame i lies at
//
//	(i / framesPerBlock) * blockSize + (i % framesPerBlock) * frameSize
//
// mmap(2) of the socket maps the rx ring and, right after it, the tx ring.
// One frame (tp_frame_size bytes, a multiple of TPACKET_ALIGNMENT = 16):
//
//	 0  u32  tp_status      who owns the frame, and flags (TP_STATUS_*)
//	 4  u32  tp_len         the frame's length on the wire
//	 8  u32  tp_snaplen     how much of it is in the ring (rx)
//	12  u16  tp_mac         rx: offset of the Ethernet header in the frame
//	14  u16  tp_net         rx: offset of the network header
//	16  u32  tp_sec, tp_nsec, u16 tp_vlan_tci, tp_vlan_tpid, u8 pad[4]
//	32  struct sockaddr_ll  rx: where it came from; sll_pkttype at +10
//	52  (TPACKET2_HDRLEN)   rx: the frame follows at tp_mac, 16-aligned
//	                        network header (66 for plain Ethernet; 76
//	                        behind a virtio_net_hdr at 66)
//	32  tx: the frame to send (or its virtio_net_hdr) starts here, right
//	    after the aligned header; tp_len counts both
//
// With PACKET_VNET_HDR set (before the rings) a struct virtio_net_hdr
// (linux/virtio_net.h; legacy virtio, so host byte order) goes with each
// frame, as between a virtio-net device and its driver:
//
//	0  u8   flags          VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at
//	                       csum_start + csum_offset is partial, finish it
//	1  u8   gso_type       VIRTIO_NET_HDR_GSO_NONE (0), or a GSO super-frame
//	2  u16  hdr_len, 4 u16 gso_size: GSO only
//	6  u16  csum_start     where the checksum starts, from the Ethernet header
//	8  u16  csum_offset    where it goes, from csum_start
//
// Rx: it lies just before the frame, at tp_mac - 10 (the kernel adds 10
// to tp_net). Tx: it is the first 10 bytes at the data offset (32),
// counted in tp_len; ours is all zeros, asking for no offload.
//
// Ownership passes through tp_status. Rx: TP_STATUS_KERNEL (0) the kernel
// may fill it; TP_STATUS_USER (1) it holds a frame for us, and we hand it
// back by storing TP_STATUS_KERNEL. Tx: TP_STATUS_AVAILABLE (0) free;
// we fill it and store TP_STATUS_SEND_REQUEST; send(2) makes the kernel
// take each such frame in ring order (TP_STATUS_SENDING) and free it when
// the device is done with it; a frame it refuses is left
// TP_STATUS_WRONG_FORMAT and the kernel stops there. The kernel walks each
// ring in order from its own head, so we fill and drain them in order too.
const (
	hdrStatus  = 0
	hdrLen     = 4
	hdrSnaplen = 8
	hdrMac     = 12

	tpacketAlignment = unix.TPACKET_ALIGNMENT
	// hdrSize is TPACKET_ALIGN(sizeof(struct tpacket2_hdr)): where the
	// sockaddr_ll starts, and where a tx frame's data starts.
	hdrSize      = (unix.SizeofTpacket2Hdr + tpacketAlignment - 1) &^ (tpacketAlignment - 1)
	sllPkttype   = hdrSize + 10
	tpacket2Hlen = hdrSize + unix.SizeofSockaddrLinklayer // TPACKET2_HDRLEN
	txData       = hdrSize

	// vnetHdrLen is the size of a virtio_net_hdr (netdev/vnet).
	vnetHdrLen = vnet.HeaderLen

	// rxMacRoom bounds where the kernel puts an rx frame: tp_net is
	// TPACKET_ALIGN(TPACKET2_HDRLEN + max(link header, 16)), at most 80
	// for link headers up to 28 bytes, plus the virtio_net_hdr if any, and
	// tp_mac precedes it by the link header. So tp_mac + frame length <=
	// rxMacRoom + frame length less its link header, which rxMacRoom + the
	// largest frame covers.
	rxMacRoom = (tpacket2Hlen+28+tpacketAlignment-1)&^(tpacketAlignment-1) + vnetHdrLen

	// maxLinkHeader is Ethernet's 14 bytes plus one 802.1Q tag, which the
	// kernel allows beyond the MTU (in a frame of EtherType 802.1Q).
	ethHeaderLen   = 14
	vlanTagLen     = 4
	maxLinkHeader  = ethHeaderLen + vlanTagLen
	etherType8021Q = 0x8100

	// txOwned is the tp_status bits that mean the kernel still holds a tx
	// frame (or refused it); a frame with none of them is free.
	txOwned = unix.TP_STATUS_SEND_REQUEST | unix.TP_STATUS_SENDING | unix.TP_STATUS_WRONG_FORMAT
)

// Ring sizes. A ring holds about ringBytes, so a jumbo MTU does not make it
// huge, but never fewer than minRingFrames or more than maxRingFrames: 256
// rx and 128 tx frames of 2 KiB at MTU 1500, 768 KiB in all.
const (
	ringBytes     = 512 << 10
	minRingFrames = 64
	maxRingFrames = 256
)

// geometry is one ring's layout, as PACKET_RX_RING / PACKET_TX_RING take it.
type geometry struct {
	blockSize, blockNr int
	frameSize, frameNr int
	perBlock           int // frames in a block
}

// newGeometry lays out a ring of about frames frames, each large enough for
// a frame of the given MTU (plus Ethernet header and one VLAN tag) and the
// headers in front of it, in blocks of whole pages. A frame takes the
// block's room evenly: at MTU 1500 with 4 KiB pages two 2048-byte frames a
// block, where 1600 would have done.
func newGeometry(mtu, pageSize, frames int) (geometry, error) {
	if mtu < 68 || pageSize < tpacketAlignment || pageSize&(pageSize-1) != 0 || frames <= 0 {
		return geometry{}, fmt.Errorf("ring geometry: MTU %d, page size %d, %d frames", mtu, pageSize, frames)
	}
	need := alignUp(rxMacRoom+mtu+maxLinkHeader, tpacketAlignment)
	g := geometry{blockSize: alignUp(need, pageSize)}
	g.perBlock = g.blockSize / need
	g.frameSize = (g.blockSize / g.perBlock) &^ (tpacketAlignment - 1)
	g.blockNr = (frames + g.perBlock - 1) / g.perBlock
	g.frameNr = g.blockNr * g.perBlock
	return g, nil
}

// ringGeometries lays out the rx ring for an interface of the given MTU,
// about ringBytes within [minRingFrames, maxRingFrames] frames, and a tx
// ring of half as many frames of the same size.
func ringGeometries(mtu, pageSize int) (rx, tx geometry, err error) {
	one, err := newGeometry(mtu, pageSize, 1)
	if err != nil {
		return rx, tx, err
	}
	n := min(max(ringBytes/one.frameSize, minRingFrames), maxRingFrames)
	rx, _ = newGeometry(mtu, pageSize, n)
	tx, _ = newGeometry(mtu, pageSize, n/2)
	return rx, tx, nil
}

func alignUp(n, a int) int { return (n + a - 1) / a * a }

// size is the ring's length in the mapping.
func (g geometry) size() int { return g.blockSize * g.blockNr }

// offset is where frame i starts, relative to the ring.
func (g geometry) offset(i int) int {
	return i/g.perBlock*g.blockSize + i%g.perBlock*g.frameSize
}

// next is the frame after i, wrapping at the ring's end.
func (g geometry) next(i int) int {
	if i+1 == g.frameNr {
		return 0
	}
	return i + 1
}

func (g geometry) req() unix.TpacketReq {
	return unix.TpacketReq{
		Block_size: uint32(g.blockSize), Block_nr: uint32(g.blockNr),
		Frame_size: uint32(g.frameSize), Frame_nr: uint32(g.frameNr),
	}
}
