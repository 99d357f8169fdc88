package tcp

import "time"

// Tail loss probe (RFC 8985 7): when the last segments of a flight are
// lost, no ACK comes to start recovery and only the RTO (200 ms at
// least) would repair them. Instead, after about two round trips of
// silence a probe goes — new data if there is some, else the last
// segment again — so that the peer's ACK, with SACK blocks, starts fast
// recovery (by RACK's marks: the probe's delivery makes what went before
// it late). Only with SACK, outside recovery and RTO backoff, one probe
// per episode: until its ACK says what happened (tlpAck).

// wcDelAckT is RFC 8985's worst-case delayed ACK: a flight of one
// segment may wait that long for its ACK (Linux's TCP_DELACK_MAX).
const wcDelAckT = 200 * time.Millisecond

// minPTO keeps a probe from firing on the scheduler's jitter when the
// RTT is microseconds (Linux's TCP_TIMEOUT_MIN is two jiffies).
const minPTO = 10 * time.Millisecond

// armRtxOrProbe arms the probe timeout instead of the RTO when a probe
// is allowed and would come sooner.
func (c *Conn) armRtxOrProbe() {
	if !c.sackOK || c.cc.inRecovery || c.retries > 0 || !c.rtt.measured || c.tlpOut {
		c.armRtx()
		return
	}
	pto := max(2*c.rtt.srtt, minPTO)
	if c.inFlight() <= c.mss {
		pto += wcDelAckT
	}
	if pto >= c.rtt.current() {
		c.armRtx()
		return
	}
	c.startTimer(&c.rtxTimer, &c.rtxWhen, pto, (*Conn).onRtx)
	c.persist, c.probe, c.reo = false, true, false
}

// lossProbe sends the probe (RFC 8985 7.3) and arms the RTO behind it.
func (c *Conn) lossProbe() {
	c.probe = false
	if c.inFlight() == 0 {
		return
	}
	c.p.Stats.LossProbes.Add(1)
	c.traceEvent(TraceRetransmit, "tail loss probe")
	before := c.sndMax
	if c.newDataAllowed() { // one new segment, cwnd or not (RFC 8985 7.3)
		c.cc.cwnd += c.mss
		c.probing = true
		c.output()
		c.cc.cwnd, c.probing = c.cc.cwnd-c.mss, false
	}
	if c.sndMax == before { // nothing new could go: the last segment again
		start := MaxSeq(c.sndMax.Add(-c.mss), c.sndUna)
		c.resend(start, c.sndMax.Sub(start), "tail loss probe")
	}
	// TLP.end_seq is SND.NXT after the probe (RFC 8985 7.3).
	c.tlpOut, c.tlpHigh, c.tlpRetrans = true, c.sndMax, c.sndMax == before
	c.armRtx()
}

// tlpAck ends a probe's episode on the ACK that covers it (RFC 8985
// 7.4): a new-data probe delivered, or a probe whose D-SACK says the
// original arrived too, or a pure duplicate ACK (both arrived), found no
// loss; an ACK past a resent probe means it repaired one, and the window
// is reduced once for it, as Linux (TcpExtTCPLossProbeRecovery). An ACK
// of exactly the probe's end, without D-SACK, cannot tell yet.
func (c *Conn) tlpAck(ack Seq, pureDup bool) {
	if !c.tlpOut || ack.LT(c.tlpHigh) {
		return
	}
	switch {
	case !c.tlpRetrans:
	case c.rack.dsackNow && c.rack.dsackEnd == c.tlpHigh:
	case ack.GT(c.tlpHigh):
		c.p.Stats.LossProbeRecovery.Add(1)
		c.traceEvent(TraceRetransmit, "tail loss probe repaired a loss: cwnd halved")
		// Reno's response to one loss (Linux's CWR: ssthresh, then cwnd = ssthresh)
		c.cc.ssthresh = max(c.cc.cwnd/2, 2*c.mss)
		c.cc.cwnd = c.cc.ssthresh
	case pureDup:
	default:
		return
	}
	c.tlpOut = false
}
