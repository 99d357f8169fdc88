package tcp

// RFC 6675 alone cannot see a retransmission lost: the hole stays below
// HighRxt, counted in flight, until the RTO. As Linux (before RACK,
// tcp_mark_lost_retrans) it is inferred from SACK: when the peer SACKs
// data we first sent after retransmitting the head, the retransmission
// of the head was lost (or reordered past it), so the head goes again.

// maxRetransmits bounds the retransmissions remembered in one recovery;
// past it the rest are left to the RTO.
const maxRetransmits = 32

// retransmits are the retransmissions of this SACK recovery in sequence
// order: [start, end) and SND.MAX when it went (its mark).
type retransmits struct {
	r [maxRetransmits]struct{ start, end, mark Seq }
	n int
}

// note records a retransmission of [start, end) made when SND.MAX was
// mark; one of a range already recorded renews its mark.
func (x *retransmits) note(start, end, mark Seq) {
	i := 0
	for i < x.n && x.r[i].end.LEQ(start) {
		i++
	}
	if i < x.n && x.r[i].start.LEQ(start) {
		x.r[i].start, x.r[i].end, x.r[i].mark = start, MaxSeq(end, x.r[i].end), mark
		return
	}
	if x.n == maxRetransmits {
		return
	}
	copy(x.r[i+1:x.n+1], x.r[i:x.n])
	x.r[i].start, x.r[i].end, x.r[i].mark = start, end, mark
	x.n++
}

// dropBelow forgets the retransmissions acknowledged by una.
func (x *retransmits) dropBelow(una Seq) {
	k := 0
	for k < x.n && x.r[k].end.LEQ(una) {
		k++
	}
	copy(x.r[:], x.r[k:x.n])
	x.n -= k
}

// lostRetransmit sends the head again when its retransmission is known
// lost: the peer SACKed data sent after it.
func (c *Conn) lostRetransmit() {
	x := &c.cc.rxt
	x.dropBelow(c.sndUna)
	if x.n == 0 || c.sacked.n == 0 || x.r[0].start.GT(c.sndUna) {
		return
	}
	if c.sacked.r[c.sacked.n-1].Right.GT(x.r[0].mark) {
		c.p.Stats.LostRetransmit.Add(1)
		c.retransmitHead("SACK recovery: retransmission lost")
	}
}
