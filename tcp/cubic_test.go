package tcp

import (
	"math"
	"testing"
	"time"
)

// CUBIC's arithmetic against RFC 9438's formulas, in segments of 1000
// bytes: the curve, the reduction, and the window it gives over time.

const testMSS = 1000

var epoch0 = time.Unix(1_700_000_000, 0)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// K and W_cubic(t): eq. 2 and eq. 1, at the points where they are easy
// to compute by hand.
func TestCubicCurve(t *testing.T) {
	// A loss at 100 segments, congestion avoidance from 70: K = cbrt(30/0.4).
	cu := cubic{cubicCurve: cubicCurve{wMax: 100}}
	cu.startEpoch(70, epoch0)
	if want := math.Cbrt(75); !near(cu.k, want, 1e-9) || !near(cu.k, 4.2172, 1e-4) {
		t.Errorf("K = %.6f, want cbrt(75) = %.6f", cu.k, want)
	}
	for _, c := range []struct{ t, want float64 }{
		{0, 70},                        // the curve starts at cwnd_epoch
		{cu.k / 2, 100 - 30.0/8},       // concave: 7/8 of the way at half K
		{cu.k, 100},                    // back at W_max after K
		{2 * cu.k, 130},                // convex, as far above as it started below
		{cu.k + 1, 100 + cubicC*1*1*1}, // C*(t-K)^3 + W_max
		{cu.k + 10, 100 + cubicC*10*10*10},
	} {
		if got := cu.curve(c.t); !near(got, c.want, 1e-9) {
			t.Errorf("W_cubic(%.3f) = %.6f, want %.6f", c.t, got, c.want)
		}
	}
	// No W_max above the window (no loss yet, or after an RTO): K = 0.
	fresh := cubic{}
	fresh.startEpoch(40, epoch0)
	if fresh.k != 0 || fresh.wMax != 40 || fresh.curve(0) != 40 {
		t.Errorf("first epoch at 40: K %v W_max %v, want 0 and 40", fresh.k, fresh.wMax)
	}
	if a := cubicAlpha; !near(a, 3*0.3/1.7, 1e-12) {
		t.Errorf("alpha_cubic %v, want 3(1-beta)/(1+beta)", a)
	}
}

// The reduction (4.6), fast convergence (4.7) and the RTO (4.8).
func TestCubicOnLoss(t *testing.T) {
	var cu cubic
	w := window{cwnd: 100 * testMSS, ssthresh: infiniteSsthresh}
	cu.onLoss(&w, 100*testMSS, testMSS, epoch0, false)
	if w.ssthresh != 70*testMSS || cu.wMax != 100 || cu.cwndPrior != 100 || !cu.epoch.IsZero() {
		t.Errorf("loss at 100: ssthresh %d W_max %v prior %v, want 70, 100, 100", w.ssthresh/testMSS, cu.wMax, cu.cwndPrior)
	}
	w.cwnd = 80 * testMSS // the next loss comes below the last: fast convergence
	cu.onLoss(&w, 60*testMSS, testMSS, epoch0, false)
	if w.ssthresh != 42*testMSS || !near(cu.wMax, 80*(1+0.7)/2, 1e-9) {
		t.Errorf("loss at 80 after 100: ssthresh %d (flight 60) W_max %v, want 42 and 68", w.ssthresh/testMSS, cu.wMax)
	}
	w.cwnd = 120 * testMSS // above W_max: the new W_max is the window
	cu.onLoss(&w, 120*testMSS, testMSS, epoch0, false)
	if cu.wMax != 120 {
		t.Errorf("loss at 120: W_max %v, want 120", cu.wMax)
	}
	w.cwnd = 2 * testMSS // a tiny flight: ssthresh is at least 2 segments
	cu.onLoss(&w, testMSS, testMSS, epoch0, true)
	if w.ssthresh != 2*testMSS || cu.wMax != 0 {
		t.Errorf("RTO with 1 segment out: ssthresh %d W_max %v, want 2 and 0 (set at the next epoch)", w.ssthresh/testMSS, cu.wMax)
	}
	cu.startEpoch(30, epoch0) // after the RTO: K 0, W_max and W_est the window (4.8)
	if cu.k != 0 || cu.wMax != 30 || cu.wEst != 30 {
		t.Errorf("epoch after the RTO: K %v W_max %v W_est %v, want 0, 30, 30", cu.k, cu.wMax, cu.wEst)
	}
}

// drive acknowledges the whole window once per RTT, in ten ACKs, for the
// given number of rounds from start, and returns cwnd in segments after
// each round.
func drive(cu *cubic, w *window, start time.Time, rtt time.Duration, rounds int) []float64 {
	out := make([]float64, rounds)
	now := start
	for r := range rounds {
		left := w.cwnd
		for i := range 10 {
			acked := left / (10 - i)
			left -= acked
			cu.onAck(w, ackEvent{acked: acked, mss: testMSS, now: now.Add(rtt * time.Duration(i) / 10), srtt: rtt})
		}
		now = now.Add(rtt)
		out[r] = float64(w.cwnd) / testMSS
	}
	return out
}

// Over a long RTT, the window follows the curve one RTT ahead: concave
// up to W_max around K, convex after, and never more than 1.5 times
// per RTT.
func TestCubicFollowsTheCurve(t *testing.T) {
	var cu cubic
	w := window{cwnd: 100 * testMSS, ssthresh: infiniteSsthresh}
	cu.onLoss(&w, 100*testMSS, testMSS, epoch0, false)
	w.cwnd = w.ssthresh // recovery over: cwnd = ssthresh = 70
	rtt := 200 * time.Millisecond
	got := drive(&cu, &w, epoch0, rtt, 60)
	k := cubicK(100, 70)
	for r, cwnd := range got {
		// each ACK steps towards the curve one RTT on: at the end of
		// round r the window is where the curve is then
		want := cu.curve(float64(r+1) * rtt.Seconds())
		if !near(cwnd, want, 0.02*want+1) {
			t.Errorf("round %d (t %.1fs): cwnd %.0f, want about W_cubic %.1f", r, float64(r+1)*rtt.Seconds(), cwnd, want)
		}
		if r > 0 && cwnd > 1.5*got[r-1]+1 {
			t.Errorf("round %d: cwnd %.0f after %.0f, more than 1.5 times in an RTT", r, cwnd, got[r-1])
		}
	}
	atK := got[int(k/rtt.Seconds())]
	if !near(atK, 100, 3) {
		t.Errorf("cwnd %.0f at K (%.2f s), want W_max 100", atK, k)
	}
	if half := got[int(k/2/rtt.Seconds())]; half < 90 {
		t.Errorf("cwnd %.0f at K/2, want concave growth: above 90 of 70..100", half)
	}
	if last := got[len(got)-1]; last < 120 {
		t.Errorf("cwnd %.0f at 12 s, want convex growth past W_max (curve %.0f)", last, cu.curve(12))
	}
}

// Over a short RTT the curve is slower than Reno would be: the window
// follows W_est, α_cubic per RTT up to the last loss's window, then one
// segment per RTT, until the curve crosses it and takes over.
func TestCubicRenoFriendlyRegion(t *testing.T) {
	var cu cubic
	w := window{cwnd: 20 * testMSS, ssthresh: infiniteSsthresh}
	cu.onLoss(&w, 20*testMSS, testMSS, epoch0, false)
	w.cwnd = w.ssthresh // 14
	rtt := 10 * time.Millisecond
	rounds := 2500 // 25 s
	got := drive(&cu, &w, epoch0, rtt, rounds)
	// Reno's estimate, per RTT (eq. 4 summed over a window of ACKs).
	reno := make([]float64, rounds)
	for west, r := 14.0, 0; r < rounds; r++ {
		if west < 20 {
			west += cubicAlpha
		} else {
			west++
		}
		reno[r] = west
	}
	cross := -1 // the first round whose curve is above Reno's estimate
	for r := range rounds {
		if cu.curve(float64(r+1)*rtt.Seconds()) > reno[r] {
			cross = r
			break
		}
	}
	if cross < 1000 || cross > 2200 { // 0.4(t-K)^3 = 100 t, near t = 19 s
		t.Fatalf("the curve crosses Reno's estimate at round %d, want near 1900", cross)
	}
	for _, r := range []int{5, 50, 500, cross - 100} {
		if !near(got[r], reno[r], 0.02*reno[r]+1) {
			t.Errorf("round %d, before the crossover: cwnd %.0f, want Reno's estimate %.1f", r, got[r], reno[r])
		}
	}
	after := rounds - 1
	if got[after] < reno[after]*1.05 {
		t.Errorf("after the crossover: cwnd %.0f, want the curve's, above Reno's %.0f", got[after], reno[after])
	}
	if want := cu.curve(float64(after+1) * rtt.Seconds()); !near(got[after], want, 0.03*want) {
		t.Errorf("after the crossover: cwnd %.0f, want W_cubic %.0f", got[after], want)
	}
}

// Time with the window unused does not count: an idle gap moves the
// epoch, so the curve picks up where it left.
func TestCubicIdleMovesTheEpoch(t *testing.T) {
	var cu cubic
	w := window{cwnd: 100 * testMSS, ssthresh: infiniteSsthresh}
	cu.onLoss(&w, 100*testMSS, testMSS, epoch0, false)
	w.cwnd = w.ssthresh
	rtt := 100 * time.Millisecond
	drive(&cu, &w, epoch0, rtt, 5)
	before := w.cwnd
	got := drive(&cu, &w, epoch0.Add(time.Minute), rtt, 1) // a minute later
	if got[0] > 1.1*float64(before)/testMSS {
		t.Errorf("after a minute idle: cwnd %.0f from %d, want the curve where it left off", got[0], before/testMSS)
	}
}

// Slow start up to ssthresh and not past it, the rest of the ACK going
// to congestion avoidance, for both algorithms.
func TestSlowStartStopsAtSsthresh(t *testing.T) {
	for _, algo := range []congestionControl{reno{}, &cubic{}} {
		w := window{cwnd: 10 * testMSS, ssthresh: 11 * testMSS}
		algo.onAck(&w, ackEvent{acked: 2 * testMSS, mss: testMSS, now: epoch0, srtt: 100 * time.Millisecond})
		if w.cwnd != 11*testMSS {
			t.Errorf("%s: cwnd %d after 2 segments acked 1 below ssthresh, want 11", algo.name(), w.cwnd/testMSS)
		}
	}
}
