package tcpgraph

import "github.com/gotapip/gotapip/tcp"

// flow is one direction of a connection as the time-sequence graph draws
// it: the data segments one side sent and the ACKs the other returned,
// in seconds and in bytes relative to the sender's ISN (the SYN is 0,
// the first data byte 1, as Wireshark's relative sequence numbers).
type flow struct {
	from, to string // who sends the data, who acknowledges it
	data     []bar
	acks     []ackPoint
}

// bar is one data segment: its sequence range [lo, hi) and whether it
// was sent again.
type bar struct {
	t, lo, hi float64
	rexmit    bool
}

// ackPoint is one ACK: the acknowledged byte, the right edge of the
// window it offered, and its SACK blocks.
type ackPoint struct {
	t, ack, edge float64
	sack         [][2]float64
}

// unwrapper turns 32-bit sequence numbers into positions from base that
// grow past 4 GB: the first one seen is taken as ahead of base, each
// next one relative to the last (within 2 GB of it, as TCP's own
// comparisons assume).
type unwrapper struct {
	base, last tcp.Seq
	pos        float64
	started    bool
}

func (u *unwrapper) at(s tcp.Seq) float64 {
	if !u.started {
		u.started, u.last, u.pos = true, s, float64(uint32(s-u.base))
		return u.pos
	}
	u.pos += float64(s.Sub(u.last))
	u.last = s
	return u.pos
}

// flowOf picks the direction that carried more data (what we sent, for a
// sender) and returns it.
func flowOf(h tcp.History) flow {
	out, in := 0, 0
	for _, s := range h.Segments {
		if s.Out {
			out += s.Len
		} else {
			in += s.Len
		}
	}
	f := flow{from: h.Local.String(), to: h.Remote.String()}
	dataOut, base := true, h.ISS
	if in > out {
		f.from, f.to, dataOut, base = f.to, f.from, false, h.IRS
	}
	u := unwrapper{base: base}
	for _, s := range h.Segments {
		t := s.At.Seconds()
		switch {
		case s.Out == dataOut && s.Len > 0:
			lo := u.at(s.Seq)
			f.data = append(f.data, bar{t: t, lo: lo, hi: lo + float64(s.Len), rexmit: s.Rexmit})
		case s.Out != dataOut && s.Flags&tcp.FlagACK != 0:
			a := u.at(s.Ack)
			p := ackPoint{t: t, ack: a, edge: a + float64(s.Window)}
			for _, b := range s.SACK[:min(s.NumSACK, tcp.MaxSACKBlocks)] {
				l := a + float64(b.Left.Sub(s.Ack))
				p.sack = append(p.sack, [2]float64{l, l + float64(b.Right.Sub(b.Left))})
			}
			f.acks = append(f.acks, p)
		}
	}
	return f
}

// bounds are the time and sequence ranges the flow covers.
func (f flow) bounds() (t0, t1, lo, hi float64) {
	first := true
	take := func(t, a, b float64) {
		if first {
			t0, t1, lo, hi, first = t, t, a, b, false
			return
		}
		t0, t1, lo, hi = min(t0, t), max(t1, t), min(lo, a), max(hi, b)
	}
	for _, d := range f.data {
		take(d.t, d.lo, d.hi)
	}
	for _, a := range f.acks {
		take(a.t, a.ack, a.edge)
	}
	if t1-t0 < 1e-3 {
		t1 = t0 + 1e-3
	}
	if hi-lo < 1 {
		hi = lo + 1
	}
	return t0, t1, lo, hi
}
