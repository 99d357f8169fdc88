package tcp

import "time"

// Where an ACK's RTT sample comes from, as Linux's tcp_ack_update_rtt:
// first the send times in the records (sendrec.go) of the segments the
// ACK newly acknowledges, in the clock's full resolution, unless one of
// them was ever retransmitted (Karn: the ACK may be for either copy);
// else the records it newly SACKs that went once; else, for an ACK that
// moves SND.UNA, the echoed timestamp (RFC 7323 4.1), in whole
// milliseconds. The handshake has no records: its SYN, timed when first
// sent (Linux's snt_synack), stands in for them.

// ackRTT feeds the estimator and the minimum RTT (ss's minrtt, RACK's
// min_RTT) from one ACK: acked is the sample of the records it
// acknowledged (recordsAcked), newSACK whether it SACKed new data,
// advanced whether it moved SND.UNA.
func (c *Conn) ackRTT(acked rttSample, o *Options, newSACK, advanced bool) {
	if !acked.ok && newSACK {
		acked = c.sackRTT(o)
	}
	if !acked.ok && advanced {
		acked = c.tsRTT(o)
	}
	if acked.ok {
		c.rtt.sample(acked)
		c.rackMinRTT(acked.ca, c.since()) // Linux's one windowed minimum (tcp_update_rtt_min)
	}
}

// sackRTT is the sample of the records o's SACK blocks newly cover and
// that went once (Linux's sack_rtt_us), read before recordsSACKedBy
// marks them.
func (c *Conn) sackRTT(o *Options) (s rttSample) {
	now := c.since()
	for _, b := range c.sackBlocks(o) {
		for i := c.recs.find(MaxSeq(b.Left, c.sndUna)); i < c.recs.n; i++ {
			rec := c.recs.at(i)
			if !rec.start.LT(b.Right) {
				break
			}
			if !rec.everRtx && c.newlySACKed(rec) {
				s.add(now - rec.sentAt)
			}
		}
	}
	return s
}

// tsRTT is the echoed timestamp's sample (RFC 7323 4.1). The clock
// ticks in milliseconds: an echo of the current tick counts as one, as
// Linux's tcp_rtt_tsopt_us, since the round trip lies below a tick, not
// at 0.
func (c *Conn) tsRTT(o *Options) rttSample {
	if !c.tsOK || !o.HasTimestamp || o.TSEcr == 0 {
		return rttSample{}
	}
	ms := int32(c.tsVal() - o.TSEcr)
	if ms < 0 {
		return rttSample{}
	}
	r := time.Duration(max(ms, 1)) * time.Millisecond
	return rttSample{r, r, true}
}

// synRTT is the sample of our SYN, acknowledged now: from its send
// time if it went once.
func (c *Conn) synRTT() (s rttSample) {
	if !c.synAt.IsZero() {
		s.add(c.p.clock.Now().Sub(c.synAt))
		c.synAt = time.Time{}
	}
	return s
}
