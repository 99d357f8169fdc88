//go:build linux

package packet

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/vnet"
)

// Transmit offloads. The tx ring's frames carry a virtio_net_hdr, so a
// frame may leave with its checksum partial (NEEDS_CSUM): the kernel
// finishes it, or the interface does. A GSO super-frame (up to 64 KB,
// for the kernel to cut into MSS-sized segments, or to pass whole to an
// interface with TSO) does not fit a ring frame, which is sized by the
// MTU: it leaves by a second packet socket without rings, whose send(2)
// takes a virtio_net_hdr too (PACKET_VNET_HDR). Before it goes, the ring
// is flushed, so frames leave in the order they were written.
//
// Received super-frames are still dropped (Stats.RxGSO): taking them
// would need rx ring frames of 64 KB each.

// gsoMaxSize is the largest super-frame's IP datagram.
const gsoMaxSize = 65535

// openGSOSocket opens the socket super-frames leave by: bound to ifindex
// with protocol 0, so it receives nothing.
func openGSOSocket(ifindex int) (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("PACKET_VNET_HDR: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifindex}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind: %w", err)
	}
	return fd, nil
}

// Offloads are tx-checksumming and TSO when the rings carry a
// virtio_net_hdr and the second socket opened; none otherwise.
func (p *Packet) Offloads() netdev.Offloads {
	if p.gsoFd < 0 || !p.rings.tx.vnet {
		return netdev.Offloads{}
	}
	return netdev.Offloads{TxChecksum: true, TSO: true, GSOMaxSize: gsoMaxSize}
}

// WriteVnetFrame sends b, a virtio_net_hdr and its frame: through the tx
// ring as WriteFrame does, or, for a super-frame, by the second socket.
func (p *Packet) WriteVnetFrame(b []byte) error {
	if len(b) < vnet.HeaderLen {
		return fmt.Errorf("packet %s: %d bytes: shorter than a virtio_net_hdr", p.name, len(b))
	}
	h := vnet.Header(b[:vnet.HeaderLen])
	if !h.IsGSO() {
		return p.writeRing(b[vnet.HeaderLen:], h)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed.Load() {
		return netdev.ErrClosed
	}
	p.txMu.Lock()
	defer p.txMu.Unlock()
	p.flushLocked() // its errors concern other frames: counted
	return p.sendGSO(b)
}

// sendGSO sends a super-frame with its header on the second socket,
// waiting while the socket has no buffer. Called with txMu held.
func (p *Packet) sendGSO(b []byte) error {
	p.gsoTo.Protocol = htons(binary.BigEndian.Uint16(b[vnet.HeaderLen+12:]))
	for !p.closed.Load() {
		err := unix.Sendto(p.gsoFd, b, 0, &p.gsoTo)
		switch err {
		case nil:
			p.stats.TxFlushes.Add(1)
			return nil
		case unix.EINTR:
		case unix.EAGAIN:
			fds := [2]unix.PollFd{{Fd: int32(p.gsoFd), Events: unix.POLLOUT}, {Fd: int32(p.wake), Events: unix.POLLIN}}
			if _, err := unix.Poll(fds[:], -1); err != nil && err != unix.EINTR {
				return fmt.Errorf("packet %s: poll: %w", p.name, err)
			}
		case unix.ENOBUFS:
			p.stats.TxDropped.Add(1)
			return fmt.Errorf("packet %s: transmit queue full, frame dropped: %w", p.name, err)
		default:
			return p.sendError(err)
		}
	}
	return netdev.ErrClosed
}
