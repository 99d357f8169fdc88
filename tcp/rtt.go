package tcp

import "time"

// RTO bounds: RFC 6298 2.1's initial 1 s, Linux's 200 ms minimum
// (TCP_RTO_MIN, below RFC 6298's 1 s: Linux's choice, which we follow)
// and 120 s maximum (TCP_RTO_MAX).
const (
	InitialRTO = time.Second
	MinRTO     = 200 * time.Millisecond
	MaxRTO     = 120 * time.Second
)

// rttEstimator is RFC 6298's smoothed round-trip time and variance.
type rttEstimator struct {
	srtt, rttvar time.Duration
	rto          time.Duration // before backoff
	measured     bool
	backoff      uint // RTO doublings since the last valid sample
}

func (e *rttEstimator) init() { *e = rttEstimator{rto: InitialRTO} }

// sample folds in one measurement r (RFC 6298 2.2 and 2.3, with alpha
// 1/8 and beta 1/4), and clears the backoff (2.5's "new RTT sample").
func (e *rttEstimator) sample(r time.Duration) {
	if r < 0 {
		return
	}
	if !e.measured {
		e.srtt, e.rttvar, e.measured = r, r/2, true
	} else {
		d := e.srtt - r
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + r) / 8
	}
	e.rto = min(max(e.srtt+max(time.Millisecond, 4*e.rttvar), MinRTO), MaxRTO)
	e.backoff = 0
}

// current is the RTO with backoff (RFC 6298 5.5), at most MaxRTO.
func (e *rttEstimator) current() time.Duration {
	r := e.rto
	for range e.backoff {
		r *= 2
		if r >= MaxRTO {
			return MaxRTO
		}
	}
	return r
}

// newReno is RFC 5681's congestion control with RFC 6582's NewReno
// recovery, slow start from RFC 6928's initial window.
type newReno struct {
	cwnd, ssthresh int
	caBytes        int // bytes acked towards the next congestion-avoidance step
	dupAcks        int
	inRecovery     bool
	recover        Seq  // SND.MAX when recovery began (RFC 6675's RecoveryPoint)
	sack           bool // this recovery is RFC 6675's (recovery.go), not NewReno's
	highRxt        Seq  // RFC 6675's HighRxt, as the end of what was retransmitted
	rescue         bool // the rescue retransmission of this recovery went
	prr            prr  // the reduction during SACK recovery (recovery.go)
	rxt            retransmits
}

// initialWindow is RFC 6928's IW10: min(10*MSS, max(2*MSS, 14600)).
func initialWindow(mss int) int { return min(10*mss, max(2*mss, 14600)) }

// init starts slow start; recover starts at the ISN (RFC 6582 3.2 step 1).
func (r *newReno) init(mss int, iss Seq) {
	*r = newReno{cwnd: initialWindow(mss), ssthresh: 1 << 30, recover: iss}
}

// onAck grows the window for acked new bytes outside recovery: slow
// start by up to 2 MSS per ACK (RFC 3465's L), then one MSS per window.
func (r *newReno) onAck(acked, mss int) {
	if r.cwnd < r.ssthresh {
		r.cwnd += min(acked, 2*mss)
		return
	}
	r.caBytes += acked
	if r.caBytes >= r.cwnd {
		r.caBytes -= r.cwnd
		r.cwnd += mss
	}
}

// enterRecovery is the third duplicate ACK (RFC 6582 3.2 step 2).
func (r *newReno) enterRecovery(flight, mss int, sndMax Seq) {
	r.ssthresh = max(flight/2, 2*mss)
	r.cwnd = r.ssthresh + 3*mss
	r.inRecovery, r.recover, r.sack = true, sndMax, false
}

// onTimeout is RFC 5681 3.1's response to an RTO: one segment, half the
// flight as threshold.
func (r *newReno) onTimeout(flight, mss int, sndMax Seq) {
	r.ssthresh = max(flight/2, 2*mss)
	r.cwnd, r.caBytes, r.dupAcks = mss, 0, 0
	r.inRecovery, r.recover = false, sndMax
}
