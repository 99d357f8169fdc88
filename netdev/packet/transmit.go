//go:build linux

package packet

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/vnet"
)

// ErrFrameTooLarge is wrapped by WriteFrame's error for a frame longer
// than the interface's MTU at Open allows (MaxFrame); it also wraps
// EMSGSIZE.
var ErrFrameTooLarge = errors.New("frame larger than the interface's MTU allows")

// WriteFrame queues frame on the tx ring; it may be called from any
// goroutine. Queued frames leave in batches, one send(2) for all of them:
//
//   - while the poller is active (it read a frame and has not yet found
//     the rx ring empty), a frame stays queued: the poller flushes before
//     it sleeps, after every rxBatch frames it reads, and when txBatch
//     frames are queued;
//   - otherwise WriteFrame flushes itself.
//
// The writer looks at active after queuing; the poller clears active
// before it flushes. Both are sequentially consistent atomics, so either
// the writer sees active cleared and flushes, or the poller's flush comes
// after the frame was queued: no frame waits while the poller sleeps.
//
// A frame beyond the MTU is refused here, as the kernel would refuse it
// at send (it does not check once the socket has a virtio_net_hdr).
// Errors of a flush this call makes are returned; a frame the kernel
// refuses is dropped and counted. When the ring is full WriteFrame flushes
// and waits for a free frame (or Close).
func (p *Packet) WriteFrame(frame []byte) error { return p.writeRing(frame, nil) }

// writeRing is WriteFrame with h, if not nil, as the frame's
// virtio_net_hdr (zeroed otherwise).
func (p *Packet) writeRing(frame []byte, h vnet.Header) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed.Load() {
		return netdev.ErrClosed
	}
	if limit := p.maxFrame(frame); len(frame) > limit {
		return fmt.Errorf("packet %s: %d-byte frame: %w (at most %d bytes, %d with an 802.1Q tag: the interface's MTU was %d at Open): %w",
			p.name, len(frame), ErrFrameTooLarge, p.mtu+ethHeaderLen, p.MaxFrame(), p.mtu, unix.EMSGSIZE)
	}
	p.txMu.Lock()
	err := p.queueLocked(frame, h)
	if err == nil && p.rings.tx.pending >= txBatch {
		err = p.flushLocked()
	}
	p.txMu.Unlock()
	if err != nil || p.active.Load() {
		return err
	}
	return p.flush()
}

// flush sends what the tx ring holds, taking txMu.
func (p *Packet) flush() error {
	p.txMu.Lock()
	defer p.txMu.Unlock()
	return p.flushLocked()
}

// queueLocked puts frame (behind h, if the ring has headers) in the next tx frame, first flushing and waiting
// while the ring is full. Errors of those flushes concern frames queued
// before this one: they are counted, not returned.
func (p *Packet) queueLocked(frame []byte, h vnet.Header) error {
	tx := &p.rings.tx
	idle := false // the last wait for room found none
	for !tx.queue(frame, h) {
		if p.closed.Load() {
			return netdev.ErrClosed
		}
		if tx.pending > 0 {
			p.flushLocked()
			continue
		}
		// Every frame is with the kernel, still in the device or its
		// queue. POLLOUT says a frame came back, or that the socket has
		// send buffer to spare, which does not free a frame: after a
		// wake that freed nothing, wait a millisecond at a time.
		events, timeout := int16(unix.POLLOUT), -1
		if idle {
			events, timeout = 0, 1
		}
		revents, err := p.wait(events, timeout)
		if err != nil {
			return err
		}
		if revents&unix.POLLERR != 0 { // else poll(2) would return at once again
			if err := sockError(p.fd); err != nil {
				return p.sendError(err)
			}
		}
		idle = !tx.free()
	}
	return nil
}

// flushLocked hands every queued frame to the kernel and returns once none
// is left queued (or on Close). It drops the frames the kernel refuses
// and, when the interface is down or gone, every queued frame; the first
// error is returned.
func (p *Packet) flushLocked() error {
	tx := &p.rings.tx
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	for tx.pending > 0 && !p.closed.Load() {
		err := send(p.fd)
		p.stats.TxFlushes.Add(1)
		taken, refused := tx.reap()
		switch {
		case refused:
			// The kernel stops at a frame it refuses, and would stop
			// there again on every send: drop it (EMSGSIZE: beyond an
			// MTU lowered since Open, without a virtio_net_hdr; EINVAL:
			// a bad header).
			keep(fmt.Errorf("packet %s: %d-byte frame refused by the kernel, dropped: %w", p.name, tx.headLen(), err))
			p.stats.TxWrongFormat.Add(1)
			tx.dropHead()
		case err == nil && taken > 0, err == unix.EINTR:
		case err == unix.EAGAIN:
			// No send buffer: wait for the device to return some.
			if _, err := p.wait(unix.POLLOUT, -1); err != nil {
				keep(err)
				return first
			}
		case err == unix.ENOBUFS:
			keep(fmt.Errorf("packet %s: transmit queue full, frame dropped: %w", p.name, err))
			p.stats.TxDropped.Add(1)
			tx.dropHead()
		case err == unix.ENETDOWN:
			p.stats.TxDropped.Add(uint64(tx.discard()))
			keep(p.sendError(err))
		case err == nil:
			// The kernel took nothing and reported nothing: its head is not
			// where ours is. Never seen; drop rather than spin.
			n := tx.discard()
			p.stats.TxDropped.Add(uint64(n))
			keep(fmt.Errorf("packet %s: tx ring out of step with the kernel, %d frames dropped", p.name, n))
		default:
			p.stats.TxDropped.Add(uint64(tx.discard()))
			keep(p.sendError(err))
		}
	}
	return first
}

// sendError says what a send(2) error, or a pending socket error, means.
func (p *Packet) sendError(err error) error {
	switch err {
	case unix.ENETDOWN:
		return fmt.Errorf("packet %s: interface is down (ip link set %s up): %w", p.name, p.name, err)
	case unix.ENXIO: // the socket's interface was unregistered
		return fmt.Errorf("packet %s: send: %w: %w", p.name, netdev.ErrGone, err)
	}
	return fmt.Errorf("packet %s: send: %w", p.name, err)
}
