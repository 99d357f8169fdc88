package tcp

// maxOOORanges bounds the out-of-order ranges a connection keeps; a
// segment that would need one more is dropped (TCPOFODrop) and the
// sender retransmits it.
const maxOOORanges = 16

// oooRanges are the out-of-order byte ranges received past RCV.NXT, in
// sequence order and disjoint; the bytes themselves sit in the receive
// ring at their offset. last is the range the newest segment touched,
// reported first in SACK blocks (RFC 2018 4).
type oooRanges struct {
	r    [maxOOORanges]SACKBlock
	n    int
	last Seq // a sequence number inside the newest range
}

// add records [left, right) and merges it with its neighbours. It
// reports false (nothing changed) when the list is full.
func (o *oooRanges) add(left, right Seq) bool {
	i := 0
	for i < o.n && o.r[i].Right.LT(left) {
		i++
	}
	j := i // ranges i..j-1 overlap or touch [left, right)
	for j < o.n && o.r[j].Left.LEQ(right) {
		left, right = MinSeq(left, o.r[j].Left), MaxSeq(right, o.r[j].Right)
		j++
	}
	if i == j && o.n == maxOOORanges {
		return false
	}
	// replace ranges i..j-1 with the merged one
	keep := o.n - j
	if i == j {
		copy(o.r[i+1:], o.r[i:o.n])
		o.n++
	} else {
		copy(o.r[i+1:], o.r[j:o.n])
		o.n = i + 1 + keep
	}
	o.r[i] = SACKBlock{left, right}
	o.last = left
	return true
}

// popFront removes and returns the range starting at or before next, if
// any: data that became contiguous. It returns its right edge.
func (o *oooRanges) popFront(next Seq) (Seq, bool) {
	if o.n == 0 || o.r[0].Left.GT(next) {
		return 0, false
	}
	right := o.r[0].Right
	copy(o.r[:], o.r[1:o.n])
	o.n--
	return right, true
}

// sackBlocks fills dst with up to len(dst) blocks, the newest range
// first, then the others from the highest down, and returns how many.
func (o *oooRanges) sackBlocks(dst []SACKBlock) int {
	k := 0
	first := -1
	for i := range o.n {
		if o.last.GEQ(o.r[i].Left) && o.last.LT(o.r[i].Right) {
			first = i
		}
	}
	if first >= 0 && k < len(dst) {
		dst[k], k = o.r[first], k+1
	}
	for i := o.n - 1; i >= 0 && k < len(dst); i-- {
		if i != first {
			dst[k], k = o.r[i], k+1
		}
	}
	return k
}

func (o *oooRanges) clear() { o.n = 0 }

// holds reports whether one range covers all of [left, right).
func (o *oooRanges) holds(left, right Seq) bool {
	for i := range o.n {
		if o.r[i].Left.LEQ(left) && right.LEQ(o.r[i].Right) {
			return true
		}
	}
	return false
}

// dropBelow forgets what lies before seq: ranges ending at or before it
// go, a range straddling it is cut.
func (o *oooRanges) dropBelow(seq Seq) {
	k := 0
	for i := range o.n {
		r := o.r[i]
		if r.Right.LEQ(seq) {
			continue
		}
		if r.Left.LT(seq) {
			r.Left = seq
		}
		o.r[k], k = r, k+1
	}
	o.n = k
}

// after returns where seq leaves the ranges (the end of the range holding
// it, or seq) and the start of the next range past that (ok false: none).
func (o *oooRanges) after(seq Seq) (next, nextLeft Seq, ok bool) {
	for i := range o.n {
		r := o.r[i]
		if seq.GEQ(r.Left) && seq.LT(r.Right) {
			seq = r.Right
		} else if r.Left.GT(seq) {
			return seq, r.Left, true
		}
	}
	return seq, 0, false
}
