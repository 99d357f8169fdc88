package tcp

import (
	"syscall"
	"time"
)

// segmentArrives is RFC 9293 3.10.7.3-4 for a connection in SYN-SENT or
// later, in the RFC's order: sequence number, RST, SYN, ACK, data, FIN.
// It reports true when the segment is a new SYN for a connection that
// ended (TIME-WAIT), to go to a listener instead. Called with c.mu held.
func (c *Conn) segmentArrives(h Header, o *Options) (relisten bool) {
	c.lastRecv, c.keepProbes = c.p.clock.Now(), 0
	c.historyIn(h, o)
	flags := h.Flags()
	if done, relisten := c.beforeSequenceCheck(h, o); done {
		return relisten
	}
	if c.tsOK && o.HasTimestamp && flags&FlagRST == 0 && int32(o.TSVal-c.tsRecent) < 0 &&
		c.p.clock.Now().Sub(c.tsRecentAt) < pawsIdle {
		c.p.Stats.PAWSEstab.Add(1) // RFC 7323 5.3: an old duplicate
		c.dropSeg(h, "PAWS: timestamp older than the last one")
		c.sendAck()
		return false
	}
	if !c.acceptable(h) {
		c.p.Stats.OutOfWindow.Add(1)
		c.dropSeg(h, "outside the receive window")
		if flags&FlagRST == 0 {
			c.oldDataArrived(h)
			c.sendAck()
		}
		return false
	}
	if flags&FlagRST != 0 {
		c.rstArrives(h)
		return false
	}
	if flags&FlagSYN != 0 { // RFC 5961 4.2: a SYN in a synchronized state
		c.challengeACK(h)
		return false
	}
	if flags&FlagACK == 0 {
		c.dropSeg(h, "no ACK")
		return false
	}
	if c.tsOK && o.HasTimestamp && h.Seq().LEQ(c.lastAckSent) && int32(o.TSVal-c.tsRecent) >= 0 {
		c.tsRecent, c.tsRecentAt = o.TSVal, c.p.clock.Now() // RFC 7323 4.3
	}
	if !c.ackArrives(h, o) {
		return false
	}
	before := c.rcvNxt
	fin := c.dataArrives(h)
	if c.rcvNxt != before {
		c.measureRcvRTT(o, c.rcvNxt.Sub(before))
	}
	if fin {
		c.finArrives()
	}
	c.output()
	c.ackAfterSegment()
	return false
}

// beforeSequenceCheck handles what precedes RFC 9293's sequence check:
// SYN-SENT's own processing, our SYN-ACK asked for again, a new SYN on a
// TIME-WAIT tuple (relisten), the peer's FIN again in TIME-WAIT. done
// says the segment is handled.
func (c *Conn) beforeSequenceCheck(h Header, o *Options) (done, relisten bool) {
	ctl := h.Flags() & (FlagSYN | FlagACK | FlagRST)
	switch c.state {
	case SynSent:
		c.synSentArrives(h, o)
		return true, false
	case SynReceived:
		if ctl == FlagSYN && h.Seq() == c.irs {
			c.sendSYN() // our SYN-ACK was lost: again
			return true, false
		}
	case TimeWait:
		if ctl == FlagSYN && h.Seq().GT(c.rcvNxt) {
			c.terminate() // a new incarnation, as Linux and RFC 6191 allow
			return true, true
		}
		if h.Flags()&FlagFIN != 0 && h.Seq().Add(h.SegLen()) == c.rcvNxt {
			c.armKeep(c.p.Config().TimeWait) // the peer's FIN again: our last ACK was lost
			c.sendAck()
			return true, false
		}
	}
	return false, false
}

// pawsIdle is how long TS.Recent stays valid on an idle connection
// (RFC 7323 5.5: 24 days).
const pawsIdle = 24 * 24 * time.Hour

// acceptable is RFC 9293's sequence number test (3.10.7.4, "first"),
// with a segment at RCV.NXT accepted even by a zero window so its ACK,
// RST and FIN are processed (the RFC's "special allowance").
func (c *Conn) acceptable(h Header) bool {
	seq, n, wnd := h.Seq(), h.SegLen(), c.rcvWindow()
	if seq == c.rcvNxt {
		return true
	}
	if n == 0 {
		return seq.InWindow(c.rcvNxt, wnd)
	}
	return seq.InWindow(c.rcvNxt, wnd) || seq.Add(n-1).InWindow(c.rcvNxt, wnd)
}

// rstArrives handles an acceptable RST (RFC 9293 "second", RFC 5961 3.2:
// only one at exactly RCV.NXT resets; others in the window get a
// challenge ACK). RFC 1337: TIME-WAIT ignores RSTs.
func (c *Conn) rstArrives(h Header) {
	if c.state == TimeWait {
		c.dropSeg(h, "RST in TIME-WAIT (RFC 1337)")
		return
	}
	if h.Seq() != c.rcvNxt {
		c.challengeACK(h)
		return
	}
	switch c.state {
	case SynReceived:
		if c.passive != nil { // back to LISTEN: the listener stays, this child goes
			c.terminate()
			return
		}
		c.fail(syscall.ECONNREFUSED)
	case Established, CloseWait:
		c.p.Stats.EstabResets.Add(1)
		c.fail(syscall.ECONNRESET)
	case FinWait1, FinWait2:
		c.fail(syscall.ECONNRESET)
	default: // CLOSING, LAST-ACK
		c.terminate()
	}
}

// challengeACK answers a suspicious RST or SYN with an ACK (RFC 5961 3.2,
// 4.2): a genuine peer that lost state answers it with a RST at RCV.NXT.
func (c *Conn) challengeACK(h Header) {
	c.dropSeg(h, "RST or SYN not at RCV.NXT: challenge ACK (RFC 5961)")
	if c.p.challengeAllowed() {
		c.p.Stats.ChallengeACKs.Add(1)
		c.sendAck()
	}
}

// synSentArrives is RFC 9293's SEGMENT ARRIVES in SYN-SENT.
func (c *Conn) synSentArrives(h Header, o *Options) {
	flags, ack := h.Flags(), h.Ack()
	if flags&FlagACK != 0 && (ack.LEQ(c.iss) || ack.GT(c.sndMax)) {
		c.dropSeg(h, "SYN-SENT: ACK of something never sent")
		c.p.replyReset(c.local, c.remote, h)
		return
	}
	if flags&FlagRST != 0 {
		if flags&FlagACK != 0 {
			c.fail(syscall.ECONNREFUSED)
		}
		return
	}
	if flags&FlagSYN == 0 {
		c.dropSeg(h, "SYN-SENT: no SYN")
		return
	}
	c.irs, c.rcvNxt = h.Seq(), h.Seq().Add(1)
	c.rcvAdv = c.rcvNxt // our SYN's window counted from a RCV.NXT not known then
	c.negotiate(o, true)
	if o.HasTimestamp && c.tsOK {
		c.tsRecent, c.tsRecentAt = o.TSVal, c.p.clock.Now()
	}
	c.sndWnd, c.sndWl1, c.sndWl2 = int(h.Window()), h.Seq(), ack
	c.maxSndWnd = c.sndWnd
	if flags&FlagACK == 0 { // simultaneous open (RFC 9293 figure 8)
		c.setState(SynReceived)
		c.sendSYN()
		return
	}
	c.sndUna = ack
	c.establish()
	c.ackRTT(c.synRTT(), o, false, true)
	c.sendAck()
	c.output()
}

// establish enters ESTABLISHED: the handshake is over.
func (c *Conn) establish() {
	c.setState(Established)
	c.retries = 0
	c.rtt.backoff = 0
	c.cc.init(c.mss, c.iss)
	c.initRecords()
	c.stopRtx()
	c.initRcvSpace()
	if c.keepAlive {
		c.armKeep(c.keepIdle())
	}
	c.startHistory()
	c.signalEstablished()
}
