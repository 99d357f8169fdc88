//go:build linux

package packet

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// rings is the mapping of an rx and a tx ring.
type rings struct {
	mem []byte
	rx  rxRing
	tx  txRing
}

// mapRings switches fd to TPACKET_V2, with a virtio_net_hdr beside each
// frame if vnet (PACKET_VNET_HDR, which must come before the rings), asks
// for the rings ringGeometries lays out for mtu, and maps both. The kernel
// purges anything queued on the socket before and delivers every later
// frame through the ring.
func mapRings(fd, mtu int, vnet bool) (*rings, error) {
	rxG, txG, err := ringGeometries(mtu, os.Getpagesize())
	if err != nil {
		return nil, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return nil, fmt.Errorf("PACKET_VERSION TPACKET_V2: %w", err)
	}
	if vnet {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1); err != nil {
			return nil, fmt.Errorf("PACKET_VNET_HDR: %w", err)
		}
	}
	for _, r := range []struct {
		opt  int
		name string
		g    geometry
	}{{unix.PACKET_RX_RING, "PACKET_RX_RING", rxG}, {unix.PACKET_TX_RING, "PACKET_TX_RING", txG}} {
		req := r.g.req()
		if err := unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, r.opt, &req); err != nil {
			return nil, fmt.Errorf("%s (%d frames of %d bytes): %w", r.name, r.g.frameNr, r.g.frameSize, err)
		}
	}
	mem, err := unix.Mmap(fd, 0, rxG.size()+txG.size(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap of the rings (%d bytes): %w", rxG.size()+txG.size(), err)
	}
	rs := &rings{mem: mem}
	rs.rx.ring, rs.rx.vnet = ring{mem: mem[:rxG.size()], g: rxG}, vnet
	rs.tx.ring, rs.tx.vnet = ring{mem: mem[rxG.size():], g: txG}, vnet
	return rs, nil
}

// unmap releases the mapping; the rings themselves go with the socket.
func (rs *rings) unmap() error { return unix.Munmap(rs.mem) }

// send asks the kernel to transmit every frame marked for sending: one
// send(2) with no data, which never waits.
func send(fd int) error {
	return unix.Sendto(fd, nil, unix.MSG_DONTWAIT, nil)
}

// ringDrops reads and clears the kernel's count of frames it dropped for
// want of a free rx frame (PACKET_STATISTICS is clear-on-read; reading it
// also clears TP_STATUS_LOSING).
func ringDrops(fd int) uint64 {
	st, err := unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return 0
	}
	return uint64(st.Drops)
}

// sockError reads and clears the socket's pending error (SO_ERROR), which
// poll(2) reports as POLLERR: ENETDOWN when the interface goes down.
func sockError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v == 0 {
		return nil
	}
	return unix.Errno(v)
}
