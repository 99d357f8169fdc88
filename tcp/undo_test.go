package tcp

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// An RTO that fires while the ACKs of the window wait unread (the
// process stalled): the first ACK after it echoes the original's
// timestamp, so the window comes back and sending goes on from SND.MAX
// with new data, instead of resending from SND.UNA what the peer holds.
// An ACK echoing the retransmission's timestamp leaves the RTO's work.
func TestSpuriousRTOUndone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spurious bool // the ACK echoes the original transmission
	}{
		{"ACK of the original", true},
		{"ACK of the retransmission", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t, nil)
			c, pr := n.accept(synOptions(1))
			c.Write(bytes.Repeat([]byte("u"), 30*1448))
			sent := n.drain()
			if len(sent) != 10 {
				t.Fatalf("%d segments in the initial window, want 10", len(sent))
			}
			seg := func(i int) Seq { return sent[0].Seq().Add(i * 1448) }
			n.clk.Advance(MinRTO) // the RTO, while the peer's ACKs wait unread
			rtx := n.drain()
			if len(rtx) != 1 || rtx[0].Seq() != seg(0) {
				t.Fatalf("after the RTO %d segments, want the head once", len(rtx))
			}
			echoed := sent[4] // the peer's ACK of the first five, queued before the RTO
			if !tc.spurious {
				echoed = rtx[0] // or answering the retransmission
			}
			pr.take(echoed)
			pr.ack = seg(5)
			pr.send(FlagACK, "")
			after := seqsOf(n.drain())
			want := uint64(0)
			if tc.spurious {
				want = 1
			}
			if got := n.p.Stats.SpuriousRTOs.Load(); got != want {
				t.Errorf("TcpExtTCPSpuriousRTOs %d, want %d", got, want)
			}
			c.mu.Lock()
			waiting := c.recs.lost
			c.mu.Unlock()
			if tc.spurious && waiting != 0 {
				t.Errorf("%d send records still marked lost after the undo, want 0 (RACK would resend them)", waiting)
			}
			if len(after) == 0 {
				t.Fatal("nothing sent after the ACK")
			}
			switch {
			case tc.spurious && (len(after) < 5 || after[0] != seg(10)):
				t.Errorf("after the ACK %d segments from %d, want at least 5 from SND.MAX %d (new data, cwnd back)",
					len(after), uint32(after[0]), uint32(seg(10)))
			case !tc.spurious && (after[0] != seg(5) || c.cc.cwnd > 3*1448):
				t.Errorf("after the ACK %d segments from %d, cwnd %d; want the next from SND.UNA %d, cwnd at most 3 segments (1 and slow start),",
					len(after), uint32(after[0]), c.cc.cwnd, uint32(seg(5)))
			}
		})
	}
}

// undoPlay is a fast recovery begun by reordering, on a connection
// warmed up by rackConn: segment 0 of a flight of ten is held back while
// 1 to 3 arrive, so RACK marks it lost (three SACKed, no reordering seen
// yet: reo_wnd 0) and sends it again. before is the window before the
// recovery cut it; cut, the window after; rtx the retransmission.
type undoPlay struct {
	n           *testNet
	c           *Conn
	pr          *peer
	seg         func(int) Seq
	before, cut window
	curve       cubicCurve // CUBIC's, before the recovery
	rtx         Header
}

func playReordering(t *testing.T, algo string) undoPlay {
	t.Helper()
	n, c, pr := rackConn(t, func(cfg *Config) { cfg.CongestionControl = algo })
	c.mu.Lock()
	// A CUBIC curve under way, for the undo to put back (W_max above
	// cwnd: the loss would lower it further, by fast convergence).
	c.cc.cubic.wMax, c.cc.cubic.cwndPrior, c.cc.cubic.epoch = 500, 400, n.clk.Now()
	play := undoPlay{n: n, c: c, pr: pr, before: c.cc.window, curve: c.cc.cubic.cubicCurve}
	c.mu.Unlock()
	play.seg = flight(t, n, c, pr, 10)
	n.clk.Advance(rackRTT)
	for k := 1; k <= 3; k++ {
		pr.sackAck(play.seg(0), SACKBlock{play.seg(1), play.seg(1 + k)})
	}
	sent := n.drain()
	if len(sent) != 1 || sent[0].Seq() != play.seg(0) {
		t.Fatalf("after three SACKs past segment 0: sent %v, want segment 0 again", seqsOf(sent))
	}
	play.rtx = sent[0]
	c.mu.Lock()
	play.cut = c.cc.window
	inRecovery := c.cc.inRecovery
	c.mu.Unlock()
	if !inRecovery || play.cut.ssthresh >= play.before.ssthresh || play.cut.cwnd >= play.before.cwnd {
		t.Fatalf("%s: recovery %v, window %d/%d after, %d/%d before; want recovery and a cut (cwnd/ssthresh)",
			algo, inRecovery, play.cut.cwnd, play.cut.ssthresh, play.before.cwnd, play.before.ssthresh)
	}
	return play
}

// checkWindow fails the test unless the window is back to before
// (undone) or still cut (not undone), and CUBIC's curve likewise.
func (p undoPlay) checkWindow(t *testing.T, undone bool) {
	t.Helper()
	p.c.mu.Lock()
	w, curve, inRecovery := p.c.cc.window, p.c.cc.cubic.cubicCurve, p.c.cc.inRecovery
	p.c.mu.Unlock()
	if p.c.cc.algo.name() == "cubic" && (curve == p.curve) != undone {
		t.Errorf("CUBIC's curve %+v, before the recovery %+v: want it restored %v", curve, p.curve, undone)
	}
	back := w.cwnd >= p.before.cwnd && w.ssthresh >= p.before.ssthresh
	if back != undone || inRecovery {
		t.Errorf("cwnd %d ssthresh %d (before the recovery %d %d, after its cut %d %d), in recovery %v; want undone %v, recovery over",
			w.cwnd, w.ssthresh, p.before.cwnd, p.before.ssthresh, p.cut.cwnd, p.cut.ssthresh, inRecovery, undone)
	}
}

// The D-SACK method (RFC 3708, Linux's tcp_try_undo_dsack), with netem's
// order: the retransmission overtakes the held original, so the ACK that
// ends the recovery echoes the retransmission's timestamp (no proof);
// then the original arrives and the peer D-SACKs it. Every
// retransmission of the episode was needless: the window comes back, for
// each algorithm its own state too. The control is a true loss: the
// original never comes, no D-SACK, the cut stays.
func TestRecoveryUndoneByDSACK(t *testing.T) {
	for _, algo := range CongestionControls() {
		for _, lost := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s lost=%v", algo, lost), func(t *testing.T) {
				p := playReordering(t, algo)
				p.n.clk.Advance(rackRTT)
				p.pr.take(p.rtx) // it fills the hole: the peer echoes its timestamp
				p.pr.sackAck(p.seg(10))
				if got := p.n.p.Stats.FullUndo.Load(); got != 0 {
					t.Fatalf("TcpExtTCPFullUndo %d on an ACK echoing the retransmission, want 0", got)
				}
				if !lost {
					p.pr.sackAck(p.seg(10), SACKBlock{p.seg(0), p.seg(1)}) // the original, a duplicate
				}
				want := uint64(0)
				if !lost {
					want = 1
				}
				if got := p.n.p.Stats.DSACKUndo.Load(); got != want {
					t.Errorf("TcpExtTCPDSACKUndo %d, want %d", got, want)
				}
				p.checkWindow(t, !lost)
			})
		}
	}
}

// The timestamp method (Linux's tcp_packet_delayed): the held original
// arrives before the retransmission, so the ACK that ends the recovery
// echoes the original's timestamp (TcpExtTCPFullUndo). A partial ACK
// doing the same, segments 5 to 9 still out and no retransmission
// unacknowledged, ends the recovery early (TcpExtTCPPartialUndo): nothing
// more is sent again. Echoing the retransmission's, neither undoes.
func TestRecoveryUndoneByTimestamps(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ack      int  // the segment the ACK after the retransmission acknowledges up to
		original bool // the ACK echoes the original's timestamp
		full     uint64
		partial  uint64
	}{
		{"full ACK of the original", 10, true, 1, 0},
		{"partial ACK of the original", 5, true, 0, 1},
		{"full ACK of the retransmission", 10, false, 0, 0},
		{"partial ACK of the retransmission", 5, false, 0, 0},
	} {
		for _, algo := range CongestionControls() {
			t.Run(algo+" "+tc.name, func(t *testing.T) {
				p := playReordering(t, algo)
				p.n.clk.Advance(rackRTT / 2)
				if !tc.original {
					p.pr.take(p.rtx)
				}
				p.pr.sackAck(p.seg(tc.ack))
				if got := seqsOf(p.n.drain()); tc.original && len(got) != 0 {
					t.Errorf("sent %v after the ACK of the original, want nothing again", got)
				}
				if full, partial := p.n.p.Stats.FullUndo.Load(), p.n.p.Stats.PartialUndo.Load(); full != tc.full || partial != tc.partial {
					t.Errorf("TcpExtTCPFullUndo %d, TcpExtTCPPartialUndo %d; want %d, %d", full, partial, tc.full, tc.partial)
				}
				if tc.ack == 10 || tc.original { // a partial ACK of the retransmission leaves the recovery on
					p.checkWindow(t, tc.original)
				}
			})
		}
	}
}

// Without SACK (NewReno, RFC 6582) only the timestamps can tell: three
// duplicate ACKs start the recovery and send segment 0 again; the ACK
// of all ten then echoes the original's timestamp (it was only late)
// and the recovery is undone, or the retransmission's, and the cut
// stays.
func TestNewRenoRecoveryUndoneByTimestamps(t *testing.T) {
	for _, original := range []bool{true, false} {
		t.Run(fmt.Sprintf("original=%v", original), func(t *testing.T) {
			n := newTestNet(t, nil)
			c, pr := n.accept(&Options{HasMSS: true, MSS: 1460, HasTimestamp: true, TSVal: 1})
			seg := sendSegments(t, n, c, 10)
			c.mu.Lock()
			before := c.cc.window
			c.mu.Unlock()
			n.clk.Advance(10 * time.Millisecond)
			pr.ack = seg(0)
			for range 3 {
				pr.send(FlagACK, "")
			}
			rtx := n.drain()
			if len(rtx) != 1 || rtx[0].Seq() != seg(0) || !c.cc.inRecovery {
				t.Fatalf("after three duplicate ACKs: sent %v, recovery %v; want segment 0 again, recovery", seqsOf(rtx), c.cc.inRecovery)
			}
			n.clk.Advance(10 * time.Millisecond)
			if !original {
				pr.take(rtx[0])
			}
			pr.ack = seg(10)
			pr.send(FlagACK, "")
			c.mu.Lock()
			w, inRecovery := c.cc.window, c.cc.inRecovery
			c.mu.Unlock()
			undone := w.cwnd >= before.cwnd && w.ssthresh >= before.ssthresh
			want := uint64(0)
			if original {
				want = 1
			}
			if got := n.p.Stats.FullUndo.Load(); undone != original || inRecovery || got != want {
				t.Errorf("cwnd %d ssthresh %d (before %d %d), recovery %v, TcpExtTCPFullUndo %d; want undone %v, recovery over",
					w.cwnd, w.ssthresh, before.cwnd, before.ssthresh, inRecovery, got, original)
			}
		})
	}
}

// An RTO in a recovery keeps the recovery's episode, as Linux's
// tcp_enter_loss: the first ACK after the RTO, echoing the original's
// timestamp (older than the recovery's first retransmission), gives
// back the window of before the recovery, not the recovery's cut, and
// CUBIC's curve of before the recovery (not of before the RTO).
func TestRTOInRecoveryUndone(t *testing.T) {
	for _, algo := range CongestionControls() {
		t.Run(algo, func(t *testing.T) {
			p := playReordering(t, algo)
			for step := 0; p.n.p.Stats.Timeouts.Load() == 0; step++ {
				if step == 100 {
					t.Fatal("no RTO within a second of silence")
				}
				p.n.clk.Advance(10 * time.Millisecond)
			}
			p.n.drain()
			p.pr.sackAck(p.seg(10)) // echoing the original of segment 0
			if got := p.n.p.Stats.SpuriousRTOs.Load(); got != 1 {
				t.Errorf("TcpExtTCPSpuriousRTOs %d, want 1", got)
			}
			p.checkWindow(t, true)
		})
	}
}

// The D-SACK may come while the recovery is still on: here segments 4
// to 9 are still out when the retransmission fills the hole (a partial
// ACK, echoing the retransmission) and the original follows. The undo
// ends the recovery there, as Linux's tcp_try_undo_dsack then
// tcp_try_to_open, and nothing is sent again. (The ACKs come within
// min_RTT of the retransmission, so RACK cannot take its delivery as
// the latest, and 4 to 9 are not late; later, RACK would rightly call
// them lost, and their retransmissions would need D-SACKs too.)
func TestRecoveryUndoneByDSACKInRecovery(t *testing.T) {
	for _, algo := range CongestionControls() {
		t.Run(algo, func(t *testing.T) {
			p := playReordering(t, algo)
			p.n.clk.Advance(rackRTT / 10)
			p.pr.take(p.rtx)
			p.pr.sackAck(p.seg(4))
			p.c.mu.Lock()
			inRecovery := p.c.cc.inRecovery
			p.c.mu.Unlock()
			if !inRecovery || p.n.p.Stats.PartialUndo.Load() != 0 {
				t.Fatalf("after a partial ACK echoing the retransmission: recovery %v, TcpExtTCPPartialUndo %d; want recovery on, 0",
					inRecovery, p.n.p.Stats.PartialUndo.Load())
			}
			p.pr.sackAck(p.seg(4), SACKBlock{p.seg(0), p.seg(1)})
			if got := p.n.p.Stats.DSACKUndo.Load(); got != 1 {
				t.Errorf("TcpExtTCPDSACKUndo %d, want 1", got)
			}
			if got := seqsOf(p.n.drain()); len(got) != 0 {
				t.Errorf("sent %v again, want nothing (segments 4 to 9 are not lost)", got)
			}
			p.checkWindow(t, true)
		})
	}
}
