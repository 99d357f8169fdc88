package tcp

// ackArrives is the "fifth, check the ACK field" step. It reports false
// when the segment is done with (dropped, or the connection ended).
func (c *Conn) ackArrives(h Header, o *Options) bool {
	ack := h.Ack()
	if c.state == SynReceived && !c.handshakeAck(h, o) {
		return false
	}
	// RFC 5961 5.2: acceptable from SND.UNA - MAX.SND.WND to SND.MAX.
	if ack.GT(c.sndMax) || ack.LT(c.sndUna.Add(-c.maxSndWnd)) {
		c.p.Stats.BadACK.Add(1)
		c.dropSeg(h, "ACK outside SND.UNA-MAX.SND.WND..SND.NXT (RFC 5961)")
		c.sendAck()
		return false
	}
	c.softErr = 0 // the peer is reachable after all (as Linux's tcp_ack)
	wnd := int(h.Window()) << c.sndWScale
	newSACK, una, sacked := 0, c.sndUna, c.sackedIn(c.sndUna, c.sndMax)
	c.rack.tsEcr, c.rack.hasTSEcr = o.TSEcr, c.tsOK && o.HasTimestamp
	c.rack.ackArrived = c.ackArrival()
	if c.sackOK {
		newSACK = c.takeSACK(ack, o)
	}
	switch {
	case ack.GT(c.sndUna):
		c.newAck(ack, o, newSACK > 0)
	case ack == c.sndUna:
		c.ackRTT(rttSample{}, o, newSACK > 0, false) // a SACK's own sample (rttsample.go)
		if c.inFlight() > 0 && c.isDupAck(h, o, wnd, newSACK) {
			c.dupAck()
		}
	}
	c.detectLosses(ack, o, newSACK > 0, ack == una && o.NumSACK == 0 && len(h.Payload()) == 0)
	if c.sackRecovering() { // RFC 6937's DeliveredData: SND.UNA's advance and the change in SACKed bytes
		c.prrAck(c.sndUna.Sub(una) + c.sackedIn(c.sndUna, c.sndMax) - sacked)
	}
	c.rateSample()
	if c.sndWl1.LT(h.Seq()) || (c.sndWl1 == h.Seq() && c.sndWl2.LEQ(ack)) {
		if c.sndWnd == 0 && wnd > 0 {
			c.persistBackoff = 0
			if c.persist {
				c.stopRtx()
			}
		}
		c.sndWnd, c.sndWl1, c.sndWl2 = wnd, h.Seq(), ack
		c.maxSndWnd = max(c.maxSndWnd, wnd)
	}
	c.historySample(c.lastRecv) // read as the segment arrived
	return c.ourFINAcked()
}

// handshakeAck is the ACK step in SYN-RECEIVED: an ACK of our SYN
// completes the handshake (and queues a passive child for Accept).
func (c *Conn) handshakeAck(h Header, o *Options) bool {
	ack := h.Ack()
	if !ack.GT(c.sndUna) || ack.GT(c.sndMax) {
		c.dropSeg(h, "SYN-RECEIVED: ACK of something never sent")
		c.p.replyReset(c.local, c.remote, h)
		return false
	}
	c.sndWnd, c.sndWl1, c.sndWl2 = int(h.Window())<<c.sndWScale, h.Seq(), ack
	c.maxSndWnd = max(c.maxSndWnd, c.sndWnd)
	if c.passive != nil {
		if ok, closed := c.passive.enqueue(c); closed {
			c.sendReset() // nobody will accept it
			c.terminate()
			return false
		} else if !ok {
			c.dropSeg(h, "the listener's accept queue is full")
			return false // the peer retransmits; our SYN-ACK timer goes on
		}
	}
	c.establish()
	return true
}

// ourFINAcked moves the closing states on once our FIN is acknowledged.
// It reports false when the connection reached TIME-WAIT or ended.
func (c *Conn) ourFINAcked() bool {
	if !c.finQueued || c.sndUna != c.finSeq.Add(1) {
		return true
	}
	switch c.state {
	case FinWait1:
		c.setState(FinWait2)
		if c.appClosed {
			c.armKeep(c.p.Config().FinTimeout)
		}
	case Closing:
		c.enterTimeWait()
		return false
	case LastAck:
		c.terminate()
		return false
	}
	return true
}

// newAck takes in an ACK of new data: the buffer drops it, the RTT is
// sampled, the congestion window grows or recovery moves on, and the
// retransmission timer restarts (RFC 6298 5.2, 5.3). newSACK: the ACK
// SACKs new data too.
func (c *Conn) newAck(ack Seq, o *Options, newSACK bool) {
	acked := ack.Sub(c.sndUna)
	c.undoSpuriousRTO(o)
	c.retries = 0
	if dataEnd := c.sndBase.Add(c.snd.len()); MinSeq(ack, dataEnd).GT(c.sndBase) {
		k := MinSeq(ack, dataEnd).Sub(c.sndBase)
		c.snd.discard(k)
		c.sndBase = c.sndBase.Add(k)
	}
	sample := c.recordsAcked(ack)
	if c.sndUna == c.iss { // the ACK of our SYN-ACK: the SYN stands for the records
		sample = c.synRTT()
	}
	c.sndUna = ack
	c.ackRTT(sample, o, newSACK, true)
	c.sacked.dropBelow(ack)
	if c.sndNxt.LT(ack) {
		c.sndNxt = ack
	}
	switch {
	case c.cc.inRecovery && ack.GEQ(c.cc.recover): // full ACK (RFC 6582 3.2 step 3)
		c.cc.cwnd = min(c.cc.ssthresh, max(c.inFlight(), c.mss)+c.mss)
		c.cc.inRecovery = false
		if !c.undoRecoveryEnd(o) {
			c.rackRecoveryEnded()
		}
	case c.cc.inRecovery && c.undoPartial(o): // partial ACK for an original (undo.go)
	case c.cc.inRecovery && c.cc.sack: // partial ACK: output sends what the pipe allows
	case c.cc.inRecovery: // partial ACK: the next hole, at once
		c.retransmitHead("NewReno partial ACK")
		c.cc.cwnd = max(c.cc.cwnd-acked+c.mss, c.mss)
	case c.inFlight()+acked >= c.cc.cwnd/2: // grow only a window in use (RFC 7661's spirit)
		c.cc.onAck(c.ackEvent(acked))
	}
	c.cc.dupAcks = 0
	if c.sackOK && !c.rackOn() && !c.cc.inRecovery && c.mayRecover() && c.lostEdge().GT(c.sndUna) {
		c.enterSACKRecovery("SACK: the head is lost") // IsLost(HighACK+1)
	}
	if c.inFlight() == 0 {
		c.stopRtx()
	} else {
		c.armRtxOrProbe()
	}
}

// isDupAck is the definition of a duplicate ACK for an ACK of SND.UNA
// with data outstanding: one that SACKs new data (RFC 6675 2, whatever
// the window: a Linux receiver's window moves while it holds a hole),
// or, carrying no SACK blocks at all, RFC 5681 2's (no data, no FIN, the
// window unchanged). An ACK whose blocks say nothing new (a D-SACK of a
// segment sent twice) is not one.
func (c *Conn) isDupAck(h Header, o *Options, wnd, newSACK int) bool {
	if newSACK > 0 {
		return true
	}
	return o.NumSACK == 0 && len(h.Payload()) == 0 && h.Flags()&FlagFIN == 0 && wnd == c.sndWnd
}

// mayRecover: fast recovery starts only once everything sent before the
// last recovery or RTO is acknowledged (RFC 6582 3.2 step 2: the ACK
// covers "recover", the highest sequence number then sent, which is our
// recover - 1; RFC 6675 5.1). An ACK of exactly SND.MAX of then counts:
// a loss just after the recovery point must not wait for the RTO.
func (c *Conn) mayRecover() bool { return c.sndUna.GEQ(c.cc.recover) }

// dupAck counts a duplicate ACK. The first two let new data go (limited
// transmit, RFC 3042: output). With SACK, DupThresh of them or a lost
// head start RFC 6675 recovery (recovery.go); without, the third starts
// NewReno (RFC 6582 3.2), and later ones inflate the window.
func (c *Conn) dupAck() {
	c.cc.dupAcks++
	switch {
	case c.cc.inRecovery && !c.cc.sack:
		c.cc.cwnd += c.mss
	case c.cc.inRecovery || !c.mayRecover():
	case c.rackOn(): // RACK's marks start recovery (rack.go)
	case c.sackOK && (c.cc.dupAcks >= dupThresh || c.lostEdge().GT(c.sndUna)):
		c.enterSACKRecovery("SACK: duplicate ACKs")
	case !c.sackOK && c.cc.dupAcks == dupThresh:
		c.p.Stats.RenoRecovery.Add(1)
		c.startRecovery()
		c.retransmitHead("3 duplicate ACKs")
	}
}

// dataArrives is the "seventh, process the segment text" step: data at
// RCV.NXT goes into the buffer (with any out-of-order data it joins),
// data past it is kept at its offset. It reports whether a FIN at the
// end of the segment is now in order.
func (c *Conn) dataArrives(h Header) (fin bool) {
	data, seq := h.Payload(), h.Seq()
	fin = h.Flags()&FlagFIN != 0
	switch c.state {
	case Established, FinWait1, FinWait2:
	default: // the peer's FIN came already: nothing more is data
		return false
	}
	if d := c.rcvNxt.Sub(seq); d > 0 { // already have the start of it
		if d > len(data) {
			return false // all old, its FIN too
		}
		c.noteDuplicate(seq, c.rcvNxt, true)
		data, seq = data[d:], c.rcvNxt
	}
	off := seq.Sub(c.rcvNxt)
	if room := c.rcvWindow() - off; len(data) > room {
		c.p.Stats.RcvPruned.Add(1)
		data, fin = data[:max(room, 0)], false
		c.ackNow = true // tell the sender the window at once (a probe with data)
	}
	c.rcvSegMax = max(c.rcvSegMax, len(data))
	if off > 0 && (len(data) > 0 || fin) {
		c.keepOutOfOrder(seq, off, data, fin)
		return false
	}
	if len(data) == 0 {
		return fin
	}
	c.rcv.writeAt(c.rcv.len(), data)
	c.advance(len(data))
	for c.ooo.n > 0 { // a hole filled: what follows joins, ACK at once
		right, ok := c.ooo.popFront(c.rcvNxt)
		if !ok {
			break
		}
		c.ackNow = true
		if c.oooFin && right.GT(c.oooFinSeq) {
			right = c.oooFinSeq // the FIN's own number is taken by finArrives
		}
		if right.GT(c.rcvNxt) {
			c.advance(right.Sub(c.rcvNxt))
		}
	}
	c.ackPending += len(data) // acknowledged by ackAfterSegment's rules (batch.go)
	switch {
	case !c.oooFin:
	case c.oooFinSeq == c.rcvNxt:
		c.oooFin, fin = false, true
	case c.oooFinSeq.LT(c.rcvNxt): // data ran past it: not the end, as Linux drops it
		c.oooFin = false
	}
	return fin
}

// keepOutOfOrder places data that arrived off bytes past RCV.NXT at its
// offset in the receive ring and records its range. A FIN takes its
// sequence number in the range, as in Linux's out-of-order queue (a
// segment's end_seq counts it): a lone FIN past a hole is queued and
// SACKed like data, and the range ending with it is SACKed whole.
func (c *Conn) keepOutOfOrder(seq Seq, off int, data []byte, fin bool) {
	c.ackNow = true // a duplicate ACK with SACK blocks at once (RFC 5681 4.2)
	end := seq.Add(len(data))
	if fin {
		end = end.Add(1)
	}
	if c.ooo.holds(seq, end) {
		c.noteDuplicate(seq, end, false)
		return
	}
	if !c.ooo.add(seq, end) {
		c.p.Stats.OFODrop.Add(1)
		return
	}
	c.p.Stats.OFOQueue.Add(1)
	c.rcv.writeAt(c.rcv.len()+off, data)
	if fin {
		c.oooFin, c.oooFinSeq = true, seq.Add(len(data))
	}
}

// advance makes k bytes at RCV.NXT readable.
func (c *Conn) advance(k int) {
	c.rcv.commit(k)
	c.rcvNxt = c.rcvNxt.Add(k)
}

// finArrives is the "eighth, check the FIN bit" step for an in-order FIN.
func (c *Conn) finArrives() {
	c.rcvNxt = c.rcvNxt.Add(1)
	c.finRcvd, c.ackNow = true, true
	c.ooo.clear()
	switch c.state {
	case SynReceived, Established:
		c.setState(CloseWait)
	case FinWait1:
		if c.sndUna == c.finSeq.Add(1) {
			c.enterTimeWait()
		} else {
			c.setState(Closing)
		}
	case FinWait2:
		c.enterTimeWait()
	}
}

// takeSACK records the peer's SACK blocks (RFC 2018) that lie within
// what we sent past the ACK (the scoreboard of recovery.go) and returns
// how many bytes they newly SACK. A D-SACK (dsack.go) is counted, not
// recorded. Blocks that
// make no sense are ignored, and a full scoreboard keeps what it has.
func (c *Conn) takeSACK(ack Seq, o *Options) int {
	newly, blocks := 0, o.SACK[:o.NumSACK]
	if c.takeDSACK(ack, o) {
		blocks = blocks[1:]
	}
	for _, b := range blocks {
		if b.Left.LT(b.Right) && b.Left.GEQ(ack) && b.Right.LEQ(c.sndMax) {
			before := c.sackedIn(b.Left, b.Right)
			if c.sacked.add(b.Left, b.Right) {
				newly += b.Right.Sub(b.Left) - before
			}
		}
	}
	return newly
}
