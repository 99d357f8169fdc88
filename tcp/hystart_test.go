package tcp

import (
	"testing"
	"time"
)

// hsRun is CUBIC's initial slow start on a path whose RTT the test sets
// per round: each ACK acknowledges one segment and lets the window's
// worth of new data go, as a sender limited by cwnd alone does.
type hsRun struct {
	cu            cubic
	w             window
	una, max, end Seq // end: the test's own round boundary, as RFC 9406 counts
	round         int
	now           time.Time
	cssRound      int   // the round CSS began in; -1: never
	exitRound     int   // the round slow start ended in (ssthresh set); -1: not yet
	cwndAt        []int // cwnd in segments at the start of each round
}

func newHSRun() *hsRun {
	r := &hsRun{w: window{cwnd: 10 * testMSS, ssthresh: infiniteSsthresh}, now: epoch0, cssRound: -1, exitRound: -1}
	r.max = r.una.Add(r.w.cwnd)
	r.end = r.max
	r.cwndAt = []int{10}
	return r
}

// run goes on until the round limit, with rtt(round) for every ACK.
func (r *hsRun) run(rounds int, rtt func(round int) time.Duration) {
	for r.round < rounds {
		d := rtt(r.round)
		r.now = r.now.Add(d / 10)
		r.una = r.una.Add(testMSS)
		r.cu.onAck(&r.w, ackEvent{acked: testMSS, mss: testMSS, now: r.now, srtt: d, rtt: d, hasRTT: true, sndUna: r.una, sndMax: r.max})
		if r.cu.hystart.css && r.cssRound < 0 {
			r.cssRound = r.round
		}
		if r.w.ssthresh < infiniteSsthresh && r.exitRound < 0 {
			r.exitRound = r.round
		}
		r.max = MaxSeq(r.max, r.una.Add(r.w.cwnd))
		if r.una.GEQ(r.end) {
			r.round, r.end = r.round+1, r.max
			r.cwndAt = append(r.cwndAt, r.w.cwnd/testMSS)
		}
	}
}

// RTT 50 ms, then a queue: from round 4 the minimum is 60 ms, above
// 50 + 50/8. CSS begins in round 4 once 8 samples are in, grows by a
// quarter as fast, and after 5 rounds of it congestion avoidance begins
// with ssthresh = cwnd, with no loss.
func TestHyStartExitsOnRisingRTT(t *testing.T) {
	r := newHSRun()
	r.run(12, func(round int) time.Duration {
		if round >= 4 {
			return 60 * time.Millisecond
		}
		return 50 * time.Millisecond
	})
	if r.cssRound != 4 || r.exitRound != 9 {
		t.Fatalf("CSS from round %d, congestion avoidance from round %d; want 4 and 9 (cwnd by round %v)", r.cssRound, r.exitRound, r.cwndAt)
	}
	for i := 1; i <= 4; i++ { // slow start: doubling
		if r.cwndAt[i] != 2*r.cwndAt[i-1] {
			t.Errorf("slow start: cwnd by round %v, want doubling to round 4", r.cwndAt)
		}
	}
	for i := 6; i <= 9; i++ { // CSS: a quarter of slow start's growth per round
		if g := float64(r.cwndAt[i]) / float64(r.cwndAt[i-1]); g < 1.2 || g > 1.3 {
			t.Errorf("CSS round %d: cwnd x%.2f (by round %v), want x1.25", i, g, r.cwndAt)
		}
	}
	if r.w.ssthresh >= infiniteSsthresh || r.w.ssthresh < r.cwndAt[9]*testMSS || !r.cu.hystart.done {
		t.Errorf("after CSS: ssthresh %d, cwnd at the exit %d; want ssthresh = cwnd then", r.w.ssthresh/testMSS, r.cwndAt[9])
	}
}

// A rise that does not last: round 5's minimum falls below the CSS
// baseline, so slow start resumes and no ssthresh is set.
func TestHyStartSpuriousRiseResumesSlowStart(t *testing.T) {
	r := newHSRun()
	r.run(9, func(round int) time.Duration {
		switch {
		case round == 4:
			return 60 * time.Millisecond
		case round > 4:
			return 45 * time.Millisecond
		}
		return 50 * time.Millisecond
	})
	if r.cssRound != 4 || r.cu.hystart.css || r.exitRound >= 0 {
		t.Fatalf("CSS from round %d, still in it %v, slow start over in round %d; want 4, false, never", r.cssRound, r.cu.hystart.css, r.exitRound)
	}
	if r.cwndAt[8] != 2*r.cwndAt[7] {
		t.Errorf("cwnd by round %v: want doubling again after the dip", r.cwndAt)
	}
}

// The delay threshold is an eighth of the last round's minimum, clamped
// to 4..16 ms (RFC 9406 4.2). On a TAP the RTT is tens of microseconds
// (the samples come from send times, rttsample.go): even a sixty-fold
// rise stays below the 4 ms floor, and slow start goes on until a loss.
func TestHyStartThreshold(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	for _, c := range []struct {
		base, next time.Duration
		css        bool
	}{
		{ms(10), ms(13.9), false}, {ms(10), ms(14), true}, // 10/8 is below 4 ms
		{ms(80), ms(89.9), false}, {ms(80), ms(90), true}, // 80/8 = 10 ms
		{ms(200), ms(215.9), false}, {ms(200), ms(216), true}, // 200/8 is above 16 ms
		{ms(0.05), ms(3), false}, {ms(0.05), ms(4.05), true}, // a TAP's 50 µs
	} {
		r := newHSRun()
		r.run(4, func(round int) time.Duration {
			if round == 3 {
				return c.next
			}
			return c.base
		})
		if got := r.cssRound == 3; got != c.css {
			t.Errorf("RTT %v then %v: CSS %v, want %v", c.base, c.next, got, c.css)
		}
	}
}

// After a loss the slow start back to ssthresh is RFC 5681's: a rising
// RTT changes nothing.
func TestHyStartOnlyInitialSlowStart(t *testing.T) {
	r := newHSRun()
	r.cu.onLoss(&r.w, 200*testMSS, testMSS, epoch0, true) // an RTO: ssthresh 140
	r.w.cwnd = testMSS
	r.run(9, func(round int) time.Duration { return time.Duration(50+20*round) * time.Millisecond })
	if r.cssRound >= 0 || r.w.cwnd < r.w.ssthresh {
		t.Errorf("slow start after an RTO: CSS in round %d, cwnd %d of ssthresh %d; want no CSS, cwnd at ssthresh",
			r.cssRound, r.w.cwnd/testMSS, r.w.ssthresh/testMSS)
	}
}
