package tcp

import "time"

// RACK (RFC 8985 6): a segment is lost when one sent after it, by more
// than the reordering window, has been delivered. The clock, not the
// count of duplicate ACKs, decides: a reordering shorter than the window
// costs no retransmission, however many segments it overtakes, and a
// loss with a single SACK behind it is repaired a quarter RTT later
// instead of at the RTO. With net.ipv4.tcp_recovery bit 0 (the default,
// as Linux) RACK's marks replace RFC 6675's IsLost in SACK recovery.

// Bits of net.ipv4.tcp_recovery, as Linux.
const (
	RecoveryRACK          = 0x1 // RACK loss detection
	RecoveryStaticReoWnd  = 0x2 // no DSACK adaptation of the window
	RecoveryNoDupThreshFB = 0x4 // no reo_wnd 0 once DupThresh segments are SACKed
)

// minRTTWindow is how long a minimum RTT stands before a larger sample
// replaces it (Linux's tcp_min_rtt_wlen, 300 s).
const minRTTWindow = 300 * time.Second

// reoWndPersist is how many recoveries without DSACK keep a grown
// reordering window (RFC 8985 6.2 step 4).
const reoWndPersist = 16

// rackState is RFC 8985's RACK.* for one connection.
type rackState struct {
	on             bool          // RACK marks losses (rackOn)
	bits           int           // tcp_recovery when the connection was established
	xmitTS         time.Duration // RACK.xmit_ts: when the latest delivered segment went
	xmitOrder      uint64        // its send order, for RACK.end_seq's tie-break
	rtt            time.Duration // RACK.rtt: of that segment
	valid          bool          // xmitTS and endSeq hold a delivered segment
	fack           Seq           // RACK.fack: the highest end delivered
	reorderingSeen bool
	minRTT         time.Duration // RACK.min_RTT, over minRTTWindow
	minRTTAt       time.Duration
	reoWndMult     int
	reoWndPersist  int
	dsackRound     Seq // RACK.dsack_round (valid with dsackRoundSet)
	dsackRoundSet  bool
	dsackNow       bool   // the ACK being processed carries a DSACK
	dsackEnd       Seq    // the right edge of that DSACK
	tsEcr          uint32 // the timestamp that ACK echoes
	hasTSEcr       bool
	reorderNow     bool // this ACK delivered a segment below fack
	sackedSegs     int  // RACK.segs_sacked: records SACKed now

	ackArrived time.Duration // the earliest that ACK can have arrived (ackArrival)
}

// rackOn reports whether RACK marks losses: SACK negotiated and
// tcp_recovery's bit 0 when the connection was established (read once:
// the ACK path asks several times per segment).
func (c *Conn) rackOn() bool { return c.rack.on && c.recs.r != nil }

// rackMinRTT is RFC 8985 6.2 step 1: a windowed minimum of the RTT.
func (c *Conn) rackMinRTT(rtt, now time.Duration) {
	r := &c.rack
	if r.minRTT == 0 || rtt <= r.minRTT || now-r.minRTTAt > minRTTWindow {
		r.minRTT, r.minRTTAt = max(rtt, 1), now
	}
}

// sentAfter is RACK_sent_after: t1 after t2, or at the same instant and
// sent later. RFC 8985 breaks the tie by end_seq; the send order is the
// same for first transmissions and right for a retransmission made in
// the same clock tick as the data past it (a coarse or a test clock).
func sentAfter(t1 time.Duration, o1 uint64, t2 time.Duration, o2 uint64) bool {
	return t1 > t2 || t1 == t2 && o1 > o2
}

// rackDelivered is RFC 8985 6.2 steps 2 and 3 for one segment the peer
// now holds: the RACK RTT and most recent delivered segment, and
// reordering (a segment delivered below one delivered before).
func (c *Conn) rackDelivered(rec *sendRecord, cumulative bool, now time.Duration) {
	r := &c.rack
	rtt := now - rec.sentAt
	if !rec.everRtx {
		c.rackMinRTT(rtt, now)
	}
	// A retransmission's ACK may be for the original (RFC 8985 6.2 step
	// 2): it is when it echoes a timestamp older than the retransmission's,
	// and may be when it can have arrived sooner than the minimum RTT
	// after the retransmission went — dated by when it can first have
	// arrived, not when we read it: a busy stack reads late, and the
	// original's ACK, queued meanwhile, would look a round trip old.
	// Taken, it would make everything sent shortly before the
	// retransmission late (hundreds of records at once, TCP without
	// timestamps through netem's reordering).
	// The echo is that of the segment that moved the cumulative ACK
	// (RFC 7323 4.3), so it speaks for the records that ACK covers, not
	// for those a SACK block covers above a hole.
	forOriginal := cumulative && r.hasTSEcr && int32(r.tsEcr-rec.tsVal) < 0
	if !rec.everRtx || r.ackArrived-rec.sentAt >= r.minRTT && !forOriginal {
		r.rtt = rtt
		if !r.valid || sentAfter(rec.sentAt, rec.order, r.xmitTS, r.xmitOrder) {
			r.xmitTS, r.xmitOrder, r.valid = rec.sentAt, rec.order, true
		}
	}
	r.fack = MaxSeq(r.fack, c.sndUna) // kept within 2^31 of SND.UNA, so comparisons hold
	switch {
	case rec.end.GT(r.fack):
		r.fack = rec.end
	case rec.end.LT(r.fack) && !rec.everRtx:
		r.reorderingSeen, r.reorderNow = true, true
	}
}

// inLossRecovery is RFC 8985's "in Fast or RTO recovery".
func (c *Conn) inLossRecovery() bool { return c.cc.inRecovery || !c.mayRecover() }

// reoWnd is RFC 8985 6.2 step 4's window (the DSACK adaptation is made
// per ACK by rackDSACKRound).
func (c *Conn) reoWnd() time.Duration {
	r := &c.rack
	if !r.reorderingSeen {
		if c.inLossRecovery() {
			return 0
		}
		if r.sackedSegs >= dupThresh && r.bits&RecoveryNoDupThreshFB == 0 {
			return 0
		}
	}
	return min(time.Duration(max(r.reoWndMult, 1))*r.minRTT/4, c.rtt.srtt)
}

// rackDSACKRound adapts the window on an ACK (RFC 8985 6.2 step 4): one
// step wider per round trip that sees a DSACK, back to one after 16
// recoveries without.
func (c *Conn) rackDSACKRound() {
	r := &c.rack
	if r.dsackRoundSet && c.sndUna.GEQ(r.dsackRound) {
		r.dsackRoundSet = false
	}
	if r.dsackNow && !r.dsackRoundSet && r.bits&RecoveryStaticReoWnd == 0 {
		r.dsackRound, r.dsackRoundSet = c.sndNxt, true
		r.reoWndMult = max(r.reoWndMult, 1) + 1
		r.reoWndPersist = reoWndPersist
	}
}

// rackRecoveryEnded is step 4's "exiting Fast or RTO recovery".
func (c *Conn) rackRecoveryEnded() {
	if r := &c.rack; r.reoWndPersist > 0 {
		if r.reoWndPersist--; r.reoWndPersist == 0 {
			r.reoWndMult = 1
		}
	}
}

// rackDetectLoss is RFC 8985 6.2 step 5: every segment sent before the
// latest delivered one by more than RACK.rtt + reo_wnd is lost; for the
// others the time left until they would be. It returns the longest such
// time (0: none waits). Records are in sequence order; the first never
// retransmitted one sent after RACK's segment ends the walk, as every
// record past it went later still.
func (c *Conn) rackDetectLoss() (lost bool, wait time.Duration) {
	r := &c.rack
	if !r.valid {
		return false, 0
	}
	reo, now := c.reoWnd(), c.since()
	for i := range c.recs.n {
		rec := c.recs.at(i)
		if rec.sacked || rec.waiting() {
			continue
		}
		if !sentAfter(r.xmitTS, r.xmitOrder, rec.sentAt, rec.order) {
			if !rec.everRtx {
				break
			}
			continue
		}
		left := rec.sentAt + r.rtt + reo - now
		if left <= 0 {
			if rec.rtxOut { // a retransmission lost again, as Linux counts it
				c.p.Stats.LostRetransmit.Add(1)
			}
			was := rec.waiting()
			rec.lost, rec.rtxOut, lost = true, false, true
			c.recs.settle(rec, was)
			continue
		}
		wait = max(wait, left)
	}
	return lost, wait
}

// detectLosses follows the cumulative ACK (newAck, dupAck): the records
// SACKed (after it: RFC 8985 takes segments in sequence order), the tail
// loss probe's episode, then RACK, or without it RFC 6675's check for a
// lost retransmission. pureDup: a duplicate ACK with no SACK, no data.
func (c *Conn) detectLosses(ack Seq, o *Options, newSACK, pureDup bool) {
	if newSACK {
		c.recordsSACKedBy(o)
	}
	if c.rack.dsackNow {
		c.undoByDSACK()
	}
	c.tlpAck(ack, pureDup)
	if c.rackOn() {
		c.rackAck()
	} else if c.sackRecovering() {
		c.lostRetransmit()
	}
	if c.rack.reorderNow { // with RACK or not, as Linux counts it
		c.p.Stats.SACKReorder.Add(1)
	}
	c.rack.dsackNow, c.rack.reorderNow = false, false
}

// rackAck runs RACK at the end of an ACK's processing: the window
// adapted, losses marked, recovery entered for them, and the reorder
// timer armed for segments not yet late enough.
func (c *Conn) rackAck() {
	c.rackDSACKRound()
	c.rackMarkAndRecover()
}

// rackMarkAndRecover marks losses, starts recovery for them when it may
// (reporting whether it did), and arms the reorder timer for what is not
// late yet.
func (c *Conn) rackMarkAndRecover() (entered bool) {
	lost, wait := c.rackDetectLoss()
	if lost && !c.cc.inRecovery && c.mayRecover() {
		c.enterSACKRecovery("RACK: lost by time")
		entered = true
	}
	if wait > 0 {
		c.armReo(wait)
	} else if c.reo {
		c.armRtx()
	}
	return entered
}

// armReo arms the RACK reorder timer in the retransmission timer's place
// (RFC 8985 6.3): the RTO follows it if nothing else re-arms.
func (c *Conn) armReo(d time.Duration) {
	c.startTimer(&c.rtxTimer, &c.rtxWhen, d, (*Conn).onRtx)
	c.persist, c.probe, c.reo = false, false, true
}

// reoTimeout is the reorder timer (RACK_detect_loss_and_arm_timer):
// what became late is lost, recovery sends it.
func (c *Conn) reoTimeout() {
	c.reo = false
	if c.rackMarkAndRecover() {
		c.prrAck(0) // as Linux: the reduction begins, a segment may go
	}
	c.output()
	if c.rtxWhen.IsZero() && c.inFlight() > 0 {
		c.armRtx()
	}
}

// ackArrival is the earliest the ACK being processed can have arrived, as
// the records keep time: when the device last had no frame ready, if it
// can tell, else when we read it.
func (c *Conn) ackArrival() time.Duration {
	at := c.lastRecv
	if !c.arrivedAfter.IsZero() && c.arrivedAfter.Before(at) {
		at = c.arrivedAfter
	}
	return at.Sub(c.recs.epoch)
}
