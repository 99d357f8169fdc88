package tcp

// Undo of a window reduction that proves spurious, as Linux's
// tcp_input.c: an episode — a fast recovery, or an RTO and what follows
// it — remembers the window it cut, and gives it back when the peer
// shows that nothing was lost.
//
// Fast recovery (RACK or duplicate ACKs) starts whenever reordering looks
// like a loss; under netem's reordering each false alarm would cost a
// halving of cwnd (CUBIC: to 0.7). Two proofs undo it:
//   - D-SACK (RFC 3708): each retransmission the peer reports as a
//     duplicate was needless; when every retransmission of the episode
//     has been so reported (Linux's undo_retrans reaching 0), none was
//     needed (TcpExtTCPDSACKUndo). The D-SACKs come about an RTT after
//     the retransmissions, usually once recovery is over: the episode
//     stays undoable until the next begins.
//   - Timestamps (RFC 3522, Linux's tcp_packet_delayed): an ACK that
//     echoes a TSval older than the episode's first retransmission was
//     sent for an original. At the end of recovery it undoes all of it
//     (TcpExtTCPFullUndo); on a partial ACK, once no retransmission is
//     left unacknowledged, it ends recovery early (TcpExtTCPPartialUndo).
//
// An RTO is undone only by the first ACK after it (Eifel, RFC 3522 and
// RFC 4015, Linux's tcp_try_undo_loss). Over a TAP the RTO fires
// spuriously whenever this process stalls (descheduled on a busy host;
// an 82 ms stop of the only thread shows in a runtime trace,
// doc/performance.md "Why the sender swung"): after the stall the timer
// runs before the poller has read the ACKs queued on the device
// meanwhile, so the RTO resends a window the peer already holds and cuts
// cwnd to one segment. The first ACK after it echoes a timestamp older
// than the retransmission's: the network lost nothing, and the cut is
// undone.

// undoState is one episode's: Linux's undo_marker, undo_retrans,
// retrans_stamp, prior_cwnd and prior_ssthresh.
type undoState struct {
	armed          bool   // the episode may still be undone (undo_marker set)
	rto            bool   // it has had an RTO: the first ACK after it decides
	marker         Seq    // SND.UNA when it began (undo_marker)
	retrans        int    // its retransmissions no D-SACK has reported yet, in segments
	resent         bool   // it retransmitted something: tsVal holds the first
	tsVal          uint32 // the TSval of its first retransmission (RFC 3522's RetransmitTS)
	cwnd, ssthresh int    // before it
}

// beginUndo starts an episode at a window reduction about to be made
// (as Linux's tcp_init_undo): the window now, and ssthresh as Linux's
// tcp_current_ssthresh (at least 3/4 of cwnd, so that an undone episode
// leaves the connection in congestion avoidance near where it was).
func (c *Conn) beginUndo() {
	w := c.cc.window
	c.undo = undoState{armed: true, marker: c.sndUna, cwnd: w.cwnd, ssthresh: max(w.ssthresh, w.cwnd*3/4)}
	c.cc.algo.keepForUndo()
}

// startRecovery begins fast recovery (either kind), undoable.
func (c *Conn) startRecovery() {
	c.beginUndo()
	c.cc.enterRecovery(c.inFlight(), c.mss, c.sndMax, c.p.clock.Now())
}

// noteRTO readies the undo of an RTO about to cut the window: at the
// first of a series, the window now and the timestamp its
// retransmission carries; in a fast recovery, that episode's (as
// Linux's tcp_enter_loss keeps it). Without timestamps nothing can tell
// the original's ACK from the retransmission's.
func (c *Conn) noteRTO() {
	switch {
	case !c.tsOK:
		c.undo.armed = false
		return
	case c.undo.armed && (c.undo.rto || c.cc.inRecovery):
	default:
		c.beginUndo()
	}
	if !c.undo.resent {
		c.undo.resent, c.undo.tsVal = true, c.tsVal()
	}
	c.undo.rto = true
}

// noteRetransmit counts a retransmission of n bytes in the episode (as
// Linux's tcp_retransmit_skb does undo_retrans, each segment once).
func (c *Conn) noteRetransmit(n int) {
	u := &c.undo
	if !u.armed || u.rto {
		return
	}
	u.retrans += c.segments(n)
	if !u.resent {
		u.resent, u.tsVal = true, c.tsVal()
	}
}

// dsackForEpisode takes a D-SACK block b, received while SND.UNA is
// still what it was before its ACK: a duplicate of data the episode
// retransmitted makes one retransmission fewer that may have been
// needed (Linux's tcp_check_dsack and tcp_sacktag_one). Below SND.UNA
// the data is gone and, as Linux, any block past the episode's start
// counts; above it, only one covering a segment sent twice.
func (c *Conn) dsackForEpisode(b SACKBlock) {
	u := &c.undo
	if !u.armed || u.rto || u.retrans == 0 || !b.Right.GT(u.marker) {
		return
	}
	if b.Right.GT(c.sndUna) && !c.retransmittedIn(b.Left, b.Right) {
		return
	}
	u.retrans = max(u.retrans-c.segments(b.Right.Sub(b.Left)), 0)
}

// segments is how many segments n bytes make (a FIN alone: one).
func (c *Conn) segments(n int) int { return max((n+c.mss-1)/max(c.mss, 1), 1) }

// delayedAck reports whether o echoes a timestamp from before the
// episode's first retransmission: its ACK was for an original.
func (c *Conn) delayedAck(o *Options) bool {
	return c.undo.resent && c.tsOK && o.HasTimestamp && o.TSEcr != 0 && int32(o.TSEcr-c.undo.tsVal) < 0
}

// undoWindow gives the episode's window back: ssthresh the larger of
// now and before, cwnd and its own state as the algorithm says.
func (c *Conn) undoWindow(why string) {
	c.cc.ssthresh = max(c.cc.ssthresh, c.undo.ssthresh)
	c.cc.algo.undo(&c.cc.window, c.undo.cwnd)
	c.undo.armed = false
	c.traceEvent(TraceRetransmit, why)
}

// undoSpuriousRTO takes the first ACK of new data after an RTO: if it
// echoes a timestamp from before the retransmission, the RTO was
// spurious (RFC 3522 2): the window comes back and sending resumes from
// SND.MAX, not again from SND.UNA (RFC 4015 2, step 3).
func (c *Conn) undoSpuriousRTO(o *Options) {
	if !c.undo.armed || !c.undo.rto {
		return
	}
	c.undo.armed = false
	if !c.delayedAck(o) {
		return
	}
	c.p.Stats.SpuriousRTOs.Add(1)
	c.undoWindow("spurious RTO undone (the ACK echoes the original)")
	c.sndNxt = c.sndMax
	c.forgetLost() // the RTO's marks (markAllLost): nothing was lost
}

// undoRecoveryEnd takes the ACK that ends a fast recovery (Linux's
// tcp_try_undo_recovery): if it echoes an original's timestamp, or
// D-SACKs reported every retransmission, the recovery is undone. It
// reports whether it was.
func (c *Conn) undoRecoveryEnd(o *Options) bool {
	u := &c.undo
	if !u.armed || u.rto || !u.resent || u.retrans > 0 && !c.delayedAck(o) {
		return false
	}
	c.p.Stats.FullUndo.Add(1)
	c.undoWindow("recovery undone: the originals were acknowledged")
	return true
}

// undoPartial takes a partial ACK in fast recovery (Linux's
// tcp_try_undo_partial): one echoing an original's timestamp shows a
// hole filled by a delayed segment. Once no retransmission is left
// unacknowledged the recovery is undone and ends. It reports whether the
// ACK was for an original: then NewReno does not resend the next hole.
func (c *Conn) undoPartial(o *Options) bool {
	if !c.undo.armed || c.undo.rto || !c.delayedAck(o) {
		return false
	}
	if c.retransmissionsOut() {
		return true // their ACKs, or D-SACKs, will tell
	}
	c.p.Stats.PartialUndo.Add(1)
	c.undoWindow("recovery undone: a partial ACK echoes the original")
	c.forgetLost()
	c.leaveRecovery()
	return true
}

// undoByDSACK undoes the episode once D-SACKs have reported each of its
// retransmissions (Linux's tcp_try_undo_dsack), in recovery or after.
func (c *Conn) undoByDSACK() {
	u := &c.undo
	if !u.armed || u.rto || !u.resent || u.retrans > 0 {
		return
	}
	c.p.Stats.DSACKUndo.Add(1)
	c.undoWindow("recovery undone: D-SACKs show every retransmission needless")
	c.rack.reoWndPersist = min(c.rack.reoWndPersist+1, reoWndPersist) // as Linux: the reordering was real
	if c.cc.inRecovery {
		c.leaveRecovery()
	}
}

// leaveRecovery ends a fast recovery undone before its end (Linux's
// tcp_try_keep_open): a loss found later may start another at once, and
// segments RACK marked lost and has not resent start it now.
func (c *Conn) leaveRecovery() {
	c.cc.inRecovery, c.cc.recover = false, c.sndUna
	if c.rackOn() && c.recs.lost > 0 {
		c.enterSACKRecovery("RACK: lost, after an undo")
	}
}
