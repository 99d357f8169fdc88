package tcp

import "time"

// The connection's side of history.go: each hook costs a nil check of
// c.hist while the connection does not record. Called with c.mu held.
// The hooks of a segment received take the time segmentArrives read
// (c.lastRecv): clock reads are most of what recording costs.

// startHistory begins recording, once established, if the stack records.
func (c *Conn) startHistory() {
	if c.hist == nil {
		c.hist = c.p.hist.attach(c, c.p.clock.Now())
	}
}

// congestionControl names the algorithm for the history's title.
func (c *Conn) congestionControl() string { return c.cc.algo.name() }

// historySample records c's state at now, after an ACK or a timeout.
func (c *Conn) historySample(now time.Time) {
	h := c.hist
	if h == nil {
		return
	}
	s := Sample{
		Una: c.sndUna, Nxt: c.sndNxt, Max: c.sndMax,
		Cwnd: c.cc.cwnd, Ssthresh: c.cc.ssthresh,
		SRTT: c.rtt.srtt, RTTVar: c.rtt.rttvar, RTO: c.rtt.current(),
		InFlight: c.inFlight(), SndWnd: c.sndWnd,
		State: c.state, Recovery: c.cc.inRecovery, Backoff: c.retries,
	}
	h.mu.Lock()
	s.At = now.Sub(h.began)
	h.samples.add(s)
	h.mu.Unlock()
}

// historySegment records a segment sent (out) or received at now;
// window is the segment's window field, scaled.
func (c *Conn) historySegment(now time.Time, out, rexmit bool, f Fields, dataLen int, window int, o *Options) {
	h := c.hist
	if h == nil {
		return
	}
	r := SegmentRecord{Out: out, Rexmit: rexmit, Flags: f.Flags, Seq: f.Seq, Len: dataLen,
		Ack: f.Ack, Window: window, NumSACK: o.NumSACK, SACK: o.SACK}
	h.mu.Lock()
	r.At = now.Sub(h.began)
	h.segments.add(r)
	h.mu.Unlock()
}

// historyIn records a segment received at c.lastRecv (now).
func (c *Conn) historyIn(hd Header, o *Options) {
	if c.hist == nil {
		return
	}
	f := Fields{Seq: hd.Seq(), Ack: hd.Ack(), Flags: hd.Flags()}
	c.historySegment(c.lastRecv, false, false, f, len(hd.Payload()), int(hd.Window())<<c.sndWScale, o)
}

// historyState notes a change of state; CLOSED ends the history.
func (c *Conn) historyState() {
	if h := c.hist; h != nil {
		h.mu.Lock()
		h.info.State = c.state
		if c.state == Closed {
			h.ended = c.p.clock.Now()
		}
		h.mu.Unlock()
	}
}
