package netmap

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors of the ring logic. Shared memory is written by the kernel, so
// every index and length read from it is checked before use: a bad one is
// reported with one of these, never followed.
var (
	// ErrRingFull: every tx slot is in the kernel's hands.
	ErrRingFull = errors.New("netmap: tx ring full")
	// ErrBadSlot: a slot names a buffer outside the region or a length
	// larger than a buffer.
	ErrBadSlot = errors.New("netmap: slot points outside the shared region")
	// ErrBadRing: a ring's head, cur or tail is not a slot index.
	ErrBadRing = errors.New("netmap: ring pointers out of range")
	// ErrFragmented: a frame spread over several slots (NS_MOREFRAG), which
	// this driver does not reassemble; it was dropped.
	ErrFragmented = errors.New("netmap: multi-slot frame dropped")
	// ErrFrameTooLarge: the frame does not fit one netmap buffer.
	ErrFrameTooLarge = errors.New("netmap: frame larger than a netmap buffer")
)

var ne = binary.NativeEndian // the ABI is in host byte order

// ring is one netmap_ring in the shared region. Its geometry (slots,
// buffer size and base) is read and checked once by newRing; head, cur,
// tail and slots are read afresh on every call, since the kernel changes
// them during each sync. The kernel touches a ring only inside our own
// system calls (ioctl, poll), so plain loads and stores suffice.
type ring struct {
	mem      []byte
	off      int    // the ring header's offset in mem
	n        uint32 // num_slots
	bufSize  uint32 // nr_buf_size
	bufStart int64  // offset in mem of buffer 0 (may lie before the ring)
}

// newRing checks the ring header at off in mem: header and slot array
// inside mem, a sane slot count and buffer size.
func newRing(mem []byte, off int64) (*ring, error) {
	if off < 0 || off > int64(len(mem))-ringSlots {
		return nil, fmt.Errorf("netmap: ring at offset %d outside the %d-byte region", off, len(mem))
	}
	h := mem[off:]
	r := &ring{mem: mem, off: int(off), n: ne.Uint32(h[ringNumSlots:]), bufSize: ne.Uint32(h[ringBufSize:])}
	if r.n == 0 || r.n > maxNumSlots {
		return nil, fmt.Errorf("netmap: ring at offset %d has %d slots", off, r.n)
	}
	if int64(r.n)*slotSize > int64(len(h))-ringSlots {
		return nil, fmt.Errorf("netmap: ring at offset %d: %d slots run past the region", off, r.n)
	}
	if r.bufSize < minBufSize || r.bufSize > maxBufSize {
		return nil, fmt.Errorf("netmap: ring at offset %d: buffer size %d not in [%d, %d]", off, r.bufSize, minBufSize, maxBufSize)
	}
	bufOfs := int64(ne.Uint64(h[ringBufOfs:]))
	if bufOfs < -off || bufOfs > int64(len(mem)) {
		return nil, fmt.Errorf("netmap: ring at offset %d: buffers at %+d outside the region", off, bufOfs)
	}
	r.bufStart = off + bufOfs
	return r, nil
}

func (r *ring) u32(field int) uint32      { return ne.Uint32(r.mem[r.off+field:]) }
func (r *ring) put32(field int, v uint32) { ne.PutUint32(r.mem[r.off+field:], v) }

// next is the slot after i, wrapping at num_slots.
func (r *ring) next(i uint32) uint32 {
	if i+1 == r.n {
		return 0
	}
	return i + 1
}

// pointers returns head and tail, checked to be slot indexes.
func (r *ring) pointers() (head, tail uint32, err error) {
	head, tail = r.u32(ringHead), r.u32(ringTail)
	if head >= r.n || tail >= r.n || r.u32(ringCur) >= r.n {
		return 0, 0, ErrBadRing
	}
	return head, tail, nil
}

// empty reports whether we own no slot: no frame to receive on rx, no room
// on tx. A corrupt ring counts as empty.
func (r *ring) empty() bool {
	head, tail, err := r.pointers()
	return err != nil || head == tail
}

// advance gives slot head back to the kernel: head and cur move past it.
func (r *ring) advance(head uint32) {
	h := r.next(head)
	r.put32(ringHead, h)
	r.put32(ringCur, h)
}

// slot returns slot i's offset in mem (i < n, checked by the caller).
func (r *ring) slot(i uint32) int { return r.off + ringSlots + int(i)*slotSize }

// buffer returns the bytes of the buffer slot s names, or ErrBadSlot.
func (r *ring) buffer(s int) ([]byte, error) {
	idx := ne.Uint32(r.mem[s+slotBufIdx:])
	start := r.bufStart + int64(idx)*int64(r.bufSize) // < 2^63: both factors < 2^32
	if start < 0 || start > int64(len(r.mem))-int64(r.bufSize) {
		return nil, ErrBadSlot
	}
	return r.mem[start : start+int64(r.bufSize)], nil
}

// recv copies the frame at head into buf (truncating it to len(buf)) and
// releases its slot. ok is false when the ring is empty. A bad slot or a
// multi-slot frame is released and dropped, reported as an error.
func (r *ring) recv(buf []byte) (n int, ok bool, err error) {
	head, tail, err := r.pointers()
	if err != nil || head == tail {
		return 0, false, err
	}
	s := r.slot(head)
	if ne.Uint16(r.mem[s+slotFlags:])&nsMoreFrag != 0 {
		// Drop the chain: up to and including the first slot without the
		// flag. If the chain's end has not arrived yet, the rest of it is
		// seen later as a frame of its own; the stack's parsers drop it.
		for head != tail && ne.Uint16(r.mem[r.slot(head)+slotFlags:])&nsMoreFrag != 0 {
			r.advance(head)
			head = r.next(head)
		}
		if head != tail {
			r.advance(head)
		}
		return 0, false, ErrFragmented
	}
	defer r.advance(head)
	b, err := r.buffer(s)
	if err != nil {
		return 0, false, err
	}
	length := int(ne.Uint16(r.mem[s+slotLen:]))
	if length > len(b) {
		return 0, false, ErrBadSlot
	}
	return copy(buf, b[:length]), true, nil
}

// send copies frame into the buffer of slot head and hands the slot to the
// kernel, to be transmitted by the next NIOCTXSYNC. It returns ErrRingFull
// when no slot is free; it never waits.
func (r *ring) send(frame []byte) error {
	if len(frame) > int(r.bufSize) {
		return fmt.Errorf("%w: %d bytes, buffers hold %d", ErrFrameTooLarge, len(frame), r.bufSize)
	}
	head, tail, err := r.pointers()
	if err != nil {
		return err
	}
	if head == tail {
		return ErrRingFull
	}
	s := r.slot(head)
	b, err := r.buffer(s)
	if err != nil {
		return err
	}
	copy(b, frame)
	ne.PutUint16(r.mem[s+slotLen:], uint16(len(frame)))
	ne.PutUint16(r.mem[s+slotFlags:], 0)
	r.advance(head)
	return nil
}
