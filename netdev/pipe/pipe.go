// Package pipe is an in-memory wire joining two NetDevs in one process, like
// a crossover cable. It can lose, corrupt, delay, duplicate and reorder
// frames (netdev.Netem, the same link faults the netem command applies to
// a device), so in-process tests exercise retries and sequence matching
// without root.
package pipe

import (
	"sync/atomic"

	"github.com/gotapip/gotapip/clock"
	"github.com/gotapip/gotapip/netdev"
)

// QueueLen bounds the frames in flight towards each end.
const QueueLen = 512

// Impairments are what the wire does to frames: netdev.Faults, each
// probability applied independently per frame, plus a fixed one-way delay.
// A zero Seed takes the pipe's.
type Impairments = netdev.Faults

// End is one end of a pipe; it implements netdev.Driver.
type End struct {
	rx    *netdev.FrameQueue // frames for this end
	peer  *End
	seed  uint64                       // the pipe's seed
	salt  uint64                       // set apart this direction's draws from the other's
	netem atomic.Pointer[netdev.Netem] // faults on what this end sends, or nil

	// Overflows counts frames this end sent that the peer's full queue
	// lost, so a test can tell the wire's losses from the ones it asked for.
	Overflows atomic.Uint64
}

// New returns the two ends of a new pipe. seed makes the impairments
// repeatable.
func New(seed uint64) (a, b *End) {
	a = &End{rx: netdev.NewFrameQueue(QueueLen), seed: seed}
	b = &End{rx: netdev.NewFrameQueue(QueueLen), seed: seed, salt: 0x5bd1e995}
	a.peer, b.peer = b, a
	return a, b
}

// SetImpairments changes what the wire does from now on, in both
// directions; frames still delayed or held back under the old ones are
// dropped.
func (e *End) SetImpairments(imp Impairments) {
	for _, end := range []*End{e, e.peer} {
		end.setFaults(imp)
	}
}

func (e *End) setFaults(imp Impairments) {
	var n *netdev.Netem
	if !imp.IsZero() {
		if imp.Seed == 0 {
			imp.Seed = e.seed
		}
		imp.Seed ^= e.salt
		n = netdev.NewNetem(imp, clock.Real{}, e.deliver)
	}
	if old := e.netem.Swap(n); old != nil {
		old.Stop()
	}
}

// Netem is what the wire does to the frames this end sends, or nil.
func (e *End) Netem() *netdev.Netem { return e.netem.Load() }

func (e *End) Kind() string                      { return "pipe" }
func (e *End) ReadFrame(buf []byte) (int, error) { return e.rx.Get(buf) }

// Close closes this end; frames sent to it are lost from now on.
func (e *End) Close() error { e.rx.Close(); return nil }

// WriteFrame sends frame to the peer through the impairments. A full peer
// queue loses the frame silently, as a congested wire would (counted in
// Overflows).
func (e *End) WriteFrame(frame []byte) error {
	if n := e.netem.Load(); n != nil {
		return n.Send(frame)
	}
	return e.deliver(frame)
}

// deliver puts a copy of frame in the peer's queue.
func (e *End) deliver(frame []byte) error {
	if !e.peer.rx.Put(frame) {
		e.Overflows.Add(1)
	}
	return nil
}
