package netdev

import "errors"

// LoopbackQueueLen bounds the frames waiting on lo (Linux: a per-CPU backlog
// of 1000).
const LoopbackQueueLen = 1000

// ErrQueueFull is returned when a bounded driver queue has no room.
var ErrQueueFull = errors.New("netdev: transmit queue full")

// Loopback is the driver of the lo device: every frame written is read back.
type Loopback struct{ q *FrameQueue }

// NewLoopback returns a loopback driver.
func NewLoopback() *Loopback { return &Loopback{q: NewFrameQueue(LoopbackQueueLen)} }

func (l *Loopback) ReadFrame(buf []byte) (int, error) { return l.q.Get(buf) }
func (l *Loopback) Close() error                      { l.q.Close(); return nil }
func (l *Loopback) Kind() string                      { return "loopback" }

func (l *Loopback) WriteFrame(frame []byte) error {
	if !l.q.Put(frame) {
		return ErrQueueFull
	}
	return nil
}
