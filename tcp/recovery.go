package tcp

// Loss recovery with SACK (RFC 6675), used when SACK was negotiated;
// connections without it keep NewReno (RFC 6582, ack.go). The
// scoreboard is c.sacked: what the peer's SACK blocks say it holds past
// SND.UNA (HighACK); SND.MAX is HighData.

// dupThresh is RFC 6675's DupThresh (RFC 5681's three duplicate ACKs).
const dupThresh = 3

// lostEdge is where IsLost(seq) stops holding: every unSACKed byte below
// it has dupThresh SACKed ranges or more than (dupThresh-1)*MSS SACKed
// bytes above it (RFC 6675 4, IsLost). SND.UNA: nothing is lost yet.
func (c *Conn) lostEdge() Seq {
	ranges, bytes := 0, 0
	for i := c.sacked.n - 1; i >= 0; i-- {
		r := c.sacked.r[i]
		ranges, bytes = ranges+1, bytes+r.Right.Sub(r.Left)
		if ranges >= dupThresh || bytes > (dupThresh-1)*c.mss {
			return r.Left
		}
	}
	return c.sndUna
}

// sackedIn is how many bytes of [from, to) the scoreboard holds.
func (c *Conn) sackedIn(from, to Seq) int {
	n := 0
	for _, r := range c.sacked.r[:c.sacked.n] {
		if lo, hi := MaxSeq(r.Left, from), MinSeq(r.Right, to); hi.GT(lo) {
			n += hi.Sub(lo)
		}
	}
	return n
}

// unsacked is how many bytes of [from, to) the peer has not SACKed.
func (c *Conn) unsacked(from, to Seq) int {
	if !to.GT(from) {
		return 0
	}
	return to.Sub(from) - c.sackedIn(from, to)
}

// pipe is RFC 6675's SetPipe: the bytes thought to be in the network,
// each unSACKed byte counting once if not lost and once more if it was
// retransmitted in this recovery (below HighRxt).
func (c *Conn) pipe() int {
	if c.rackOn() { // RACK's lost records, less those sent again
		return c.unsacked(c.sndUna, c.sndMax) - c.lostUnsent()
	}
	lost := MaxSeq(c.lostEdge(), c.sndUna)
	return c.unsacked(lost, c.sndMax) + c.unsacked(c.sndUna, MaxSeq(c.cc.highRxt, c.sndUna))
}

// holeAt returns the first unSACKed byte at or after seq and where that
// hole ends (the next SACKed range, or SND.MAX).
func (c *Conn) holeAt(seq Seq) (start, end Seq) {
	start, left, ok := c.sacked.after(seq)
	if !ok {
		return start, c.sndMax
	}
	return start, left
}

// enterSACKRecovery is RFC 6675 5 step 4: RecoveryPoint = HighData,
// cwnd = ssthresh = FlightSize/2, the first segment again at once; the
// caller's output then sends what cwnd - pipe allows.
func (c *Conn) enterSACKRecovery(reason string) {
	c.p.Stats.SackRecovery.Add(1)
	c.startRecovery()
	c.cc.cwnd, c.cc.sack, c.cc.rescue = c.cc.ssthresh, true, false
	c.cc.prr = prr{recoverFS: c.inFlight()}
	c.cc.rxt.n = 0
	c.tlpOut = false // recovery's reduction answers for a probe's loss too (as Linux)
	if c.rackOn() {  // output sends what RACK marked lost
		c.cc.highRxt = c.sndUna
		c.traceEvent(TraceRetransmit, reason)
		return
	}
	c.cc.highRxt = c.sndUna.Add(c.retransmitHead(reason))
}

// recoverySegment is RFC 6675's NextSeg rules 1, 3 and 4 (rule 2, new
// data, is output's own loop, tried between 1 and 3): it sends one
// retransmission and reports whether it did. newData says whether rule
// 2 could send new data now.
func (c *Conn) recoverySegment(newData bool) bool {
	if c.rackOn() {
		return c.resendLost()
	}
	from := MaxSeq(c.cc.highRxt, c.sndUna)
	start, end := c.holeAt(from)
	if lost := c.lostEdge(); start.LT(lost) { // rule 1: a lost hole past HighRxt
		return c.resendHole(start, end, "SACK recovery: lost")
	}
	if newData {
		return false
	}
	if c.sacked.n > 0 && start.LT(c.sacked.r[c.sacked.n-1].Right) { // rule 3: a hole below SACKed data
		return c.resendHole(start, end, "SACK recovery: hole")
	}
	return c.rescueRetransmit()
}

// resendHole retransmits up to an MSS of the hole [start, end) and moves
// HighRxt past it.
func (c *Conn) resendHole(start, end Seq, reason string) bool {
	n := c.resend(start, min(c.mss, end.Sub(start)), reason)
	if n == 0 {
		return false
	}
	c.cc.highRxt = start.Add(n)
	return true
}

// rescueRetransmit is RFC 6675 4 rule 4: once per recovery, when nothing
// else may go, the last unSACKed segment again, so that a lost tail is
// repaired by ACKs rather than the RTO. HighRxt stays.
func (c *Conn) rescueRetransmit() bool {
	if c.cc.rescue {
		return false
	}
	end := c.sndMax
	if k := c.sacked.n; k > 0 && c.sacked.r[k-1].Right == c.sndMax {
		end = c.sacked.r[k-1].Left
	}
	if !end.GT(c.sndUna) {
		return false
	}
	start := MaxSeq(end.Add(-c.mss), c.sndUna)
	for _, r := range c.sacked.r[:c.sacked.n] { // within the hole that ends at end
		if r.Right.LEQ(end) {
			start = MaxSeq(start, r.Right)
		}
	}
	c.cc.rescue = true
	return c.resend(start, end.Sub(start), "SACK recovery: rescue") > 0
}

// prr is RFC 6937's state for Proportional Rate Reduction: what the
// peer received and what we sent since recovery began, and the flight
// then (RecoverFS).
type prr struct {
	delivered, out, recoverFS int
}

// prrAck is RFC 6937 3 on an ACK during SACK recovery (the one starting
// it too): cwnd becomes pipe + sndcnt. While pipe is above ssthresh,
// sending follows delivery in the ratio ssthresh/RecoverFS, so the
// window comes down to ssthresh smoothly instead of in a silence of
// half a window; below it, slow-start reduction bound (PRR-SSRB) brings
// pipe back up by at most what was delivered plus one MSS per ACK.
func (c *Conn) prrAck(delivered int) {
	p, ssthresh := &c.cc.prr, c.cc.ssthresh
	p.delivered += delivered
	pipe := c.pipe()
	var sndcnt int
	if pipe > ssthresh {
		num := int64(p.delivered)*int64(ssthresh) + int64(max(p.recoverFS, 1)) - 1 // ceil
		sndcnt = int(num/int64(max(p.recoverFS, 1))) - p.out
	} else {
		sndcnt = min(ssthresh-pipe, max(p.delivered-p.out, delivered)+c.mss)
	}
	if p.out == 0 { // the fast retransmit goes whatever the reduction says (as Linux)
		sndcnt = max(sndcnt, c.mss)
	}
	c.cc.cwnd = pipe + max(sndcnt, 0)
}

// recoveryName is the loss recovery the connection uses, for ss.
func (c *Conn) recoveryName() string {
	if c.sackOK {
		return "sack"
	}
	return "newreno"
}

// sackRecovering reports whether output is run by RFC 6675's pipe.
func (c *Conn) sackRecovering() bool { return c.cc.inRecovery && c.cc.sack }

// resendLost is NextSeg with RACK: the first segment RACK marked lost
// and not yet sent again (its unSACKed part, up to an MSS). Holes RACK
// has not marked wait: they may be reordering (rules 3 and 4 do not
// apply; the tail loss probe covers a lost tail).
func (c *Conn) resendLost() bool {
	for rec := c.firstLost(); rec != nil; rec = c.firstLost() {
		start, end := c.holeAt(MaxSeq(rec.start, c.sndUna))
		if end = MinSeq(end, rec.end); start.LT(end) {
			return c.resendHole(start, end, "RACK: lost")
		}
		c.markSACKed(rec) // the scoreboard holds all of it after all
	}
	return false
}
