package tcpgraph

import (
	"bytes"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/svgtest"
	"github.com/gotapip/gotapip/tcp"
)

// lossHistory is a known connection: ten segments of 1000 bytes sent a
// millisecond apart from an ISN just below 2^32 (so the numbers wrap),
// segment 2 lost; the peer ACKs 0 and 1, then sends three duplicate ACKs
// SACKing 3 on; segment 2 goes again at 14 ms; one ACK covers all at 20
// ms; a retransmission timeout at 30 ms.
func lossHistory() tcp.History {
	const mss = 1000
	iss := tcp.Seq(0xffffff00)
	seg := func(i int) tcp.Seq { return iss.Add(1 + i*mss) }
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	h := tcp.History{
		Local: netip.MustParseAddrPort("10.0.0.1:50000"), Remote: netip.MustParseAddrPort("10.0.0.2:9"),
		ISS: iss, IRS: 7, MSS: mss, Algorithm: "reno", Live: true,
	}
	out := func(at float64, i int, rexmit bool) {
		h.Segments = append(h.Segments, tcp.SegmentRecord{At: ms(at), Out: true, Rexmit: rexmit, Flags: tcp.FlagACK, Seq: seg(i), Len: mss, Ack: 8, Window: 65535})
	}
	sample := func(at float64, una tcp.Seq, cwnd, ssthresh int, recovery bool, backoff int) {
		h.Samples = append(h.Samples, tcp.Sample{At: ms(at), Una: una, Nxt: seg(10), Max: seg(10), Cwnd: cwnd, Ssthresh: ssthresh,
			SRTT: ms(10), RTTVar: ms(5), RTO: 200 * time.Millisecond, InFlight: seg(10).Sub(una), State: tcp.Established, Recovery: recovery, Backoff: backoff})
	}
	ack := func(at float64, a tcp.Seq, sackTo int) {
		r := tcp.SegmentRecord{At: ms(at), Flags: tcp.FlagACK, Seq: 8, Ack: a, Window: 64000}
		if sackTo > 0 {
			r.NumSACK, r.SACK[0] = 1, tcp.SACKBlock{Left: seg(3), Right: seg(sackTo)}
		}
		h.Segments = append(h.Segments, r)
	}
	for i := range 10 {
		out(float64(i), i, false)
	}
	ack(10, seg(2), 0)
	sample(10, seg(2), 12*mss, 1<<30, false, 0)
	for k, top := range []int{4, 5, 6} {
		ack(float64(11+k), seg(2), top)
		sample(float64(11+k), seg(2), 12*mss, 1<<30, k == 2, 0)
	}
	out(14, 2, true)
	ack(20, seg(10), 0)
	sample(20, seg(10), 6*mss, 6*mss, false, 0)
	sample(30, seg(10), mss, 3*mss, false, 1)
	return h
}

// The time-sequence graph of the known connection, parsed back: one bar
// per data segment, one red bar marked R exactly at the lost segment's
// bytes (2001 to 3001 from the ISN) and its retransmission time (14 ms),
// the ACK and window lines with two points per ACK, rising, one SACK
// line per block, every coordinate inside the viewBox, the time axis's
// ticks and labels increasing.
func TestTimeSequenceGraph(t *testing.T) {
	var buf bytes.Buffer
	st, err := TimeSequence(&buf, lossHistory())
	if err != nil {
		t.Fatal(err)
	}
	es := svgtest.Parse(t, buf.Bytes())
	if want := (SeqStats{From: "10.0.0.1:50000", To: "10.0.0.2:9", Data: 11, Rexmits: 1, ACKs: 5, SACKs: 3}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	data, rexmit := svgtest.ByClass(es, "path", "data"), svgtest.ByClass(es, "path", "rexmit")
	if len(data) != 10 || len(rexmit) != 1 || len(svgtest.ByClass(es, "text", "rexmit-mark")) != 1 {
		t.Fatalf("%d data bars, %d retransmission bars, %d R marks; want 10, 1, 1", len(data), len(rexmit), len(svgtest.ByClass(es, "text", "rexmit-mark")))
	}
	toTime := svgtest.AxisMap(t, es, "xtick", "xlabel", "x1")
	toSeq := svgtest.AxisMap(t, es, "ytick", "ylabel", "y1")
	x, y0, y1 := svgtest.Bar(t, rexmit[0].Attr["d"])
	if at, lo, hi := toTime(x), toSeq(y0), toSeq(y1); math.Abs(at-0.014) > 1e-4 || math.Abs(lo-2001) > 40 || math.Abs(hi-3001) > 40 {
		t.Errorf("retransmission bar at %.5f s over %.0f-%.0f, want 0.014 s over 2001-3001", at, lo, hi)
	}
	for _, class := range []string{"ack", "window"} {
		lines := svgtest.ByClass(es, "polyline", class)
		if len(lines) != 1 {
			t.Fatalf("%d %s lines, want 1", len(lines), class)
		}
		pts := svgtest.Points(t, lines[0].Attr["points"])
		if len(pts) != 2*5 {
			t.Errorf("%s line: %d points, want 2 per ACK (10)", class, len(pts))
		}
		for i := 1; i < len(pts); i++ {
			if pts[i][0] < pts[i-1][0] || pts[i][1] > pts[i-1][1] {
				t.Errorf("%s line goes back at point %d: %v after %v", class, i, pts[i], pts[i-1])
			}
		}
	}
	if got := svgtest.ByClass(es, "line", "sack"); len(got) != 3 {
		t.Errorf("%d SACK lines, want 3", len(got))
	}
	svgtest.InViewBox(t, es)
	if title := svgtest.ByClass(es, "text", "title"); len(title) != 1 || !strings.Contains(title[0].Text, "10.0.0.1:50000 → 10.0.0.2:9 (reno)") {
		t.Errorf("title %v, want the connection and the algorithm", title)
	}
}

// The congestion graph of the known connection: one sample per point,
// the recovery shaded once, the timeout marked once, ssthresh drawn only
// once set, within the viewBox.
func TestCongestionGraph(t *testing.T) {
	var buf bytes.Buffer
	h := lossHistory()
	st, err := Congestion(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	es := svgtest.Parse(t, buf.Bytes())
	if want := (CwndStats{Samples: 6, Recoveries: 1, Timeouts: 1, MaxCwnd: 12000}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if n, m := len(svgtest.ByClass(es, "rect", "recovery")), len(svgtest.ByClass(es, "line", "rto")); n != 2 || m != 1 {
		t.Errorf("%d recovery bands (one per panel), %d timeout lines; want 2, 1", n, m)
	}
	cwnd := svgtest.ByClass(es, "polyline", "cwnd")
	if len(cwnd) != 1 || len(svgtest.Points(t, cwnd[0].Attr["points"])) != 2*6-1 {
		t.Fatalf("cwnd: %d lines, want one of 11 points (a step per sample)", len(cwnd))
	}
	ss := svgtest.ByClass(es, "polyline", "ssthresh")
	if len(ss) != 1 || len(svgtest.Points(t, ss[0].Attr["points"])) != 3 {
		t.Errorf("ssthresh: %d lines, want one from the first finite sample (3 points)", len(ss))
	}
	var panels []int // where each panel's axes begin
	for i, e := range es {
		if e.Name == "g" && e.Attr["class"] == "axes" {
			panels = append(panels, i)
		}
	}
	if len(panels) != 2 {
		t.Fatalf("%d panels, want 2", len(panels))
	}
	svgtest.AxisMap(t, es[panels[0]:panels[1]], "xtick", "xlabel", "x1")
	svgtest.AxisMap(t, es[panels[1]:], "xtick", "xlabel", "x1")
	svgtest.InViewBox(t, es)
}

// The samples as text: a header and one line per sample, the sequence
// numbers relative to the ISN across the wrap.
func TestSamplesText(t *testing.T) {
	var buf bytes.Buffer
	if err := Samples(&buf, lossHistory()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 7 {
		t.Fatalf("%d lines, want a header and 6 samples:\n%s", len(lines), buf.String())
	}
	if f := strings.Fields(lines[5]); len(f) < 4 || f[2] != "10001" || f[5] != "6" {
		t.Errorf("sample at 20 ms: %q, want snd_una 10001 and cwnd 6", lines[5])
	}
	if !strings.Contains(lines[4], "recovery") || !strings.Contains(lines[6], "backoff 1") {
		t.Errorf("flags missing:\n%s", buf.String())
	}
}

// An empty history still makes a well-formed picture.
func TestEmptyHistory(t *testing.T) {
	for _, draw := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { _, err := TimeSequence(b, tcp.History{}); return err },
		func(b *bytes.Buffer) error { _, err := Congestion(b, tcp.History{}); return err },
	} {
		var buf bytes.Buffer
		if err := draw(&buf); err != nil {
			t.Fatal(err)
		}
		svgtest.InViewBox(t, svgtest.Parse(t, buf.Bytes()))
	}
}
