//go:build linux

package packet

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev/vnet"
)

var ne = binary.NativeEndian // the ring headers are in host byte order

// ring is one ring in the mapping: its memory and layout. The kernel
// writes this memory, so every offset and length read from it is checked
// before use.
type ring struct {
	mem []byte // this ring's part of the mapping, g.size() bytes
	g   geometry
}

// frame is frame i's bytes.
func (r *ring) frame(i int) []byte {
	off := r.g.offset(i)
	return r.mem[off : off+r.g.frameSize : off+r.g.frameSize]
}

// rxRing is the receive ring; we are its only consumer.
type rxRing struct {
	ring
	cur  int  // the next frame the kernel fills, and the next we read
	vnet bool // a virtio_net_hdr precedes each frame (PACKET_VNET_HDR)
}

// rxVerdict says what rxRing.next found.
type rxVerdict uint8

const (
	rxEmpty     rxVerdict = iota // the current frame is the kernel's: nothing to read
	rxFrame                      // a frame, copied out
	rxTruncated                  // longer than a ring frame (tp_snaplen < tp_len): dropped
	rxOutgoing                   // PACKET_OUTGOING, skipped (kernels without PACKET_IGNORE_OUTGOING)
	rxBad                        // tp_mac/tp_snaplen outside the frame: dropped
	rxGSO                        // a GSO super-frame (virtio_net_hdr gso_type set): dropped
	rxBadCsum                    // NEEDS_CSUM with csum_start/csum_offset beyond the frame: dropped
)

// next takes the current frame if the kernel has filled it: copies it into
// buf (truncated to len(buf)), hands the ring frame back and advances.
// With a virtio_net_hdr, a checksum the kernel left partial is finished in
// the ring frame first (vnet.FinishChecksum). losing reports TP_STATUS_LOSING:
// the kernel has dropped frames since its statistics were last read.
func (r *rxRing) next(buf []byte, skipOutgoing bool) (n int, v rxVerdict, losing bool) {
	f := r.frame(r.cur)
	st := loadStatus(f)
	if st&unix.TP_STATUS_USER == 0 {
		return 0, rxEmpty, false
	}
	length := ne.Uint32(f[hdrLen:])
	snap := int(ne.Uint32(f[hdrSnaplen:]))
	mac := int(ne.Uint16(f[hdrMac:]))
	minMac := tpacket2Hlen
	if r.vnet {
		minMac += vnetHdrLen
	}
	switch {
	case mac < minMac || snap > len(f)-mac:
		v = rxBad
	case r.vnet && vnet.Header(f[mac-vnetHdrLen:mac]).IsGSO():
		v = rxGSO // before rxTruncated: the reason such a frame is long
	case uint32(snap) < length:
		v = rxTruncated
	case skipOutgoing && f[sllPkttype] == unix.PACKET_OUTGOING:
		v = rxOutgoing
	case r.vnet && !vnet.FinishChecksum(f[mac-vnetHdrLen:mac], f[mac:mac+snap]):
		v = rxBadCsum
	default:
		v = rxFrame
		n = copy(buf, f[mac:mac+snap])
	}
	storeStatus(f, unix.TP_STATUS_KERNEL)
	r.cur = r.g.next(r.cur)
	return n, v, st&unix.TP_STATUS_LOSING != 0
}

// txRing is the transmit ring. Frames are queued at cur and handed to the
// kernel by send(2), which consumes them in order from its own head; head
// tracks that: slots head, head+1, ... (pending of them) hold frames marked
// TP_STATUS_SEND_REQUEST that the kernel has not taken yet. The caller
// serializes all calls.
type txRing struct {
	ring
	cur     int  // the next slot to fill
	head    int  // the kernel's head: the oldest frame it has not taken
	pending int  // frames queued and not yet taken
	vnet    bool // a virtio_net_hdr (all zeros) precedes each frame
}

// data is where a slot's frame starts, after the virtio_net_hdr if any.
func (t *txRing) data() int {
	if t.vnet {
		return txData + vnetHdrLen
	}
	return txData
}

// room is the largest frame a slot holds.
func (t *txRing) room() int { return t.g.frameSize - t.data() }

// free reports whether the slot at cur may be filled: the kernel is done
// with the frame it last held there.
func (t *txRing) free() bool {
	return t.pending < t.g.frameNr && loadStatus(t.frame(t.cur))&txOwned == 0
}

// queue copies frame (at most room() bytes) into the slot at cur, behind
// the virtio_net_hdr h (nil: zeroed, no offload asked for), and marks it
// for sending. It reports false, queuing nothing, when the slot is not
// free.
func (t *txRing) queue(frame []byte, h vnet.Header) bool {
	if !t.free() {
		return false
	}
	f := t.frame(t.cur)
	data := t.data()
	if h != nil && t.vnet {
		copy(f[txData:data], h)
	} else {
		clear(f[txData:data])
	}
	copy(f[data:], frame)
	ne.PutUint32(f[hdrLen:], uint32(data-txData+len(frame)))
	storeStatus(f, unix.TP_STATUS_SEND_REQUEST)
	t.cur = t.g.next(t.cur)
	t.pending++
	return true
}

// reap moves head past the frames the kernel took in the last send(2)
// (now TP_STATUS_SENDING, or already back to available). It stops at the
// first frame still waiting; refused reports that the kernel stopped there
// because it refused that frame (TP_STATUS_WRONG_FORMAT).
func (t *txRing) reap() (taken int, refused bool) {
	for t.pending > 0 {
		st := loadStatus(t.frame(t.head))
		if st&unix.TP_STATUS_SEND_REQUEST != 0 {
			return taken, false
		}
		if st&unix.TP_STATUS_WRONG_FORMAT != 0 {
			return taken, true
		}
		t.head = t.g.next(t.head)
		t.pending--
		taken++
	}
	return taken, false
}

// headLen is the length of the frame at head.
func (t *txRing) headLen() int {
	return int(ne.Uint32(t.frame(t.head)[hdrLen:])) - (t.data() - txData)
}

// dropHead discards the frame at head, which the kernel refused or could
// not queue. The kernel's head stays on that slot, so the frames queued
// after it move back one slot each, keeping their order, and the last
// slot becomes free again.
func (t *txRing) dropHead() {
	i := t.head
	for k := 1; k < t.pending; k++ {
		j := t.g.next(i)
		dst, src := t.frame(i), t.frame(j)
		n := ne.Uint32(src[hdrLen:]) // tp_len: the virtio_net_hdr and the frame
		copy(dst[txData:], src[txData:txData+int(n)])
		ne.PutUint32(dst[hdrLen:], n)
		storeStatus(dst, unix.TP_STATUS_SEND_REQUEST)
		i = j
	}
	storeStatus(t.frame(i), unix.TP_STATUS_AVAILABLE)
	t.cur = i
	t.pending--
}

// discard drops every queued frame (the interface went down or away) and
// returns how many there were. The kernel's head stays where it was, and
// cur goes back to it.
func (t *txRing) discard() int {
	n := t.pending
	for i := t.head; t.pending > 0; i = t.g.next(i) {
		storeStatus(t.frame(i), unix.TP_STATUS_AVAILABLE)
		t.pending--
	}
	t.cur = t.head
	return n
}
