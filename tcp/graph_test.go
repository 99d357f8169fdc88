package tcp_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/gotapip/gotapip/internal/svgtest"
	"github.com/gotapip/gotapip/tcp"
	"github.com/gotapip/gotapip/tcpgraph"
)

// The time-sequence graph of a connection recorded on the fake clock
// with one segment lost: parsed back, its one retransmission bar (red,
// marked R) stands over exactly the lost segment's bytes, at the time
// it went again, read through the graph's own axes; every other data
// segment is a black bar; the ACK line steps at each of the five ACKs.
func TestGraphShowsTheLoss(t *testing.T) {
	h, lost, resent := tcp.RecordLoss(t)
	var buf bytes.Buffer
	st, err := tcpgraph.TimeSequence(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	sent, acks := 0, 0 // data segments sent, ACKs received, as recorded
	for _, s := range h.Segments {
		switch {
		case s.Out && s.Len > 0:
			sent++
		case !s.Out:
			acks++
		}
	}
	es := svgtest.Parse(t, buf.Bytes())
	rexmit, data := svgtest.ByClass(es, "path", "rexmit"), svgtest.ByClass(es, "path", "data")
	if len(rexmit) != 1 || len(svgtest.ByClass(es, "text", "rexmit-mark")) != 1 || len(data) != sent-1 || st.Data != sent {
		t.Fatalf("%d retransmission bars and %d data bars of %d segments sent; want 1 and the rest", len(rexmit), len(data), sent)
	}
	if ack := svgtest.ByClass(es, "polyline", "ack"); len(ack) != 1 || len(svgtest.Points(t, ack[0].Attr["points"])) != 2*acks || acks != 5 {
		t.Errorf("the ACK line: want one, of two points for each of the 5 ACKs received (%d recorded)", acks)
	}
	toTime := svgtest.AxisMap(t, es, "xtick", "xlabel", "x1")
	toSeq := svgtest.AxisMap(t, es, "ytick", "ylabel", "y1")
	pxTime, pxSeq := math.Abs(toTime(1)-toTime(0)), math.Abs(toSeq(1)-toSeq(0)) // one pixel's worth
	x, y0, y1 := svgtest.Bar(t, rexmit[0].Attr["d"])
	lo := float64(lost.Sub(h.ISS)) // Wireshark's relative sequence number
	if at := toTime(x); math.Abs(at-resent.Seconds()) > pxTime {
		t.Errorf("retransmission bar at %.6f s, want %.6f s", at, resent.Seconds())
	}
	if got0, got1 := toSeq(y0), toSeq(y1); math.Abs(got0-lo) > pxSeq || math.Abs(got1-(lo+1448)) > pxSeq {
		t.Errorf("retransmission bar over %.0f-%.0f, want %.0f-%.0f (the lost segment)", got0, got1, lo, lo+1448)
	}
}
