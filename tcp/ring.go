package tcp

// ring is a byte ring buffer: the send buffer (bytes from SND.UNA on,
// sent or not) and the receive buffer (bytes read to RCV.NXT, then room
// where out-of-order data is placed at its offset). It does not allocate
// after it is made.
type ring struct {
	buf  []byte
	head int // index of the first byte
	n    int // bytes held from head
}

func newRing(size int) ring { return ring{buf: make([]byte, size)} }

func (r *ring) len() int  { return r.n }
func (r *ring) cap() int  { return len(r.buf) }
func (r *ring) free() int { return len(r.buf) - r.n }

// write appends as much of b as fits and returns how much.
func (r *ring) write(b []byte) int {
	k := min(len(b), r.free())
	r.writeAt(r.n, b[:k])
	r.n += k
	return k
}

// writeAt copies b to offset off from head, without changing what the
// ring holds (out-of-order data, committed later). off+len(b) <= cap.
func (r *ring) writeAt(off int, b []byte) {
	if len(r.buf) == 0 {
		return
	}
	i := (r.head + off) % len(r.buf)
	k := copy(r.buf[i:], b)
	copy(r.buf, b[k:])
}

// commit makes k bytes after what the ring holds part of it (data placed
// with writeAt became contiguous).
func (r *ring) commit(k int) { r.n += k }

// peek copies bytes from offset off into b, not consuming them, and
// returns how many.
func (r *ring) peek(off int, b []byte) int {
	if off >= r.n {
		return 0
	}
	k := min(len(b), r.n-off)
	i := (r.head + off) % len(r.buf)
	c := copy(b[:k], r.buf[i:])
	copy(b[c:k], r.buf)
	return k
}

// read consumes up to len(b) bytes into b.
func (r *ring) read(b []byte) int {
	k := r.peek(0, b)
	r.discard(k)
	return k
}

// discard consumes k bytes.
func (r *ring) discard(k int) {
	k = min(k, r.n)
	r.n -= k
	if len(r.buf) > 0 { // head moves even when empty: out-of-order data sits past it
		r.head = (r.head + k) % len(r.buf)
	}
}

// grow makes the ring size bytes (never smaller). Everything keeps its
// offset from head, what the ring holds and out-of-order data placed past
// it with writeAt alike.
func (r *ring) grow(size int) {
	if size <= len(r.buf) {
		return
	}
	nb := make([]byte, size)
	k := copy(nb, r.buf[r.head:])
	copy(nb[k:], r.buf[:r.head])
	r.buf, r.head = nb, 0
}
