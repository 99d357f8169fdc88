// Package pipe is an in-memory wire joining two NetDevs in one process, like
// a crossover cable. It can lose, delay, duplicate and reorder frames, so
// in-process tests exercise retries and sequence matching without root.
package pipe

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// QueueLen bounds the frames in flight towards each end.
const QueueLen = 512

// Impairments are what the wire does to frames, each a probability 0..1
// applied independently per frame, plus a fixed one-way delay.
type Impairments struct {
	Loss      float64
	Duplicate float64
	Reorder   float64 // hold the frame back and send it after the next one
	Delay     time.Duration
}

// End is one end of a pipe; it implements netdev.Driver.
type End struct {
	rx   *netdev.FrameQueue // frames for this end
	peer *End
	w    *wire
}

// wire is shared by both ends: impairments and their random source.
type wire struct {
	mu   sync.Mutex
	imp  Impairments
	rng  *rand.Rand
	held map[*End][]byte // a frame held back for reordering, per direction
}

// New returns the two ends of a new pipe. seed makes the impairments
// repeatable.
func New(seed uint64) (a, b *End) {
	w := &wire{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), held: map[*End][]byte{}}
	a = &End{rx: netdev.NewFrameQueue(QueueLen), w: w}
	b = &End{rx: netdev.NewFrameQueue(QueueLen), w: w}
	a.peer, b.peer = b, a
	return a, b
}

// SetImpairments changes what the wire does from now on (both directions).
func (e *End) SetImpairments(imp Impairments) {
	e.w.mu.Lock()
	e.w.imp = imp
	e.w.mu.Unlock()
}

func (e *End) Kind() string                      { return "pipe" }
func (e *End) ReadFrame(buf []byte) (int, error) { return e.rx.Get(buf) }

// Close closes this end; frames sent to it are lost from now on.
func (e *End) Close() error { e.rx.Close(); return nil }

// WriteFrame sends frame to the peer through the impairments. A full peer
// queue loses the frame silently, as a congested wire would.
func (e *End) WriteFrame(frame []byte) error {
	w := e.w
	w.mu.Lock()
	imp := w.imp
	lose := w.rng.Float64() < imp.Loss
	dup := w.rng.Float64() < imp.Duplicate
	reorder := w.rng.Float64() < imp.Reorder
	var out [3][]byte // at most: the frame, its duplicate, a held frame
	n := 0
	if !lose {
		if reorder && w.held[e] == nil {
			w.held[e] = append([]byte(nil), frame...)
		} else {
			out[n], n = frame, n+1
			if dup {
				out[n], n = frame, n+1
			}
			if h := w.held[e]; h != nil {
				out[n], n = h, n+1
				delete(w.held, e)
			}
		}
	}
	w.mu.Unlock()
	for _, f := range out[:n] {
		e.deliver(f, imp.Delay)
	}
	return nil
}

func (e *End) deliver(frame []byte, delay time.Duration) {
	if delay <= 0 {
		e.peer.rx.Put(frame)
		return
	}
	c := append([]byte(nil), frame...)
	time.AfterFunc(delay, func() { e.peer.rx.Put(c) })
}
