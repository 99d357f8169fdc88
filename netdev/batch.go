package netdev

import "errors"

// Batches: the poller reads the frames that are ready one after another
// and, when the driver says none is left (or a bound is reached), calls
// the device's batch-end function once. A protocol can then do once per
// batch what it would otherwise do per frame: TCP sends one ACK for the
// segments of a batch rather than one for every second segment, the way
// gVisor's processor and Linux's GRO do.

// ErrBatchEnd is returned by the ReadFrame of a driver asked to report
// batches (BatchEnder) when it has read every frame that was ready and is
// about to wait: once after the last frame of a run, never twice in a row.
var ErrBatchEnd = errors.New("netdev: no frame ready: end of batch")

// BatchEnder is implemented by drivers that can tell when no frame is
// ready without blocking (the TAP driver's non-blocking read returning
// EAGAIN). The poller calls EndBatches before its first read; from then
// on ReadFrame may return ErrBatchEnd. Drivers without it end a batch
// after every frame.
type BatchEnder interface{ EndBatches() }

// The bounds of a batch: past either, the poller ends it without waiting
// for the driver, so an ACK (and whatever else waits for the batch's end)
// is never delayed by more than this much data.
const (
	MaxBatchFrames = 64
	MaxBatchBytes  = 256 << 10
)

// batch is the poller's count of the frames received since the last batch
// end (poller goroutine only).
type batch struct {
	frames, bytes int
	driverEnds    bool // the driver reports batch ends (BatchEnder)
}

// OnBatchEnd sets what the poller calls at the end of each batch of
// received frames, on its goroutine. Call it before Start.
func (d *NetDev) OnBatchEnd(f func()) { d.onBatchEnd = f }

// startBatches asks the driver to report batch ends if it can.
func (d *NetDev) startBatches() {
	if b, ok := d.drv.(BatchEnder); ok {
		b.EndBatches()
		d.batch.driverEnds = true
	}
}

// received counts a frame of n bytes into the batch and ends the batch
// when the driver cannot report its end or a bound is reached.
func (d *NetDev) received(n int) {
	d.batch.frames++
	d.batch.bytes += n
	if !d.batch.driverEnds || d.batch.frames >= MaxBatchFrames || d.batch.bytes >= MaxBatchBytes {
		d.endBatch()
	}
}

// endBatch ends the current batch, if it holds a frame.
func (d *NetDev) endBatch() {
	if d.batch.frames == 0 {
		return
	}
	d.batch.frames, d.batch.bytes = 0, 0
	if d.onBatchEnd != nil {
		d.onBatchEnd()
	}
}
