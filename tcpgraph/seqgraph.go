package tcpgraph

import (
	"fmt"
	"io"
	"strings"

	"github.com/gotapip/gotapip/tcp"
)

// The colours of the time-sequence graph, after tcptrace's: data black,
// retransmissions red, the ACK line green, the window line yellow-olive,
// SACK blocks purple.
const (
	colourData   = "#000000"
	colourRexmit = "#d62728"
	colourAck    = "#2ca02c"
	colourWindow = "#b5a000"
	colourSACK   = "#9467bd"
)

// SeqStats counts what a time-sequence graph drew.
type SeqStats struct {
	From, To      string // the data's sender and receiver
	Data, Rexmits int    // data segments (retransmissions included), retransmissions
	ACKs, SACKs   int    // ACKs, and SACK blocks they carried
}

// TimeSequence writes the time-sequence graph of h (tcptrace's and
// Wireshark's "Stevens"/"tcptrace" graph) as SVG: x time, y sequence
// number; each data segment a vertical bar over the bytes it carried
// (red and marked R when sent again); the ACK line, a step up at each
// ACK; the window line (ACK + window) above it; SACK blocks purple
// beside the ACK that carried them.
func TimeSequence(w io.Writer, h tcp.History) (SeqStats, error) {
	f := flowOf(h)
	st := SeqStats{From: f.from, To: f.to, Data: len(f.data), ACKs: len(f.acks)}
	t0, t1, lo, hi := f.bounds()
	c := newCanvas(w, fmt.Sprintf("%s → %s (%s): time-sequence graph", f.from, f.to, h.Algorithm))
	p := newPlot(marginTop, height-marginBottom, t0, t1, lo, hi)
	c.axes(p, "time (s)", "sequence number (bytes from ISN)", bytesLabel)
	c.steps(p, "window", colourWindow, f.acks, func(a ackPoint) float64 { return a.edge })
	c.steps(p, "ack", colourAck, f.acks, func(a ackPoint) float64 { return a.ack })
	c.open("g", "class", "sacks", "stroke", colourSACK, "stroke-width", "2")
	for _, a := range f.acks {
		for _, b := range a.sack {
			x := num(p.x.at(a.t) + 2)
			c.leaf("line", "class", "sack", "x1", x, "y1", num(p.y.at(b[0])), "x2", x, "y2", num(p.y.at(b[1])))
			st.SACKs++
		}
	}
	c.close("g")
	c.open("g", "class", "segments", "fill", "none")
	for _, d := range f.data {
		class, colour := "data", colourData
		if d.rexmit {
			class, colour = "rexmit", colourRexmit
			st.Rexmits++
		}
		x, ylo, yhi := p.x.at(d.t), p.y.at(d.lo), p.y.at(d.hi)
		// tcptrace's I-beam: the bar, and a short serif at each end.
		path := fmt.Sprintf("M%s %sV%sM%s %sh4M%s %sh4", num(x), num(ylo), num(yhi), num(x-2), num(ylo), num(x-2), num(yhi))
		c.leaf("path", "class", class, "d", path, "stroke", colour)
		if d.rexmit {
			c.text(x, yhi-4, "middle", "rexmit-mark", "R", "fill", colourRexmit, "font-size", "10")
		}
	}
	c.close("g")
	c.legend([]legendItem{
		{colourData, "data segment"},
		{colourRexmit, "retransmission (R)"},
		{colourAck, "ACK"},
		{colourWindow, "receive window (ACK + window)"},
		{colourSACK, "SACK block"},
	})
	return st, c.finish()
}

// steps draws a step line through the ACKs: flat until the next ACK,
// then straight up (or down) to its value, as tcptrace draws the ACK
// line. It has two points per ACK.
func (c *canvas) steps(p plot, class, colour string, acks []ackPoint, y func(ackPoint) float64) {
	if len(acks) == 0 {
		return
	}
	var b strings.Builder
	prev := y(acks[0])
	for _, a := range acks {
		x := num(p.x.at(a.t))
		fmt.Fprintf(&b, "%s,%s %s,%s ", x, num(p.y.at(prev)), x, num(p.y.at(y(a))))
		prev = y(a)
	}
	c.leaf("polyline", "class", class, "points", strings.TrimSpace(b.String()), "fill", "none", "stroke", colour, "stroke-width", "1.5")
}
