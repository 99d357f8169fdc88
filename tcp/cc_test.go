package tcp

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// The window after a loss under each algorithm, in-process: a sender
// in slow start up to 100 segments loses one, recovers by SACK, and
// then runs congestion avoidance against a peer that acknowledges every
// segment one RTT (100 ms of the fake clock) after it went.

const ccRTT = 100 * time.Millisecond

// bulkSender is an accepted connection with megabytes to send and a
// peer with a window large enough never to limit it; the handshake
// takes rtt.
func bulkSender(t *testing.T, algo string, rtt time.Duration) (*testNet, *Conn, *peer, func(int) Seq) {
	// RFC 6675's DupThresh rules (tcp_recovery=0): the fake clock stands
	// still between ACKs, and RACK's timing is tested in rack_test.go.
	n := newTestNet(t, func(c *Config) { c.Wmem[1], c.CongestionControl = 8<<20, algo; rfc6675Only(c) })
	n.synRTT = rtt
	c, pr := n.accept(synOptions(1))
	pr.wnd = 0xffff // 8 MB with the shift of 7
	seg := sendSegments(t, n, c, 5000)
	return n, c, pr, seg
}

// ccRound lets one RTT pass and acknowledges, one ACK each, the segments
// sent since the last round; it returns cwnd in segments after it.
func ccRound(n *testNet, c *Conn, pr *peer) int {
	sent := n.drain()
	n.clk.Advance(ccRTT)
	for _, h := range sent {
		pr.take(h)
		pr.sackAck(h.Seq().Add(len(h.Payload())))
	}
	return c.Info().Cwnd
}

// slowStartTo100 acknowledges segments 1 to 90 of the initial window
// and what follows, one by one: cwnd is 100 segments, 100 in flight.
func slowStartTo100(t *testing.T, n *testNet, c *Conn, pr *peer, seg func(int) Seq) {
	for i := 1; i <= 90; i++ {
		pr.sackAck(seg(i))
		for _, h := range n.drain() { // the segments this ACK let go
			pr.take(h)
		}
	}
	if got := c.Info(); got.Cwnd != 100 || c.inFlight() != 100*1448 || got.Ssthresh != InfiniteSsthresh {
		t.Fatalf("after slow start: cwnd %d, %d in flight, ssthresh %d; want 100, 100, none", got.Cwnd, c.inFlight()/1448, got.Ssthresh)
	}
}

func TestCongestionAfterLoss(t *testing.T) {
	for _, tc := range []struct {
		algo     string
		ssthresh int // segments, of a flight of 102 (two of limited transmit)
		check    func(t *testing.T, ca []int)
	}{
		{"reno", 51, func(t *testing.T, ca []int) {
			for r := 1; r < len(ca); r++ { // one segment per RTT
				if ca[r] != ca[r-1]+1 {
					t.Fatalf("congestion avoidance: cwnd %v, want one more each RTT", ca)
				}
			}
		}},
		{"cubic", 71, func(t *testing.T, ca []int) {
			// K = cbrt((100 - 71.4)/0.4) = 4.15 s: concave, most of the
			// way back to W_max 100 by half of K, there at K.
			if ca[20] < 93 || ca[20] > 100 {
				t.Errorf("cwnd %d at 2 s, want 93..100 (W_cubic 96; Reno's estimate 82)", ca[20])
			}
			if ca[41] < 98 || ca[41] > 103 {
				t.Errorf("cwnd %d at K (4.1 s), want W_max 100", ca[41])
			}
			if ca[1]-ca[0] <= ca[40]-ca[39] {
				t.Errorf("cwnd %v: want growth slowing towards W_max (concave)", ca[:42])
			}
		}},
	} {
		t.Run(tc.algo, func(t *testing.T) {
			n, c, pr, seg := bulkSender(t, tc.algo, 0)
			slowStartTo100(t, n, c, pr, seg)
			for k := 1; k <= 3; k++ { // segment 90 lost: limited transmit, then SACK recovery
				pr.sackAck(seg(90), SACKBlock{seg(91), seg(91 + k)})
			}
			info := c.Info()
			if !c.cc.inRecovery || info.Ssthresh != tc.ssthresh || info.CongestionControl != tc.algo {
				t.Fatalf("after 3 duplicate ACKs: recovering %v, ssthresh %d (%s); want true, %d (%s)",
					c.cc.inRecovery, info.Ssthresh, info.CongestionControl, tc.ssthresh, tc.algo)
			}
			n.drain()
			pr.sackAck(c.cc.recover) // the retransmission arrived: a full ACK
			for range 20 {           // slow start again, up to ssthresh
				if ccRound(n, c, pr); c.cc.cwnd >= c.cc.ssthresh {
					break
				}
			}
			if c.cc.cwnd != c.cc.ssthresh {
				t.Fatalf("slow start after recovery: cwnd %d bytes, want ssthresh %d", c.cc.cwnd, c.cc.ssthresh)
			}
			ca := make([]int, 45)
			for r := range ca {
				ca[r] = ccRound(n, c, pr)
			}
			t.Logf("cwnd by RTT after recovery: %v", ca)
			tc.check(t, ca)
			if n.p.Stats.Timeouts.Load() != 0 {
				t.Errorf("%d RTOs, want none", n.p.Stats.Timeouts.Load())
			}
		})
	}
}

// An RTO: one segment, and ssthresh as the algorithm says from the
// flight (100 segments): half for Reno, 0.7 for CUBIC.
func TestCongestionOnTimeout(t *testing.T) {
	for algo, want := range map[string]int{"reno": 50, "cubic": 70} {
		n, c, pr, seg := bulkSender(t, algo, 0)
		slowStartTo100(t, n, c, pr, seg)
		for i := 0; i < 500 && n.p.Stats.Timeouts.Load() == 0; i++ { // the tail loss probe, then the RTO
			n.clk.Advance(10 * time.Millisecond)
		}
		if info := c.Info(); n.p.Stats.Timeouts.Load() != 1 || info.Cwnd != 1 || info.Ssthresh != want {
			t.Errorf("%s after an RTO: %d timeouts, cwnd %d, ssthresh %d; want 1, 1, %d",
				algo, n.p.Stats.Timeouts.Load(), info.Cwnd, info.Ssthresh, want)
		}
	}
}

// The sysctl picks the algorithm of connections made from then on; a
// connection can pick its own (TCP_CONGESTION); an unknown name is
// refused with the choices.
func TestCongestionControlChoice(t *testing.T) {
	n := newTestNet(t, nil)
	if got, _ := n.p.Sysctl("net.ipv4.tcp_congestion_control"); got != "cubic" {
		t.Errorf("tcp_congestion_control %q, want Linux's default cubic", got)
	}
	if got, _ := n.p.Sysctl("tcp_available_congestion_control"); got != "reno cubic" {
		t.Errorf("tcp_available_congestion_control %q, want \"reno cubic\"", got)
	}
	if err := n.p.SetSysctl("tcp_available_congestion_control", "cubic"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("setting tcp_available_congestion_control: %v, want read-only", err)
	}
	err := n.p.SetSysctl("tcp_congestion_control", "bbr")
	if err == nil || err.Error() != `sysctl: tcp_congestion_control: want one of reno, cubic, not "bbr"` {
		t.Errorf("setting bbr: %v", err)
	}
	if err := n.p.SetSysctl("tcp_congestion_control", "reno"); err != nil {
		t.Fatal(err)
	}
	c, _ := n.accept(synOptions(1))
	if c.CongestionControl() != "reno" || c.Info().CongestionControl != "reno" {
		t.Errorf("a connection after the sysctl uses %s, want reno", c.CongestionControl())
	}
	if err := c.SetCongestionControl("vegas"); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("SetCongestionControl(vegas): %v, want ENOENT as Linux", err)
	}
	before := c.cc.cwnd
	if err := c.SetCongestionControl("cubic"); err != nil || c.CongestionControl() != "cubic" || c.cc.cwnd != before {
		t.Errorf("SetCongestionControl(cubic): %v, now %s with cwnd %d (was %d)", err, c.CongestionControl(), c.cc.cwnd, before)
	}
}

// The pacing rate is Linux's: cwnd*mss/srtt times 200% while cwnd is
// below half of ssthresh, 120% after; the flight counts when larger.
func TestPacingRate(t *testing.T) {
	cfg := DefaultConfig()
	w := window{cwnd: 10 * 1448, ssthresh: infiniteSsthresh}
	if got, want := pacingRate(w, 0, 1448, 10*time.Millisecond, &cfg), uint64(2*10*1448*100); got != want {
		t.Errorf("slow start: %d B/s, want %d", got, want)
	}
	w.ssthresh = 15 * 1448
	if got, want := pacingRate(w, 20*1448, 1448, 10*time.Millisecond, &cfg), uint64(20*1448*100*12/10); got != want {
		t.Errorf("congestion avoidance, 20 in flight: %d B/s, want %d", got, want)
	}
	if got := pacingRate(w, 0, 1448, 0, &cfg); got != 0 {
		t.Errorf("no RTT yet: %d, want 0", got)
	}
	cfg.PacingCARatio = 100
	if got, want := pacingRate(w, 0, 1448, time.Second, &cfg), uint64(10*1448); got != want {
		t.Errorf("tcp_pacing_ca_ratio 100: %d, want %d", got, want)
	}
}

// HyStart++ in CUBIC's initial slow start, in-process: the peer's ACKs
// come 50 ms after each segment, then 70 ms from the fifth round (a
// queue forming). CUBIC leaves slow start without a loss (ssthresh set,
// nothing retransmitted); Reno, without HyStart as on Linux, does not.
func TestHyStartInProcess(t *testing.T) {
	for algo, exits := range map[string]bool{"cubic": true, "reno": false} {
		n, c, pr, seg := bulkSender(t, algo, 50*time.Millisecond)
		pr.tsEcr = c.tsVal() // the initial window's, sent just now
		n.clk.Advance(50 * time.Millisecond)
		for i := 1; i <= 10; i++ {
			pr.sackAck(seg(i))
		}
		for round := 1; round < 12; round++ {
			sent := n.drain()
			n.clk.Advance(time.Duration(50+20*min(round/4, 1)) * time.Millisecond)
			for _, h := range sent {
				pr.take(h)
				pr.sackAck(h.Seq().Add(len(h.Payload())))
			}
		}
		info := c.Info()
		t.Logf("%s: cwnd %d, ssthresh %d after 12 rounds", algo, info.Cwnd, info.Ssthresh)
		if got := info.Ssthresh != InfiniteSsthresh; got != exits || n.p.Stats.RetransSegs.Load() != 0 {
			t.Errorf("%s: ssthresh %d with cwnd %d, %d retransmitted; want slow start over %v, nothing retransmitted",
				algo, info.Ssthresh, info.Cwnd, n.p.Stats.RetransSegs.Load(), exits)
		}
	}
}

// The algorithm is called through an interface on every ACK: neither
// the call nor CUBIC's arithmetic allocates.
func TestCongestionControlAllocatesNothing(t *testing.T) {
	for _, algo := range CongestionControls() {
		var cg congestion
		cg.use(algo)
		cg.init(1448, 0)
		now := epoch0
		var una Seq
		allocs := testing.AllocsPerRun(1000, func() {
			now, una = now.Add(time.Millisecond), una.Add(1448)
			cg.onAck(ackEvent{acked: 1448, mss: 1448, now: now, srtt: 10 * time.Millisecond, rtt: 10 * time.Millisecond, hasRTT: true, sndUna: una, sndMax: una.Add(cg.cwnd)})
			if cg.cwnd > 1000*1448 {
				cg.enterRecovery(cg.cwnd, 1448, una, now)
				cg.inRecovery = false
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per ACK, want 0", algo, allocs)
		}
	}
}
