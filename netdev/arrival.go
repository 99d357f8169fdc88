package netdev

import "github.com/gotapip/gotapip/clock"

// When a frame arrived. A user-space stack reads a frame some time after
// the kernel queued it on the device: while the poller is busy with the
// frames before it, or the process is not scheduled (a loaded host, the
// garbage collector). Its own clock dates the frame late, by up to
// milliseconds. What the poller does know is when the driver last had no
// frame ready (its non-blocking read found none: BatchEnder): every frame
// read since arrived after that. TCP needs the bound to tell whether an
// ACK can answer a retransmission (tcp/rack.go): one that may have
// arrived sooner than a round trip after it cannot.

// SetClock makes the poller note, on clk, when the driver had no frame
// ready, and stamp each frame it reads with that time
// (Packet.ArrivedAfter). Without a clock, or with a driver that cannot
// tell (not a BatchEnder), frames are not stamped. Call it before Start.
func (d *NetDev) SetClock(clk clock.Clock) { d.clock = clk }

// noteEmpty records that the driver has no frame ready now.
func (d *NetDev) noteEmpty() {
	if d.clock != nil {
		d.emptyAt = d.clock.Now()
	}
}
