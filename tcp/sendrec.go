package tcp

import "time"

// Send records: one per segment sent and not yet cumulatively
// acknowledged, in sequence order, covering [SND.UNA, SND.MAX) (what
// RFC 8985 calls "Segment" and Linux keeps in its skbs: when it went,
// whether it went twice, whether the peer SACKed it, whether RACK thinks
// it lost). A segment is what one send carried, 1 byte to an MSS; a TSO
// segment of up to 64 KB gets a record per MSS, the wire segments the
// device will cut, so that RACK can mark and resend one of them lost
// alone (Linux splits its skb the same way, tcp_fragment). The ring is made once per connection, sized from the send
// buffer, and doubles when full up to maxSendRecords; past that the new
// segment is merged into the last record (TcpExtTCPSendRecMerged), which
// only makes RACK see the merged bytes as sent later than they were.

// maxSendRecords bounds a connection's records (about 64 bytes each).
const maxSendRecords = 4096

// sendRecord is one segment in flight. Times are since the connection's
// epoch (sendRecords.epoch), so a record holds no time.Time.
type sendRecord struct {
	start, end Seq
	sentAt     time.Duration // its last transmission
	order      uint64        // sendRecords.sends then: orders sends of the same instant
	tsVal      uint32        // the timestamp it carried (with timestamps)
	everRtx    bool          // sent more than once (RFC 8985's Segment.retransmitted)
	rtxOut     bool          // retransmitted since it was last marked lost: counts in pipe
	sacked     bool          // the peer holds all of it
	lost       bool          // RACK marked it lost
	rateSnap                 // the delivery-rate state when it went (rate.go)
}

// sendRecords is a ring of sendRecord in sequence order.
type sendRecords struct {
	r     []sendRecord
	head  int // index of the oldest
	n     int
	epoch time.Time
	sends uint64 // segments sent so far
	lost  int    // records waiting() now: the data path asks without a walk
}

// waiting reports whether rec is lost and not yet sent again (nor SACKed).
func (r *sendRecord) waiting() bool { return r.lost && !r.rtxOut && !r.sacked }

// settle keeps the count of waiting records after rec changed; was is
// rec.waiting() before.
func (s *sendRecords) settle(rec *sendRecord, was bool) {
	switch now := rec.waiting(); {
	case was && !now:
		s.lost--
	case now && !was:
		s.lost++
	}
}

// at returns the i-th oldest record.
func (s *sendRecords) at(i int) *sendRecord { return &s.r[(s.head+i)%len(s.r)] }

// last returns the newest record, or nil.
func (s *sendRecords) last() *sendRecord {
	if s.n == 0 {
		return nil
	}
	return s.at(s.n - 1)
}

// popFront forgets the oldest record.
func (s *sendRecords) popFront() {
	if s.at(0).waiting() {
		s.lost--
	}
	s.head = (s.head + 1) % len(s.r)
	s.n--
}

// grow doubles the ring (up to maxSendRecords), keeping the order. It
// reports false at the bound. It allocates, once per doubling, never in
// the steady state.
func (s *sendRecords) grow() bool {
	if len(s.r) >= maxSendRecords {
		return false
	}
	bigger := make([]sendRecord, min(max(2*len(s.r), 16), maxSendRecords))
	for i := range s.n {
		bigger[i] = *s.at(i)
	}
	s.r, s.head = bigger, 0
	return true
}

// push appends a record; it returns false (the caller merges) when the
// ring is at its bound.
func (s *sendRecords) push(rec sendRecord) bool {
	if s.n == len(s.r) && !s.grow() {
		return false
	}
	*s.at(s.n) = rec
	s.n++
	return true
}

// find returns the index of the first record ending after seq (s.n: none).
func (s *sendRecords) find(seq Seq) int {
	lo, hi := 0, s.n
	for lo < hi {
		mid := (lo + hi) / 2
		if s.at(mid).end.LEQ(seq) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// initRecords sizes the ring from the send buffer: one record per MSS of
// it, for the records of a full buffer in flight.
func (c *Conn) initRecords() {
	c.recs = sendRecords{epoch: c.p.clock.Now()}
	c.rack.fack = c.sndUna
	c.rack.bits = c.p.Config().Recovery
	c.rack.on = c.sackOK && c.rack.bits&RecoveryRACK != 0
	c.recs.r = make([]sendRecord, min(max(c.snd.cap()/max(c.mss, 1)+4, 16), maxSendRecords))
}

// since is now as the records keep time.
func (c *Conn) since() time.Duration { return c.p.clock.Now().Sub(c.recs.epoch) }

// recordSent notes a segment [seq, end) that just went: the part past
// the last record is new (a record of its own), the part before it went
// again (its records are retransmitted, sent now).
func (c *Conn) recordSent(seq, end Seq) {
	if c.recs.r == nil || !end.GT(seq) {
		return
	}
	now := c.since()
	c.recs.sends++
	top := c.sndUna
	if l := c.recs.last(); l != nil {
		top = l.end
	}
	for i := c.recs.find(seq); i < c.recs.n && c.recs.at(i).start.LT(end); i++ {
		rec := c.recs.at(i)
		was := rec.waiting()
		rec.sentAt, rec.order, rec.everRtx, rec.rtxOut = now, c.recs.sends, true, true
		rec.tsVal, rec.rateSnap = c.tsVal(), c.rateSnapshot(now)
		c.recs.settle(rec, was)
	}
	rec := sendRecord{sentAt: now, order: c.recs.sends, tsVal: c.tsVal(), rateSnap: c.rateSnapshot(now)}
	for from := MaxSeq(seq, top); end.GT(from); from = rec.end {
		if from.GT(MaxSeq(seq, top)) { // a later piece: sent after the one before (RFC 8985's seq tie-break)
			c.recs.sends++
			rec.order = c.recs.sends
		}
		rec.start, rec.end = from, MinSeq(end, from.Add(max(c.mss, 1)))
		if !c.recs.push(rec) {
			c.p.Stats.SendRecMerged.Add(1)
			l := c.recs.last()
			l.end, l.sentAt, l.order, l.tsVal, l.rateSnap = end, now, rec.order, rec.tsVal, rec.rateSnap
			return
		}
	}
}

// recordsAcked forgets the records below una, delivering (rate, RACK)
// those not SACKed before; a record straddling una is cut. It returns
// the RTT sample of those it delivered whole (rttsample.go): none if
// any record below una was ever retransmitted (Karn, as Linux's
// FLAG_RETRANS_DATA_ACKED), SACKed or not.
func (c *Conn) recordsAcked(una Seq) (s rttSample) {
	now := c.since()
	rtx := false
	for c.recs.n > 0 {
		rec := c.recs.at(0)
		if rec.end.GT(una) {
			if rec.start.LT(una) {
				c.rateDelivered(una.Sub(rec.start), rec, now)
				rec.start = una
			}
			break
		}
		rtx = rtx || rec.everRtx
		if rec.sacked {
			c.rack.sackedSegs--
		} else {
			s.add(now - rec.sentAt)
			c.delivered(rec, true, now)
		}
		c.recs.popFront()
	}
	if rtx {
		return rttSample{}
	}
	return s
}

// recordsSACKed marks the records that [left, right) of the scoreboard
// now covers whole, delivering each.
func (c *Conn) recordsSACKed(left, right Seq) {
	now := c.since()
	for i := c.recs.find(left); i < c.recs.n; i++ {
		rec := c.recs.at(i)
		if !rec.start.LT(right) {
			return
		}
		if c.newlySACKed(rec) {
			c.markSACKed(rec)
			c.delivered(rec, false, now)
		}
	}
}

// newlySACKed reports whether the scoreboard covers all of rec, not yet
// marked SACKed.
func (c *Conn) newlySACKed(rec *sendRecord) bool {
	return !rec.sacked && c.sackedIn(rec.start, rec.end) == rec.end.Sub(rec.start)
}

// markSACKed notes that the peer holds all of rec.
func (c *Conn) markSACKed(rec *sendRecord) {
	was := rec.waiting()
	rec.sacked = true
	c.recs.settle(rec, was)
	c.rack.sackedSegs++
}

// recordsSACKedBy marks the records o's SACK blocks cover (not its
// D-SACK block).
func (c *Conn) recordsSACKedBy(o *Options) {
	for _, b := range c.sackBlocks(o) {
		if b.Right.GT(c.sndUna) {
			c.recordsSACKed(MaxSeq(b.Left, c.sndUna), b.Right)
		}
	}
}

// sackBlocks is o's SACK blocks without its D-SACK block.
func (c *Conn) sackBlocks(o *Options) []SACKBlock {
	if c.rack.dsackNow {
		return o.SACK[1:o.NumSACK]
	}
	return o.SACK[:o.NumSACK]
}

// delivered takes in a record the peer now holds, by the cumulative ACK
// or a SACK block, at now (RFC 8985 6.2 steps 2 and 3; the delivery-rate
// sample). One reading of the clock per ACK keeps the RTT and the rate
// interval of the same record equal.
func (c *Conn) delivered(rec *sendRecord, cumulative bool, now time.Duration) {
	c.rateDelivered(rec.end.Sub(rec.start), rec, now)
	c.rackDelivered(rec, cumulative, now)
}

// lostUnsent is how many bytes RACK marked lost that have not been sent
// again: RFC 6675's pipe leaves them out.
func (c *Conn) lostUnsent() int {
	n := 0
	for i := 0; i < c.recs.n && c.recs.lost > 0; i++ {
		if rec := c.recs.at(i); rec.waiting() {
			n += c.unsacked(MaxSeq(rec.start, c.sndUna), rec.end)
		}
	}
	return n
}

// firstLost returns the first record marked lost and not sent again.
func (c *Conn) firstLost() *sendRecord {
	for i := 0; i < c.recs.n && c.recs.lost > 0; i++ {
		if rec := c.recs.at(i); rec.waiting() {
			return rec
		}
	}
	return nil
}

// markAllLost is RACK's view of an RTO (RFC 8985 6.3, simplified to what
// the go-back-N that follows does): every unSACKed record is lost.
func (c *Conn) markAllLost() {
	c.recs.lost = 0
	for i := range c.recs.n {
		if rec := c.recs.at(i); !rec.sacked {
			rec.lost, rec.rtxOut = true, false
			c.recs.lost++
		}
	}
}

// forgetLost takes back every lost mark: an undone RTO's (undo.go).
func (c *Conn) forgetLost() {
	c.recs.lost = 0
	for i := range c.recs.n {
		c.recs.at(i).lost = false
	}
}

// retransmittedIn reports whether a record in [left, right) went twice.
func (c *Conn) retransmittedIn(left, right Seq) bool {
	for i := c.recs.find(left); i < c.recs.n && c.recs.at(i).start.LT(right); i++ {
		if c.recs.at(i).everRtx {
			return true
		}
	}
	return false
}

// retransmissionsOut reports whether a retransmission is neither
// acknowledged nor SACKed (Linux's retrans_out > 0).
func (c *Conn) retransmissionsOut() bool {
	for i := range c.recs.n {
		if rec := c.recs.at(i); rec.rtxOut && !rec.sacked {
			return true
		}
	}
	return false
}
