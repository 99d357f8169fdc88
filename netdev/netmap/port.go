package netmap

import (
	"errors"
	"fmt"
)

// port is the set of rings one file descriptor is bound to, found through
// the netmap_if at nifOff in the shared region. It does no system calls:
// tests lay out a region by hand and drive it directly.
type port struct {
	rx, tx []*ring
	nextRx int // round-robin start, so one busy ring cannot starve the others
}

// maxRings bounds the ring counts read from netmap_if (the kernel's
// NM_MAX_RINGS is far lower).
const maxRings = 1024

// newPort walks the netmap_if at nifOff in mem and checks every bound NIC
// ring (host rings are not used). It fails if no rx or no tx ring is bound.
func newPort(mem []byte, nifOff uint64) (*port, error) {
	if nifOff > uint64(len(mem)) || uint64(len(mem))-nifOff < ifRingOfs {
		return nil, fmt.Errorf("netmap: netmap_if at offset %d outside the %d-byte region", nifOff, len(mem))
	}
	nif := mem[nifOff:]
	txRings, rxRings := ne.Uint32(nif[ifTxRings:]), ne.Uint32(nif[ifRxRings:])
	hostTx, hostRx := ne.Uint32(nif[ifHostTxRings:]), ne.Uint32(nif[ifHostRxRings:])
	if txRings > maxRings || rxRings > maxRings || hostTx > maxRings || hostRx > maxRings {
		return nil, fmt.Errorf("netmap: netmap_if claims %d+%d tx and %d+%d rx rings", txRings, hostTx, rxRings, hostRx)
	}
	total := uint64(txRings + hostTx + rxRings + hostRx)
	if total*8 > uint64(len(nif))-ifRingOfs {
		return nil, fmt.Errorf("netmap: netmap_if ring table (%d entries) runs past the region", total)
	}
	p := &port{}
	var err error
	if p.tx, err = boundRings(mem, nifOff, 0, txRings); err != nil {
		return nil, err
	}
	if p.rx, err = boundRings(mem, nifOff, txRings+hostTx, rxRings); err != nil {
		return nil, err
	}
	if len(p.tx) == 0 || len(p.rx) == 0 {
		return nil, errors.New("netmap: no NIC rx or tx ring is bound to this descriptor")
	}
	return p, nil
}

// boundRings returns the rings of ring_ofs[first : first+count] whose offset
// is not 0 (0 means not bound to this descriptor).
func boundRings(mem []byte, nifOff uint64, first, count uint32) ([]*ring, error) {
	var rings []*ring
	for i := first; i < first+count; i++ {
		rel := int64(ne.Uint64(mem[nifOff+ifRingOfs+uint64(i)*8:]))
		if rel == 0 {
			continue
		}
		if rel < -int64(nifOff) || rel > int64(len(mem)) {
			return nil, fmt.Errorf("netmap: ring_ofs[%d] = %d points outside the region", i, rel)
		}
		r, err := newRing(mem, int64(nifOff)+rel)
		if err != nil {
			return nil, fmt.Errorf("ring_ofs[%d]: %w", i, err)
		}
		rings = append(rings, r)
	}
	return rings, nil
}

// recv takes one frame from the first non-empty rx ring, starting after the
// ring that delivered last. ok is false when every ring is empty.
//
// ErrBadSlot and ErrFragmented report a dropped frame whose slot was
// released: the caller counts it and calls again. ErrBadRing, returned only
// when no other ring had a frame, means a ring's pointers are corrupt: the
// caller counts it and waits for the next sync, in which the kernel checks
// and repairs the ring.
func (p *port) recv(buf []byte) (n int, ok bool, err error) {
	var bad error
	for range p.rx {
		r := p.rx[p.nextRx]
		n, ok, err = r.recv(buf)
		if ok || (err != nil && err != ErrBadRing) {
			p.nextRx = (p.nextRx + 1) % len(p.rx)
			return n, ok, err
		}
		if err != nil {
			bad = err
		}
		p.nextRx = (p.nextRx + 1) % len(p.rx)
	}
	return 0, false, bad
}

// send puts frame in the first tx ring with a free slot; ErrRingFull when
// there is none.
func (p *port) send(frame []byte) error {
	for _, r := range p.tx {
		if err := r.send(frame); err != ErrRingFull {
			return err
		}
	}
	return ErrRingFull
}

// rxEmpty reports whether no rx ring holds a frame.
func (p *port) rxEmpty() bool {
	for _, r := range p.rx {
		if !r.empty() {
			return false
		}
	}
	return true
}
