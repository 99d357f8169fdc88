package tcp

import "time"

// Delivery rate estimation (draft-cheng-iccrg-delivery-rate-estimation,
// as Linux's tcp_rate.c): each record keeps a snapshot of how much had
// been delivered when it went; an ACK that delivers records compares
// that snapshot with now, over the longer of the send and ACK intervals,
// and yields a rate sample. A sample taken while the application had
// nothing to send is marked app-limited: it says less than the path can
// carry, so it replaces the last one only when it is higher.

// rateSnap is the connection's delivery state when a record went.
type rateSnap struct {
	priorDelivered int64         // C.delivered
	priorTime      time.Duration // C.delivered_time
	firstTx        time.Duration // C.first_tx_time
	appLimited     bool          // sent while the application was the limit
}

// rateState is the connection's side (the draft's C.*), the sample an
// ACK is building (RS.*), and the latest valid sample.
type rateState struct {
	delivered     int64 // bytes the peer has (ACKed or SACKed)
	deliveredTime time.Duration
	firstTx       time.Duration
	appLimited    int64 // C.app_limited: delivered count that ends the app-limited period; 0 none

	sample      rateSnap // the most recently sent record delivered by this ACK
	sampleSent  time.Duration
	sampleValid bool

	rate    int64 // bytes per second of the latest sample kept
	rateApp bool  // that sample was app-limited
}

// rateSnapshot is the state a record sent at now keeps (the draft's
// "upon sending"): a send into an empty pipe starts the intervals.
func (c *Conn) rateSnapshot(now time.Duration) rateSnap {
	r := &c.rate
	if c.inFlight() == 0 {
		r.firstTx, r.deliveredTime = now, now
	}
	return rateSnap{priorDelivered: r.delivered, priorTime: r.deliveredTime, firstTx: r.firstTx, appLimited: r.appLimited != 0}
}

// rateDelivered counts bytes of rec delivered by this ACK; the most
// recently sent record delivered gives the sample its start.
func (c *Conn) rateDelivered(bytes int, rec *sendRecord, now time.Duration) {
	r := &c.rate
	r.delivered += int64(bytes)
	r.deliveredTime = now
	if !r.sampleValid || rec.priorDelivered >= r.sample.priorDelivered {
		r.sample, r.sampleSent, r.sampleValid = rec.rateSnap, rec.sentAt, true
		r.firstTx = rec.sentAt
	}
}

// rateSample ends an ACK: the bytes delivered since the sample's record
// went, over max(send interval, ACK interval). An interval below the
// minimum RTT cannot be real (ACK compression) and is dropped.
func (c *Conn) rateSample() {
	r := &c.rate
	if r.appLimited != 0 && r.delivered > r.appLimited {
		r.appLimited = 0
	}
	if !r.sampleValid {
		return
	}
	r.sampleValid = false
	s := r.sample
	interval := max(r.sampleSent-s.firstTx, r.deliveredTime-s.priorTime)
	bytes := r.delivered - s.priorDelivered
	if interval <= 0 || bytes <= 0 || interval < c.rack.minRTT {
		return
	}
	rate := bytes * int64(time.Second) / int64(interval)
	if !s.appLimited || rate >= r.rate {
		r.rate, r.rateApp = rate, s.appLimited
	}
}

// checkAppLimited marks the application as the limit (the draft's
// "upon the application writing"): less than a segment to send, room in
// cwnd, and no loss waiting to be repaired. The period ends once what is
// in flight now is delivered.
func (c *Conn) checkAppLimited() {
	if c.unsent() < c.mss && c.inFlight() < c.cc.cwnd && c.recs.lost == 0 {
		c.rate.appLimited = max(c.rate.delivered+int64(c.inFlight()), 1)
	}
}
