package udp

import (
	"sync"

	"github.com/gotapip/gotapip/netdev"
)

// Receive queue bounds, per socket: whichever is reached first. The bytes
// bound is Linux's default SO_RCVBUF (net.core.rmem_default), counted over
// the datagrams' lengths; the datagram bound caps the pool buffers one
// socket can pin however small the datagrams are.
const (
	DefaultRecvQueueLen   = 256
	DefaultRecvQueueBytes = 212992
	// MaxQueuedTotal bounds the datagrams waiting in all sockets of one
	// stack together (Linux's udp_mem has the same role), so even 4096
	// sockets nobody reads cannot hold more than this many buffers.
	MaxQueuedTotal = 8192
)

// recvQueue is a socket's bounded FIFO of received datagrams. It holds
// the packets themselves (data = the UDP payload; Network() and
// Transport() still locate the headers); the reader copies and frees them.
type recvQueue struct {
	mu      sync.Mutex
	ring    [DefaultRecvQueueLen]*netdev.Packet
	first   int
	count   int
	bytes   int
	err     error // pending ICMP error for a connected socket (Linux's sk_err)
	closed  bool
	drops   uint64
	maxByte int

	// ready has room for one wake-up: a put or an error signals it; a
	// reader that leaves data behind passes the wake-up on.
	ready chan struct{}
}

func (q *recvQueue) init() {
	q.ready = make(chan struct{}, 1)
	q.maxByte = DefaultRecvQueueBytes
}

// put appends p, or reports false (keeping nothing: the caller frees p and
// counts the drop) when the queue is full or closed.
func (q *recvQueue) put(p *netdev.Packet) bool {
	q.mu.Lock()
	if q.closed || q.count == len(q.ring) || q.bytes+p.Truesize() > q.maxByte {
		q.drops++
		q.mu.Unlock()
		return false
	}
	q.ring[(q.first+q.count)%len(q.ring)] = p
	q.count++
	q.bytes += p.Truesize()
	q.mu.Unlock()
	q.wake()
	return true
}

// get returns the pending error first (cleared as it is returned, as
// Linux's sock_error), else takes the oldest datagram. closed reports a
// closed queue.
func (q *recvQueue) get() (p *netdev.Packet, err error, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, nil, true
	}
	if q.err != nil {
		err, q.err = q.err, nil
		return nil, err, false
	}
	if q.count > 0 {
		p = q.ring[q.first]
		q.ring[q.first] = nil
		q.first = (q.first + 1) % len(q.ring)
		q.count--
		q.bytes -= p.Truesize()
		if q.count > 0 {
			q.wake() // another reader may be waiting
		}
		return p, nil, false
	}
	return nil, nil, false
}

// setError records an ICMP error for the next receive and wakes a reader.
func (q *recvQueue) setError(err error) {
	q.mu.Lock()
	q.err = err
	q.mu.Unlock()
	q.wake()
}

// takeError returns and clears the pending ICMP error, if any: a send
// reports it too, as Linux's sock_error on the send path.
func (q *recvQueue) takeError() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	err := q.err
	q.err = nil
	return err
}

func (q *recvQueue) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// close frees every queued packet and refuses more. It returns how many
// were queued.
func (q *recvQueue) close() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.count
	for ; q.count > 0; q.count-- {
		q.ring[q.first].Free()
		q.ring[q.first] = nil
		q.first = (q.first + 1) % len(q.ring)
	}
	q.bytes = 0
	q.closed = true
	return n
}

// stats returns the queued datagrams and bytes and the drops so far.
func (q *recvQueue) stats() (count, bytes int, drops uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count, q.bytes, q.drops
}
