package tcp

// D-SACK (RFC 2883): the first SACK block of an ACK may report data the
// receiver got twice. Received, it tells the sender a retransmission
// was not needed (the original was reordered or delayed, not lost), so
// RACK widens its reordering window (rack.go) and a tail loss probe
// knows it repaired nothing (tlp.go). Sent, it tells the peer the same
// about its data: as Linux, with net.ipv4.tcp_dsack on (the default).

// takeDSACK reports whether o's first block is a D-SACK (RFC 2883 4:
// below the cumulative ACK, or inside the second block), and counts it.
func (c *Conn) takeDSACK(ack Seq, o *Options) bool {
	if o.NumSACK == 0 {
		return false
	}
	b := o.SACK[0]
	inSecond := o.NumSACK > 1 && b.Left.GEQ(o.SACK[1].Left) && b.Right.LEQ(o.SACK[1].Right)
	if !b.Left.LT(b.Right) || !(b.Left.LT(ack) || inSecond) {
		return false
	}
	c.p.Stats.DSACKRecv.Add(1)
	c.rack.dsackNow, c.rack.reorderingSeen = true, true
	c.rack.dsackEnd = b.Right
	c.dsackForEpisode(b)
	return true
}

// noteDuplicate asks for a D-SACK of [left, right), data received
// again, in the next ACK (sent at once). counter says where it was.
func (c *Conn) noteDuplicate(left, right Seq, old bool) {
	if !c.sackOK || !c.p.Config().DSACK || !left.LT(right) {
		return
	}
	if old {
		c.p.Stats.DSACKOldSent.Add(1)
	} else {
		c.p.Stats.DSACKOfoSent.Add(1)
	}
	c.dsackOut, c.dsackWant, c.ackNow = SACKBlock{left, right}, true, true
}

// oldDataArrived asks for a D-SACK of a segment wholly below RCV.NXT:
// the peer retransmitted what we had.
func (c *Conn) oldDataArrived(h Header) {
	if n := len(h.Payload()); n > 0 && h.Seq().Add(n).LEQ(c.rcvNxt) {
		c.noteDuplicate(h.Seq(), h.Seq().Add(n), true)
	}
}

// sackBlocksOut fills dst with the D-SACK block, if one is wanted, then
// the out-of-order ranges, and returns how many.
func (c *Conn) sackBlocksOut(dst []SACKBlock) int {
	k := 0
	if c.dsackWant && len(dst) > 0 {
		dst[0], k = c.dsackOut, 1
		c.dsackWant = false
	}
	return k + c.ooo.sackBlocks(dst[k:])
}
