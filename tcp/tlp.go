package tcp

import "time"

// Tail loss probe (RFC 8985 7): when the last segments of a flight are
// lost, no ACK comes to start recovery and only the RTO (200 ms at
// least) would repair them. Instead, after about two round trips of
// silence a probe goes — new data if there is some, else the last
// segment again — so that the peer's ACK, with SACK blocks, starts fast
// recovery. Only with SACK, outside recovery and RTO backoff, one probe
// until it is acknowledged.

// wcDelAckT is RFC 8985's worst-case delayed ACK: a flight of one
// segment may wait that long for its ACK (Linux's TCP_DELACK_MAX).
const wcDelAckT = 200 * time.Millisecond

// minPTO keeps a probe from firing on the scheduler's jitter when the
// RTT is microseconds (Linux's TCP_TIMEOUT_MIN is two jiffies).
const minPTO = 10 * time.Millisecond

// armRtxOrProbe arms the probe timeout instead of the RTO when a probe
// is allowed and would come sooner.
func (c *Conn) armRtxOrProbe() {
	c.tlpOut = c.tlpOut && c.sndUna.LT(c.tlpHigh)
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
	c.persist, c.probe = false, true
}

// lossProbe sends the probe (RFC 8985 7.3) and arms the RTO behind it.
func (c *Conn) lossProbe() {
	c.probe = false
	if c.inFlight() == 0 {
		return
	}
	c.p.Stats.LossProbes.Add(1)
	c.traceEvent(TraceRetransmit, "tail loss probe")
	c.tlpOut, c.tlpHigh = true, c.sndMax
	before := c.sndMax
	if c.newDataAllowed() { // one new segment, cwnd or not (RFC 8985 7.3)
		c.cc.cwnd += c.mss
		c.output()
		c.cc.cwnd -= c.mss
	}
	if c.sndMax == before { // nothing new could go: the last segment again
		start := MaxSeq(c.sndMax.Add(-c.mss), c.sndUna)
		c.resend(start, c.sndMax.Sub(start), "tail loss probe")
	}
	c.armRtx()
}
