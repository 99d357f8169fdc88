package tcp

import (
	"sync"
	"sync/atomic"
)

// One ACK per batch. The device's poller reads the frames that are ready
// one after another and then tells the stack the batch ended (netdev's
// OnBatchEnd), which calls BatchEnd. In-order data that would have been
// acknowledged at once by the every-second-segment rule (RFC 5681 4.2,
// RFC 9293 3.8.6.3) waits for that call instead, so a batch of N
// segments for a connection costs one ACK, not N/2: the ACK that ends the
// batch covers every segment of it. What RFC 5681 wants at once still
// goes at once: the ACK for out-of-order data or a filled hole, for a
// FIN, for data the window could not take. The poller bounds a batch
// (netdev.MaxBatchFrames, MaxBatchBytes), and so how long an ACK waits.

// maxBatchConns bounds the connections whose ACK waits for the end of a
// batch; one more gets its ACK at once, as without batches.
const maxBatchConns = 64

// ackBatch lists the connections with an ACK waiting for BatchEnd.
type ackBatch struct {
	on    atomic.Bool  // SetBatchACKs: someone calls BatchEnd
	n     atomic.Int32 // len, read without the lock: an empty batch costs a load
	mu    sync.Mutex
	conns [maxBatchConns]*Conn
	len   int
}

// SetBatchACKs makes in-order data's ACK wait for BatchEnd (on), or go at
// once (off, the default). Whoever switches it on must call BatchEnd at
// the end of every batch of received segments; the stack does, from the
// pollers of its devices.
func (p *Protocol) SetBatchACKs(on bool) { p.batch.on.Store(on) }

// BatchEnd sends the ACKs that waited for the end of the batch of
// segments just received. It does not allocate.
func (p *Protocol) BatchEnd() {
	b := &p.batch
	if b.n.Load() == 0 {
		return
	}
	var conns [maxBatchConns]*Conn
	b.mu.Lock()
	k := copy(conns[:], b.conns[:b.len])
	clear(b.conns[:b.len])
	b.len = 0
	b.n.Store(0)
	b.mu.Unlock()
	for _, c := range conns[:k] {
		c.mu.Lock()
		c.ackBatched = false
		if c.ackPending > 0 && c.state != Closed {
			c.sendAck()
		}
		c.mu.Unlock()
	}
}

// deferAck puts c on the batch's list. It reports false when batches are
// off or the list is full: then the ACK goes now. Called with c.mu held.
func (c *Conn) deferAck() bool {
	b := &c.p.batch
	if c.ackBatched {
		return true
	}
	if !b.on.Load() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.len == maxBatchConns {
		return false
	}
	b.conns[b.len] = c
	b.len++
	b.n.Store(int32(b.len))
	c.ackBatched = true
	return true
}

// ackAfterSegment acknowledges what a segment brought: at once when
// something calls for it (ackNow), at the end of the batch once two
// full-sized segments' worth wait (at most one full-sized segment
// unacknowledged when the batch ends), else after the delayed-ACK timeout.
func (c *Conn) ackAfterSegment() {
	switch {
	case c.ackNow:
		c.sendAck()
	case c.ackPending == 0:
	case c.ackPending >= 2*min(c.rcvSegMax, c.rcvMSS) && !c.deferAck():
		c.sendAck()
	default:
		c.armDelack() // also behind a deferred ACK: a batch that never ends still gets one
	}
}
