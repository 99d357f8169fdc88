package tcp

import (
	"math"
	"time"
)

// CUBIC (RFC 9438), Linux's default congestion control. After a loss
// the window follows a cubic function of the time since congestion
// avoidance began,
//
//	W_cubic(t) = C*(t-K)^3 + W_max             (RFC 9438 eq. 1)
//	K = cubic_root((W_max - cwnd_epoch)/C)     (eq. 2)
//
// in segments and seconds: concave up to W_max, the window the loss
// happened at, flat around it, then convex, probing for more. Below the
// curve Reno would have reached (W_est, eq. 4) it follows Reno. Like
// Linux, it works in segments internally; cwnd stays in bytes.
const (
	cubicC    = 0.4 // C: segments per second cubed (RFC 9438 4.1)
	cubicBeta = 0.7 // β_cubic: the window after a loss, as a fraction of before
	// α_cubic makes W_est grow as fast on average as Reno with β_cubic
	// (RFC 9438 4.3): 3*(1-β)/(1+β), about 0.53 segments per RTT.
	cubicAlpha = 3 * (1 - cubicBeta) / (1 + cubicBeta)
	// cubicMaxGrowth caps the target one RTT ahead at 1.5 times cwnd
	// (RFC 9438 4.2): never faster than slow start's half-way point.
	cubicMaxGrowth = 1.5
)

// cubic is one connection's CUBIC state; zero is a connection that has
// had no loss.
type cubic struct {
	cubicCurve
	beforeLoss cubicCurve // the curve before the episode undo would take back
	hystart    hystart    // the initial slow start's exit (RFC 9406)
}

// cubicCurve is the state a congestion event changes, and an undo of it
// puts back.
type cubicCurve struct {
	wMax      float64   // W_max: the window before the last reduction; 0 after an RTO (4.8)
	cwndPrior float64   // the window at the last congestion event (4.3)
	k         float64   // K: seconds from the epoch until W_cubic is back at W_max
	epoch     time.Time // t = 0: the start of this congestion-avoidance stage; zero: none yet
	cwndEpoch float64   // cwnd at the epoch
	wEst      float64   // W_est: the window Reno would have now (4.3)
	grow      float64   // bytes of growth earned and not yet a whole MSS
	lastAck   time.Time // the last ACK that grew the window: an idle gap moves the epoch
}

// cubicK is equation (2); a window already at or past W_max gives 0.
func cubicK(wMax, cwndEpoch float64) float64 {
	return math.Cbrt(max(wMax-cwndEpoch, 0) / cubicC)
}

// curve is W_cubic(t), equation (1), t seconds after the epoch.
func (cu *cubic) curve(t float64) float64 {
	d := t - cu.k
	return cubicC*d*d*d + cu.wMax
}

func (*cubic) name() string { return "cubic" }

// startEpoch begins a congestion-avoidance stage at cwnd segments (RFC
// 9438 4.2). With no W_max above it (no loss yet, or the stage after an
// RTO, 4.8) the curve starts here: W_max = cwnd, K = 0, convex at once.
func (cu *cubic) startEpoch(cwnd float64, now time.Time) {
	cu.epoch, cu.cwndEpoch, cu.wEst, cu.grow = now, cwnd, cwnd, 0
	cu.wMax = max(cu.wMax, cwnd)
	cu.k = cubicK(cu.wMax, cwnd)
}

// onAck is slow start below ssthresh (with HyStart++ the first time),
// then RFC 9438 4.2 to 4.5: Reno's
// estimate when it is ahead of the curve, else a step towards the
// curve's value one RTT from now, (target - cwnd)/cwnd per segment.
func (cu *cubic) onAck(w *window, a ackEvent) {
	acked, mss, now, srtt := a.acked, a.mss, a.now, a.srtt
	if w.slowStarting() {
		if acked = cu.hystart.slowStart(w, a); acked == 0 {
			return
		}
	}
	seg, cwnd := float64(mss), float64(w.cwnd)/float64(mss)
	if cu.epoch.IsZero() {
		cu.startEpoch(cwnd, now)
	} else if gap := now.Sub(cu.lastAck); gap > max(srtt, MinRTO) {
		// The window was not in use (ack.go grows only a window in use):
		// time spent idle must not count as time probing (RFC 9438 5.8;
		// Linux moves epoch_start the same way).
		cu.epoch = cu.epoch.Add(gap)
	}
	cu.lastAck = now
	alpha := cubicAlpha
	if cu.wEst >= cu.cwndPrior {
		alpha = 1 // past the last loss's window, as fast as Reno (4.3)
	}
	cu.wEst += alpha * float64(acked) / float64(w.cwnd)
	t := now.Sub(cu.epoch).Seconds()
	if cu.curve(t) < cu.wEst { // the Reno-friendly region
		w.cwnd = max(w.cwnd, int(cu.wEst)*mss)
		return
	}
	target := min(max(cu.curve(t+srtt.Seconds()), cwnd), cubicMaxGrowth*cwnd)
	cu.grow += (target - cwnd) * float64(acked) / cwnd
	if n := int(cu.grow / seg); n > 0 {
		w.cwnd += n * mss
		cu.grow -= float64(n) * seg
	}
}

// onLoss is RFC 9438 4.6 and 4.7: ssthresh = flight * β_cubic, and
// W_max the window now, or with fast convergence, when this loss came
// below the last one's window (a new flow is taking a share), lower
// still, (1+β)/2 of it, to give bandwidth up faster. After an RTO (4.8)
// W_max and K start from the next congestion-avoidance stage instead.
func (cu *cubic) onLoss(w *window, flight, mss int, _ time.Time, timeout bool) {
	cwnd := float64(w.cwnd) / float64(mss)
	w.ssthresh = max(int(float64(flight)*cubicBeta), 2*mss)
	cu.epoch, cu.cwndPrior = time.Time{}, cwnd
	switch {
	case timeout:
		cu.wMax = 0
	case cwnd < cu.wMax:
		cu.wMax = cwnd * (1 + cubicBeta) / 2
	default:
		cu.wMax = cwnd
	}
}

// keepForUndo saves the curve before an episode's first onLoss.
func (cu *cubic) keepForUndo() { cu.beforeLoss = cu.cubicCurve }

// undo takes back an episode that proved spurious (undo.go): the window
// of before, as Linux's tcp_reno_undo_cwnd, and the curve of before,
// W_max, K and the epoch (RFC 9438 4.9), so that growth goes on where
// the false alarm interrupted it rather than from a new epoch at a
// W_max the false loss lowered.
func (cu *cubic) undo(w *window, priorCwnd int) {
	w.cwnd = max(w.cwnd, priorCwnd)
	cu.cubicCurve = cu.beforeLoss
}
