package tcp

// Seq is a TCP sequence number: arithmetic modulo 2^32 (RFC 9293 3.4).
// Comparisons are valid for numbers less than 2^31 apart, which the window
// (at most 2^30 with scaling, RFC 7323 2.3) guarantees.
type Seq uint32

// Add returns s advanced by n bytes.
func (s Seq) Add(n int) Seq { return s + Seq(uint32(n)) }

// Sub returns the distance s - t, negative when s is before t.
func (s Seq) Sub(t Seq) int { return int(int32(s - t)) }

// LT reports s < t.
func (s Seq) LT(t Seq) bool { return int32(s-t) < 0 }

// LEQ reports s <= t.
func (s Seq) LEQ(t Seq) bool { return int32(s-t) <= 0 }

// GT reports s > t.
func (s Seq) GT(t Seq) bool { return int32(s-t) > 0 }

// GEQ reports s >= t.
func (s Seq) GEQ(t Seq) bool { return int32(s-t) >= 0 }

// InWindow reports start <= s < start+size: s lies in a window of size
// bytes beginning at start. An empty window holds nothing.
func (s Seq) InWindow(start Seq, size int) bool {
	return size > 0 && s.GEQ(start) && s.Sub(start) < size
}

// MaxSeq returns the later of a and b.
func MaxSeq(a, b Seq) Seq {
	if a.GT(b) {
		return a
	}
	return b
}

// MinSeq returns the earlier of a and b.
func MinSeq(a, b Seq) Seq {
	if a.LT(b) {
		return a
	}
	return b
}
