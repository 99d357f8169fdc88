package tcp

import "time"

// Receive buffer autotuning, as Linux's tcp_rcv_space_adjust (dynamic
// right-sizing): once per round trip the receiver measures how much the
// application read, and grows the buffer, and with it the window it
// advertises, to about twice that, so the window never caps a sender the
// application keeps up with. Growth stops at tcp_rmem's max (and what the
// window shift chosen at SYN time can advertise) and at the stack's bound
// on buffers: a refusal there means no growth, never a failure. The
// round trip is the receiver's own estimate: from the timestamps the
// sender echoes, or, without them, the time it takes a window of data to
// arrive (tcp_rcv_rtt_measure).

// initCwndSegments is the initial window (RFC 6928), the first guess of
// what the peer sends per round trip.
const initCwndSegments = 10

// rcvSpace is the per-round-trip measure (Linux's rcvq_space and
// rcv_rtt_est).
type rcvSpace struct {
	space  int       // bytes the application read in the last measured round trip
	seq    Seq       // what it had read when this measure began
	at     time.Time // when this measure began
	rtt    time.Duration
	rttSeq Seq       // without timestamps: the window's right edge being timed
	rttAt  time.Time // when that began; zero: none
}

// initRcvSpace starts the measure when the connection is established.
func (c *Conn) initRcvSpace() {
	c.rs = rcvSpace{space: min(c.rcvWindow(), initCwndSegments*c.rcvMSS), seq: c.copiedSeq(), at: c.p.clock.Now()}
}

// copiedSeq is the sequence number of the next byte the application reads.
func (c *Conn) copiedSeq() Seq { return c.rcvNxt.Add(-c.rcv.len()) }

// measureRcvRTT takes a receiver RTT sample after n bytes of in-order
// data arrived: a full-sized segment's echo of one of our timestamps
// (tcp_rcv_rtt_measure_ts; a smoothed average), or, without timestamps,
// the time since a window was advertised once RCV.NXT passes its right
// edge (the minimum of these). Called with c.mu held.
func (c *Conn) measureRcvRTT(o *Options, n int) {
	if c.tsOK {
		if !o.HasTimestamp || o.TSEcr == 0 || n < min(c.rcvSegMax, c.rcvMSS) {
			return
		}
		ms := int32(c.tsVal() - o.TSEcr)
		if ms < 0 {
			return
		}
		sample := max(time.Duration(ms)*time.Millisecond, time.Millisecond) // the clock's tick at least
		if c.rs.rtt == 0 {
			c.rs.rtt = sample
		} else {
			c.rs.rtt += (sample - c.rs.rtt) / 8
		}
		return
	}
	if !c.rs.rttAt.IsZero() && c.rcvNxt.LT(c.rs.rttSeq) {
		return
	}
	now := c.p.clock.Now()
	if !c.rs.rttAt.IsZero() {
		sample := max(now.Sub(c.rs.rttAt), time.Microsecond)
		if c.rs.rtt == 0 || sample < c.rs.rtt {
			c.rs.rtt = sample
		}
	}
	c.rs.rttSeq, c.rs.rttAt = c.rcvAdv, now
}

// rcvSpaceAdjust runs after the application read: once a round trip has
// passed since the measure began, a round trip that read more than the
// last grows the buffer. Linux's rule: twice what was read plus 16
// segments (a loss costs a round trip's worth), plus twice as much again
// in proportion to the growth (the sender may double its rate, as in
// slow start, by the time our window reaches it). Called with c.mu held.
func (c *Conn) rcvSpaceAdjust() {
	now := c.p.clock.Now()
	if c.rs.rtt == 0 || now.Sub(c.rs.at) < c.rs.rtt {
		return
	}
	copied := c.copiedSeq().Sub(c.rs.seq)
	if copied > c.rs.space {
		if c.p.Config().ModerateRcvbuf {
			win := 2*copied + 16*c.rcvMSS
			if bound := c.rcvBufMax(); win < bound { // below 1 GB: the product fits
				win += 2 * win * (copied - c.rs.space) / max(c.rs.space, 1)
			}
			c.growRecvBuffer(win)
		}
		c.rs.space = copied
	}
	c.rs.seq, c.rs.at = c.copiedSeq(), now
}

// rcvBufMax is the most the receive ring grows to: tcp_rmem's max, and
// the largest window our shift can advertise (at most 1 GB).
func (c *Conn) rcvBufMax() int { return min(c.p.Config().Rmem[2], 0xffff<<c.rcvWScale) }

// growRecvBuffer grows the receive ring towards size bytes, within
// rcvBufMax and the stack's bound; it keeps the data, in order or not.
func (c *Conn) growRecvBuffer(size int) {
	size = min(size, c.rcvBufMax())
	if grow := size - c.rcv.cap(); grow <= 0 || !c.p.tryReserve(grow) {
		return
	}
	c.buffers += size - c.rcv.cap()
	c.rcv.grow(size)
}
