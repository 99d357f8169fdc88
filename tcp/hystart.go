package tcp

import "time"

// HyStart++ (RFC 9406): the initial slow start ends before the queue it
// builds overflows. Once per round trip it compares the smallest RTT of
// the round with the last round's; a rise of an eighth (4 to 16 ms)
// means a queue is forming, and slow start gives way to Conservative
// Slow Start (CSS): a quarter of the growth, for five rounds, after
// which congestion avoidance begins at that window without a loss. If
// the RTT falls back below the baseline, the rise was noise and slow
// start resumes. Linux's CUBIC uses the older HyStart (ACK trains and
// delay); CUBIC here uses RFC 9406's. Only the first slow start uses it
// (RFC 9406 4.3): after a loss, ssthresh already says where to stop.
const (
	hsMinRTTThresh     = 4 * time.Millisecond
	hsMaxRTTThresh     = 16 * time.Millisecond
	hsMinRTTDivisor    = 8
	hsNRTTSample       = 8 // samples a round needs before its minimum counts
	hsCSSGrowthDivisor = 4
	hsCSSRounds        = 5
)

// hystart is one connection's HyStart++ state; zero is before the first
// ACK. An RTT of 0 stands for the RFC's infinity: none yet.
type hystart struct {
	started      bool
	done         bool // the initial slow start is over
	css          bool // in Conservative Slow Start
	windowEnd    Seq  // the round ends when this is acknowledged
	lastRoundMin time.Duration
	roundMin     time.Duration
	samples      int
	cssBaseline  time.Duration
	cssRounds    int
}

// slowStart grows w for an ACK in slow start and returns the bytes the
// ACK leaves for congestion avoidance (a non-zero return: slow start is
// over). Past the initial slow start it is RFC 5681's.
func (h *hystart) slowStart(w *window, a ackEvent) int {
	if h.done || w.ssthresh < infiniteSsthresh {
		h.done = true
		return w.slowStart(a.acked, a.mss)
	}
	if !h.started || a.sndUna.GEQ(h.windowEnd) {
		h.newRound(a.sndMax)
		if h.css && h.cssRounds >= hsCSSRounds { // CSS is over: congestion avoidance from here
			w.ssthresh, h.done = w.cwnd, true
			return a.acked
		}
	}
	if a.hasRTT {
		if h.roundMin == 0 || a.rtt < h.roundMin {
			h.roundMin = max(a.rtt, time.Nanosecond) // 0 is "none"
		}
		h.samples++
	}
	grow := min(a.acked, 2*a.mss) // RFC 3465's L, as slow start elsewhere
	if h.css {
		w.cwnd += grow / hsCSSGrowthDivisor
		if h.samples >= hsNRTTSample && h.roundMin < h.cssBaseline { // the rise was noise
			h.css = false
		}
		return 0
	}
	w.cwnd += grow
	if h.samples >= hsNRTTSample && h.lastRoundMin > 0 {
		thresh := min(max(h.lastRoundMin/hsMinRTTDivisor, hsMinRTTThresh), hsMaxRTTThresh)
		if h.roundMin >= h.lastRoundMin+thresh {
			h.css, h.cssBaseline, h.cssRounds = true, h.roundMin, 0
		}
	}
	return 0
}

// newRound starts a round at the data sent so far: the last round's
// minimum is kept, the new one starts empty.
func (h *hystart) newRound(sndMax Seq) {
	h.lastRoundMin = h.roundMin
	if h.css {
		h.cssRounds++
	}
	h.started, h.windowEnd, h.roundMin, h.samples = true, sndMax, 0, 0
}
