package tcpgraph

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gotapip/gotapip/tcp"
)

// The colours of the congestion graph.
const (
	colourCwnd     = "#1f77b4"
	colourSsthresh = "#ff7f0e"
	colourFlight   = "#aaaaaa"
	colourSRTT     = "#2ca02c"
	colourRecovery = "#ffd8d8"
	colourRTO      = "#d62728"
)

// infinite is where ssthresh stands before the first loss: not drawn.
const infinite = 1 << 29

// CwndStats counts what a congestion graph drew.
type CwndStats struct {
	Samples    int
	Recoveries int // fast recovery periods (shaded)
	Timeouts   int // retransmission timeouts (marked)
	MaxCwnd    int // bytes
}

// Congestion writes h's congestion window, slow-start threshold and bytes
// in flight (top panel), and smoothed RTT (bottom panel) against time as
// SVG, one point per sample (each ACK processed, each timeout). Fast
// recovery periods are shaded in both panels; each retransmission
// timeout is a dashed red line.
func Congestion(w io.Writer, h tcp.History) (CwndStats, error) {
	ss := h.Samples
	st := CwndStats{Samples: len(ss)}
	t0, t1 := 0.0, 1e-3
	if len(ss) > 0 {
		t0, t1 = ss[0].At.Seconds(), max(ss[len(ss)-1].At.Seconds(), ss[0].At.Seconds()+1e-3)
	}
	top, rtt := 1.0, 1.0
	for _, s := range ss {
		top = max(top, float64(s.Cwnd), float64(s.InFlight))
		if s.Ssthresh < infinite {
			top = max(top, float64(s.Ssthresh))
		}
		rtt = max(rtt, ms(s.SRTT))
		st.MaxCwnd = max(st.MaxCwnd, s.Cwnd)
	}
	c := newCanvas(w, fmt.Sprintf("%s → %s (%s): congestion window and RTT", h.Local, h.Remote, h.Algorithm))
	mid := float64(marginTop + (height-marginTop-marginBottom)*6/10)
	pw := newPlot(marginTop, mid-30, t0, t1, 0, top*1.05)
	pr := newPlot(mid+10, height-marginBottom, t0, t1, 0, rtt*1.1)
	st.Recoveries = c.shade(pw, ss)
	c.shade(pr, ss)
	c.axes(pw, "", "bytes", bytesLabel)
	c.axes(pr, "time (s)", "smoothed RTT (ms)", func(v float64) string { return seconds(v) })
	c.series(pw, "flight", colourFlight, ss, func(s tcp.Sample) (float64, bool) { return float64(s.InFlight), true })
	c.series(pw, "ssthresh", colourSsthresh, ss, func(s tcp.Sample) (float64, bool) {
		return float64(s.Ssthresh), s.Ssthresh < infinite
	})
	c.series(pw, "cwnd", colourCwnd, ss, func(s tcp.Sample) (float64, bool) { return float64(s.Cwnd), true })
	c.series(pr, "srtt", colourSRTT, ss, func(s tcp.Sample) (float64, bool) { return ms(s.SRTT), s.SRTT > 0 })
	st.Timeouts = c.timeouts(pw, pr, ss)
	c.legend([]legendItem{
		{colourCwnd, "cwnd"},
		{colourSsthresh, "ssthresh"},
		{colourFlight, "bytes in flight"},
		{colourSRTT, "smoothed RTT"},
		{colourRecovery, "fast recovery"},
		{colourRTO, "timeout (RTO)"},
	})
	return st, c.finish()
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

// shade draws a band over each run of samples in fast recovery, to the
// sample that left it, and returns how many runs there were.
func (c *canvas) shade(p plot, ss []tcp.Sample) int {
	n := 0
	c.open("g", "class", "recoveries", "fill", colourRecovery)
	for i := 0; i < len(ss); i++ {
		if !ss[i].Recovery {
			continue
		}
		j := i
		for j < len(ss)-1 && ss[j].Recovery {
			j++
		}
		x0, x1 := p.x.at(ss[i].At.Seconds()), p.x.at(ss[j].At.Seconds())
		c.leaf("rect", "class", "recovery", "x", num(x0), "y", num(p.y0), "width", num(max(x1-x0, 1)), "height", num(p.y1-p.y0))
		n++
		i = j
	}
	c.close("g")
	return n
}

// timeouts marks each sample whose backoff grew: an RTO fired.
func (c *canvas) timeouts(pw, pr plot, ss []tcp.Sample) int {
	n := 0
	c.open("g", "class", "timeouts", "stroke", colourRTO, "stroke-dasharray", "4 3")
	for i, s := range ss {
		if s.Backoff == 0 || (i > 0 && s.Backoff <= ss[i-1].Backoff) {
			continue
		}
		x := num(pw.x.at(s.At.Seconds()))
		c.leaf("line", "class", "rto", "x1", x, "y1", num(pw.y0), "x2", x, "y2", num(pr.y1))
		n++
	}
	c.close("g")
	return n
}

// series draws a step line through the samples; where y reports false
// (ssthresh not yet set) the line breaks.
func (c *canvas) series(p plot, class, colour string, ss []tcp.Sample, y func(tcp.Sample) (float64, bool)) {
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			c.leaf("polyline", "class", class, "points", strings.TrimSpace(b.String()), "fill", "none", "stroke", colour, "stroke-width", "1.5")
			b.Reset()
		}
	}
	prev, have := 0.0, false
	for _, s := range ss {
		v, ok := y(s)
		if !ok {
			flush()
			have = false
			continue
		}
		x := num(p.x.at(s.At.Seconds()))
		if have {
			fmt.Fprintf(&b, "%s,%s ", x, num(p.y.at(prev)))
		}
		fmt.Fprintf(&b, "%s,%s ", x, num(p.y.at(v)))
		prev, have = v, true
	}
	flush()
}
