package tcp

import (
	"fmt"
	"strings"
	"syscall"
	"time"
)

// Congestion control is split as Linux splits it (tcp_congestion_ops):
// an algorithm owns the window arithmetic — how cwnd grows on an ACK of
// new data, what ssthresh becomes on a loss — while loss detection and
// repair (duplicate ACKs, SACK recovery and PRR, the RTO, the tail loss
// probe) are the same for every algorithm and stay in ack.go,
// recovery.go, timers.go and tlp.go.

// window is the state every algorithm works on: RFC 5681's cwnd and
// ssthresh, in bytes.
type window struct {
	cwnd, ssthresh int
	caBytes        int // bytes acked towards Reno's next congestion-avoidance step
}

// infiniteSsthresh is ssthresh before the first loss: far above any
// window (tcp_wmem's max is 4 MB), so slow start runs until one.
const infiniteSsthresh = 1 << 30

// slowStarting reports whether w is in slow start (RFC 5681 3.1).
func (w *window) slowStarting() bool { return w.cwnd < w.ssthresh }

// slowStart grows w by the bytes acked, at most 2 MSS per ACK (RFC
// 3465's L), and not past ssthresh: the rest of the ACK counts towards
// congestion avoidance (RFC 5681 3.1, as Linux's tcp_slow_start). It
// returns the bytes left over.
func (w *window) slowStart(acked, mss int) int {
	grow := min(acked, 2*mss, max(w.ssthresh-w.cwnd, 0))
	w.cwnd += grow
	return acked - grow
}

// ackEvent is what an ACK of new data tells an algorithm. It goes by
// value: a pointer through the interface would escape to the heap.
type ackEvent struct {
	acked, mss int
	now        time.Time
	srtt       time.Duration // smoothed RTT, 0 before any sample
	rtt        time.Duration // the RTT sample since the last ackEvent, when hasRTT
	hasRTT     bool
	sndUna     Seq // after the ACK
	sndMax     Seq // the highest sequence number sent
}

// ackEvent describes an ACK of acked new bytes, just taken in.
func (c *Conn) ackEvent(acked int) ackEvent {
	rtt, ok := c.rtt.takeLatest()
	return ackEvent{acked: acked, mss: c.mss, now: c.p.clock.Now(), srtt: c.rtt.srtt,
		rtt: rtt, hasRTT: ok, sndUna: c.sndUna, sndMax: c.sndMax}
}

// congestionControl is one algorithm. A connection holds one as an
// interface value set when it is made (or by SetCongestionControl), so
// a segment costs a dynamic call and no allocation.
type congestionControl interface {
	name() string
	// onAck grows w for new data acknowledged outside loss recovery.
	onAck(w *window, a ackEvent)
	// onLoss sets w.ssthresh on a congestion event: the start of fast
	// recovery, or an RTO when timeout. cwnd is still the window the
	// loss happened at; the caller then sets cwnd as recovery wants.
	onLoss(w *window, flight, mss int, now time.Time, timeout bool)
	// keepForUndo saves the algorithm's own state as it is before an
	// episode of window reductions (a recovery, an RTO) that may prove
	// spurious (undo.go).
	keepForUndo()
	// undo takes back the episode: cwnd from priorCwnd, the window it
	// cut, and the state keepForUndo saved. The caller restores ssthresh.
	undo(w *window, priorCwnd int)
}

// CongestionControls lists the algorithms by their Linux names, as
// net.ipv4.tcp_available_congestion_control does ("reno" is NewReno).
func CongestionControls() []string { return []string{"reno", "cubic"} }

// DefaultCongestionControl is Linux's default.
const DefaultCongestionControl = "cubic"

// use makes name the algorithm of r, with fresh state; it reports false
// for a name not in CongestionControls().
func (r *congestion) use(name string) bool {
	switch name {
	case "reno":
		r.algo = reno{}
	case "cubic":
		r.cubic = cubic{}
		r.algo = &r.cubic // r lives in its Conn: no allocation
	default:
		return false
	}
	return true
}

// unknownCongestionControl says what name is not, and what is.
func unknownCongestionControl(name string) error {
	return fmt.Errorf("congestion control %q: %w (the algorithms are %s)",
		name, syscall.ENOENT, strings.Join(CongestionControls(), ", "))
}

// SetCongestionControl picks the connection's algorithm by its Linux
// name, as setsockopt(TCP_CONGESTION) does; the window keeps its size
// and the new algorithm starts from it. An unknown name is ENOENT.
func (c *Conn) SetCongestionControl(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.cc.use(name) {
		return unknownCongestionControl(name)
	}
	return nil
}

// CongestionControl is the name of the connection's algorithm.
func (c *Conn) CongestionControl() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cc.algo.name()
}

// reno is RFC 5681's window arithmetic: slow start, then one MSS per
// window of acked bytes; half the flight at a loss. With RFC 6582's
// recovery (ack.go) it is NewReno, which Linux calls "reno".
type reno struct{}

func (reno) name() string { return "reno" }

func (reno) onAck(w *window, a ackEvent) {
	acked := a.acked
	if w.slowStarting() {
		if acked = w.slowStart(acked, a.mss); acked == 0 {
			return
		}
	}
	w.caBytes += acked
	if w.caBytes >= w.cwnd {
		w.caBytes -= w.cwnd
		w.cwnd += a.mss
	}
}

// onLoss is RFC 5681's equation (4): ssthresh = max(FlightSize/2, 2*SMSS).
func (reno) onLoss(w *window, flight, mss int, _ time.Time, _ bool) {
	w.ssthresh = max(flight/2, 2*mss)
	w.caBytes = 0
}

// keepForUndo: reno has no state of its own beyond the window.
func (reno) keepForUndo() {}

// undo is Linux's tcp_reno_undo_cwnd: the larger of now and before.
func (reno) undo(w *window, priorCwnd int) { w.cwnd = max(w.cwnd, priorCwnd) }

// pacingRate is the rate Linux's tcp_update_pacing_rate computes for a
// connection (sk_pacing_rate, which ss prints as pacing_rate): the
// window over the smoothed RTT, times tcp_pacing_ss_ratio percent while
// cwnd is below half of ssthresh (slow start doubles the window each
// round trip) and tcp_pacing_ca_ratio percent after. Bytes per second;
// 0 before the first RTT sample.
func pacingRate(w window, flight, mss int, srtt time.Duration, cfg *Config) uint64 {
	if srtt <= 0 || mss <= 0 {
		return 0
	}
	ratio := cfg.PacingCARatio
	if w.cwnd < w.ssthresh/2 {
		ratio = cfg.PacingSSRatio
	}
	segs := max(w.cwnd, flight) / mss
	return uint64(float64(mss*segs) * float64(ratio) / 100 / srtt.Seconds())
}
