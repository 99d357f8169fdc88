package netdev

import "sync"

// FrameQueue is a bounded FIFO of frames between goroutines, the wire inside
// in-memory drivers (loopback, pipe). Frames are copied into buffers the
// queue recycles, so steady traffic allocates nothing.
type FrameQueue struct {
	mu     sync.Mutex
	ready  sync.Cond
	frames [][]byte // ring of queued frames
	first  int      // index of the oldest frame
	count  int
	spare  [][]byte // recycled buffers
	closed bool
}

// NewFrameQueue returns a queue holding at most capacity frames.
func NewFrameQueue(capacity int) *FrameQueue {
	q := &FrameQueue{frames: make([][]byte, capacity)}
	q.ready.L = &q.mu
	return q
}

// Put copies frame into the queue. It returns false, keeping nothing, when
// the queue is full or closed: the caller counts the drop.
func (q *FrameQueue) Put(frame []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.count == len(q.frames) {
		return false
	}
	var b []byte
	if n := len(q.spare); n > 0 {
		b, q.spare = q.spare[n-1], q.spare[:n-1]
	}
	q.frames[(q.first+q.count)%len(q.frames)] = append(b[:0], frame...)
	q.count++
	q.ready.Signal()
	return true
}

// Get blocks until a frame is queued, copies it into buf and returns its
// length, or returns ErrClosed once the queue is closed.
func (q *FrameQueue) Get(buf []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.count == 0 && !q.closed {
		q.ready.Wait()
	}
	if q.closed {
		return 0, ErrClosed
	}
	f := q.frames[q.first]
	q.frames[q.first] = nil
	q.first = (q.first + 1) % len(q.frames)
	q.count--
	n := copy(buf, f)
	q.spare = append(q.spare, f)
	return n, nil
}

// Len is the number of frames waiting.
func (q *FrameQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count
}

// Close wakes every Get with ErrClosed and refuses further Puts.
func (q *FrameQueue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.ready.Broadcast()
}
