package netdev

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/clock"
)

// Link faults for teaching and tests, on a kernel without the netem qdisc:
// what tc-netem(8) does to the frames a device sends, applied in user
// space. The device's transmit path (NetDev.SetNetem, the shell's netem
// command) and the in-memory pipe (netdev/pipe) both use this one
// implementation.
//
// For each frame, four numbers are drawn from a seeded generator, always
// in the same order (loss, duplicate, corrupt, reorder), so the same seed
// and the same frames give the same faults: a run can be replayed. Then:
//
//   - loss: the frame is dropped;
//   - corrupt: one random bit is flipped, past the Ethernet header (so the
//     frame still reaches its receiver, whose checksums must catch it);
//   - duplicate: it is sent twice;
//   - reorder: it is held back and sent after the next frame (or after
//     ReorderHold, or the delay if longer, when no next frame comes);
//   - delay: every frame waits Delay before it is sent, in order.
//
// Frames waiting (delayed or held) are bounded by NetemLimit; beyond it a
// frame is dropped and counted as an overlimit, as netem's limit does.

// NetemLimit bounds the frames a Netem holds back at once (tc-netem's
// default limit).
const NetemLimit = 1000

// ReorderHold is how long a reordered frame waits for one to overtake it.
const ReorderHold = 10 * time.Millisecond

// MaxNetemDelay bounds Faults.Delay.
const MaxNetemDelay = time.Minute

// Faults are what a Netem does: probabilities from 0 to 1, drawn for each
// frame, and a delay added to every frame. Seed fixes the random draws.
type Faults struct {
	Loss, Duplicate, Reorder, Corrupt float64
	Delay                             time.Duration
	Seed                              uint64
}

// IsZero reports whether f does nothing to frames (the seed aside).
func (f Faults) IsZero() bool {
	return f.Loss == 0 && f.Duplicate == 0 && f.Reorder == 0 && f.Corrupt == 0 && f.Delay == 0
}

// NetemStats count what a Netem did. Sent counts frames handed on
// (duplicates included); every other counter one fault applied.
type NetemStats struct {
	Sent, SentBytes atomic.Uint64
	Dropped         atomic.Uint64 // lost on purpose (loss)
	Overlimits      atomic.Uint64 // dropped: NetemLimit frames already waiting
	Duplicated      atomic.Uint64
	Reordered       atomic.Uint64 // held back behind the next frame
	Corrupted       atomic.Uint64
	Delayed         atomic.Uint64
	Errors          atomic.Uint64 // a frame sent later that the output refused
}

// Netem applies Faults to frames on their way to out.
type Netem struct {
	faults Faults
	clock  clock.Clock
	out    func([]byte) error
	Stats  NetemStats

	mu        sync.Mutex
	rng       *rand.Rand
	queue     []timedFrame // delayed frames, due in order (one delay for all)
	held      []byte       // the frame held back for reordering, or nil
	heldGen   uint64       // numbers each held frame, so a stale timeout releases nothing
	heldTimer clock.Timer
	timer     clock.Timer // fires when queue[0] is due
	stopped   bool
	sendMu    sync.Mutex // frames sent later go out one at a time, in order
}

type timedFrame struct {
	due   time.Time
	frame []byte
}

// NewNetem returns a Netem that applies f to the frames given to Send and
// hands the survivors to out; clk times delays.
func NewNetem(f Faults, clk clock.Clock, out func([]byte) error) *Netem {
	f.Delay = min(max(f.Delay, 0), MaxNetemDelay)
	return &Netem{faults: f, clock: clk, out: out, rng: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))}
}

// Faults returns what n does.
func (n *Netem) Faults() Faults { return n.faults }

// Backlog is how many frames are waiting (delayed or held).
func (n *Netem) Backlog() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	b := len(n.queue)
	if n.held != nil {
		b++
	}
	return b
}

// Send applies the faults to frame. What goes at once goes on the
// caller's goroutine and Send returns out's error; what is delayed or held
// is copied (frame stays the caller's) and sent later from a timer.
func (n *Netem) Send(frame []byte) error {
	var now [3][]byte // at most: the frame, its duplicate, a held frame released
	k := 0
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		return n.send(frame)
	}
	f := n.faults
	lose, dup, corrupt, reorder := n.draw(f.Loss), n.draw(f.Duplicate), n.draw(f.Corrupt), n.draw(f.Reorder)
	switch {
	case lose:
		n.Stats.Dropped.Add(1)
		n.mu.Unlock()
		return nil
	case corrupt && len(frame) > 0:
		frame = n.corrupt(frame)
	}
	if reorder && n.held == nil {
		n.hold(frame)
		n.mu.Unlock()
		return nil
	}
	k = n.emit(now[:], k, frame)
	if dup {
		n.Stats.Duplicated.Add(1)
		k = n.emit(now[:], k, frame)
	}
	if n.held != nil {
		k = n.emit(now[:], k, n.held)
		n.releaseHeld()
	}
	n.mu.Unlock()
	var err error
	for _, fr := range now[:k] {
		if e := n.send(fr); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func (n *Netem) draw(p float64) bool { return n.rng.Float64() < p }

// corrupt returns a copy of frame with one bit flipped, past the Ethernet
// header if the frame is longer than one.
func (n *Netem) corrupt(frame []byte) []byte {
	c := append([]byte(nil), frame...)
	at := 0
	if len(c) > EthernetHeaderLen {
		at = EthernetHeaderLen
	}
	c[at+n.rng.IntN(len(c)-at)] ^= 1 << n.rng.IntN(8)
	n.Stats.Corrupted.Add(1)
	return c
}

// hold keeps a copy of frame back until the next frame or a timeout.
func (n *Netem) hold(frame []byte) {
	n.held = append([]byte(nil), frame...)
	n.heldGen++
	gen := n.heldGen
	n.Stats.Reordered.Add(1)
	n.heldTimer = n.clock.AfterFunc(max(ReorderHold, n.faults.Delay), func() { n.heldTimeout(gen) })
}

func (n *Netem) releaseHeld() {
	n.held = nil
	if n.heldTimer != nil {
		n.heldTimer.Stop()
		n.heldTimer = nil
	}
}

// heldTimeout sends held frame gen when no frame came to overtake it.
func (n *Netem) heldTimeout(gen uint64) {
	var now [1][]byte
	n.mu.Lock()
	k := 0
	if n.held != nil && n.heldGen == gen && !n.stopped {
		k = n.emit(now[:], 0, n.held)
		n.releaseHeld()
	}
	n.mu.Unlock()
	n.sendLater(now[:k])
}

// emit passes frame on: into now[k] to send at once, or into the delay
// queue (a copy), or drops it when the queue is full. It returns the new k.
func (n *Netem) emit(now [][]byte, k int, frame []byte) int {
	if n.faults.Delay <= 0 {
		now[k] = frame
		return k + 1
	}
	if len(n.queue) >= NetemLimit {
		n.Stats.Overlimits.Add(1)
		return k
	}
	n.queue = append(n.queue, timedFrame{n.clock.Now().Add(n.faults.Delay), append([]byte(nil), frame...)})
	n.Stats.Delayed.Add(1)
	if len(n.queue) == 1 {
		n.timer = n.clock.AfterFunc(n.faults.Delay, n.deliverDue)
	}
	return k
}

// deliverDue sends the delayed frames now due, in order, and sets the
// timer for the next.
func (n *Netem) deliverDue() {
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		return
	}
	t := n.clock.Now()
	i := 0
	for i < len(n.queue) && !n.queue[i].due.After(t) {
		i++
	}
	due := make([][]byte, i)
	for j := range i {
		due[j] = n.queue[j].frame
	}
	n.queue = append(n.queue[:0], n.queue[i:]...)
	if len(n.queue) > 0 {
		n.timer = n.clock.AfterFunc(n.queue[0].due.Sub(t), n.deliverDue)
	}
	// Take the send turn before letting the next timer collect frames:
	// else its frames, due later, could go out before these.
	n.sendMu.Lock()
	n.mu.Unlock()
	n.sendInTurn(due)
}

// sendLater sends frames from a timer, in order, counting refusals.
func (n *Netem) sendLater(frames [][]byte) {
	n.sendMu.Lock()
	n.sendInTurn(frames)
}

// sendInTurn is sendLater with sendMu taken; it releases it.
func (n *Netem) sendInTurn(frames [][]byte) {
	defer n.sendMu.Unlock()
	for _, f := range frames {
		if n.send(f) != nil {
			n.Stats.Errors.Add(1)
		}
	}
}

func (n *Netem) send(frame []byte) error {
	if err := n.out(frame); err != nil {
		return err
	}
	n.Stats.Sent.Add(1)
	n.Stats.SentBytes.Add(uint64(len(frame)))
	return nil
}

// Stop discards the frames waiting, as deleting a qdisc does; later Sends
// pass frames straight through.
func (n *Netem) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stopped = true
	n.releaseHeld()
	if n.timer != nil {
		n.timer.Stop()
	}
	n.queue = nil
}

// SetNetem applies n to the frames d sends from now on (nil: none), and
// stops the Netem it replaces, discarding what that one held back.
func (d *NetDev) SetNetem(n *Netem) {
	if old := d.netem.Swap(n); old != nil {
		old.Stop()
	}
}

// Netem is what SetNetem set, or nil.
func (d *NetDev) Netem() *Netem { return d.netem.Load() }

// NewNetem returns a Netem for f whose survivors d's driver writes (for
// SetNetem).
func (d *NetDev) NewNetem(f Faults, clk clock.Clock) *Netem {
	return NewNetem(f, clk, d.drv.WriteFrame)
}
