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
	backoff      uint          // RTO doublings since the last valid sample
	latest       time.Duration // the last sample for congestion control (HyStart++)
	fresh        bool          // latest is not yet taken
}

// rttSample is what one ACK measured, in the clock's full resolution:
// seq for the estimator, the round trip of the oldest segment it newly
// acknowledges (Linux's seq_rtt_us: it includes the peer's delayed ACK,
// which the RTO must cover), and ca for congestion control, that of the
// newest (ca_rtt_us: nearest the path's own delay).
type rttSample struct {
	seq, ca time.Duration
	ok      bool
}

// add takes in one segment's round trip r.
func (s *rttSample) add(r time.Duration) {
	if !s.ok {
		*s = rttSample{r, r, true}
		return
	}
	s.seq, s.ca = max(s.seq, r), min(s.ca, r)
}

func (e *rttEstimator) init() { *e = rttEstimator{rto: InitialRTO} }

// sample folds in one ACK's measurement s (RFC 6298 2.2 and 2.3, with
// alpha 1/8 and beta 1/4), and clears the backoff (2.5's "new RTT
// sample").
func (e *rttEstimator) sample(s rttSample) {
	r := s.seq
	if !s.ok || r < 0 {
		return
	}
	e.latest, e.fresh = max(s.ca, 0), true
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

// takeLatest returns the sample taken since the last call, if any.
func (e *rttEstimator) takeLatest() (time.Duration, bool) {
	fresh := e.fresh
	e.fresh = false
	return e.latest, fresh
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

// congestion is the sender's congestion state: the window, the
// algorithm that sizes it (cc.go), and the loss recovery state that is
// the same for every algorithm: RFC 6582's NewReno recovery without
// SACK, RFC 6675's with it (recovery.go).
type congestion struct {
	window
	algo       congestionControl // reno{} or &cubic, set once per connection (use)
	cubic      cubic             // CUBIC's state, when algo is it
	dupAcks    int
	inRecovery bool
	recover    Seq  // SND.MAX when recovery began (RFC 6675's RecoveryPoint)
	sack       bool // this recovery is RFC 6675's (recovery.go), not NewReno's
	highRxt    Seq  // RFC 6675's HighRxt, as the end of what was retransmitted
	rescue     bool // the rescue retransmission of this recovery went
	prr        prr  // the reduction during SACK recovery (recovery.go)
	rxt        retransmits
}

// initialWindow is RFC 6928's IW10: min(10*MSS, max(2*MSS, 14600)).
func initialWindow(mss int) int { return min(10*mss, max(2*mss, 14600)) }

// init starts slow start with the algorithm already chosen, afresh;
// recover starts at the ISN (RFC 6582 3.2 step 1).
func (r *congestion) init(mss int, iss Seq) {
	name := r.algo.name()
	*r = congestion{window: window{cwnd: initialWindow(mss), ssthresh: infiniteSsthresh}, recover: iss}
	r.use(name)
}

// onAck grows the window for new bytes acknowledged outside recovery,
// as the algorithm says.
func (r *congestion) onAck(a ackEvent) { r.algo.onAck(&r.window, a) }

// enterRecovery is the third duplicate ACK (RFC 6582 3.2 step 2), with
// the algorithm's ssthresh (RFC 5681's half the flight for Reno).
func (r *congestion) enterRecovery(flight, mss int, sndMax Seq, now time.Time) {
	r.algo.onLoss(&r.window, flight, mss, now, false)
	r.cwnd = r.ssthresh + 3*mss
	r.inRecovery, r.recover, r.sack = true, sndMax, false
}

// onTimeout is RFC 5681 3.1's response to an RTO: one segment, and the
// algorithm's threshold.
func (r *congestion) onTimeout(flight, mss int, sndMax Seq, now time.Time) {
	r.algo.onLoss(&r.window, flight, mss, now, true)
	r.cwnd, r.caBytes, r.dupAcks = mss, 0, 0
	r.inRecovery, r.recover = false, sndMax
}
