package tcp

// Eifel detection of a spurious retransmission timeout (RFC 3522, with
// timestamps) and its response (RFC 4015), as Linux's tcp_try_undo_loss.
//
// Over a TAP the RTO fires spuriously whenever this process stalls
// (descheduled on a busy host; an 82 ms stop of the only thread shows in
// a runtime trace, doc/performance.md "Why the sender swung"): after the
// stall the timer runs before the poller has read the ACKs queued on
// the device meanwhile, so the RTO resends a window the peer already
// holds and cuts cwnd to one segment. The first ACK after it echoes a
// timestamp older than the retransmission's: the original was
// acknowledged, the network lost nothing, and the cut is undone.

// rtoUndo is what an RTO changed, kept until the first ACK after it.
type rtoUndo struct {
	armed          bool
	tsVal          uint32 // the TSval of the first retransmission (RFC 3522's RetransmitTS)
	cwnd, ssthresh int    // before the first RTO of the series
}

// noteRTO remembers, at the first of a series of RTOs, the window it is
// about to cut and the timestamp its retransmission carries. Without
// timestamps nothing can tell the original's ACK from the retransmission's.
func (c *Conn) noteRTO() {
	if !c.tsOK || c.undo.armed {
		return
	}
	c.undo = rtoUndo{armed: true, tsVal: c.tsVal(), cwnd: c.cc.cwnd, ssthresh: c.cc.ssthresh}
}

// undoSpuriousRTO takes the first ACK of new data after an RTO: if it
// echoes a timestamp from before the retransmission, the RTO was
// spurious (RFC 3522 2): the window comes back (as Linux, the larger of
// now and before) and sending resumes from SND.MAX, not again from
// SND.UNA (RFC 4015 2, step 3).
func (c *Conn) undoSpuriousRTO(o *Options) {
	if !c.undo.armed {
		return
	}
	c.undo.armed = false
	if !o.HasTimestamp || o.TSEcr == 0 || int32(o.TSEcr-c.undo.tsVal) >= 0 {
		return
	}
	c.p.Stats.SpuriousRTOs.Add(1)
	c.cc.cwnd = max(c.cc.cwnd, c.undo.cwnd)
	c.cc.ssthresh = max(c.cc.ssthresh, c.undo.ssthresh)
	c.sndNxt = c.sndMax
	c.forgetLost() // the RTO's marks (markAllLost): nothing was lost
	c.traceEvent(TraceRetransmit, "spurious RTO undone (the ACK echoes the original)")
}
