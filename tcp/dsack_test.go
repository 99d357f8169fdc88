package tcp

import "testing"

// D-SACKs we send (RFC 2883): data that arrives again is reported in the
// first SACK block of an ACK sent at once, then forgotten; with
// net.ipv4.tcp_dsack=0 it is not.
func TestDSACKSent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dsack bool
		ofo   bool // the duplicate is out of order (held past a hole)
	}{
		{"below RCV.NXT", true, false},
		{"out of order", true, true},
		{"tcp_dsack=0", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t, func(c *Config) { c.DSACK = tc.dsack })
			_, pr := n.accept(synOptions(1))
			start := pr.nxt
			if tc.ofo {
				pr.nxt = pr.nxt.Add(100) // a hole of 100 bytes first
			}
			pr.send(FlagACK, "twice")
			n.drain()
			pr.nxt = pr.nxt.Add(-5)
			pr.send(FlagACK, "twice")
			dup := SACKBlock{pr.nxt.Add(-5), pr.nxt}
			h := n.next()
			var o Options
			if err := o.Parse(h.RawOptions()); err != nil {
				t.Fatal(err)
			}
			st := &n.p.Stats
			switch {
			case !tc.dsack && !tc.ofo:
				if o.NumSACK != 0 {
					t.Fatalf("tcp_dsack=0: ACK %s carries SACK blocks", h)
				}
				return
			case o.NumSACK == 0 || o.SACK[0] != dup:
				t.Fatalf("ACK %s: first block %v, want the D-SACK %v", h, o.SACK[:o.NumSACK], dup)
			case tc.ofo && (o.NumSACK != 2 || o.SACK[1] != dup || st.DSACKOfoSent.Load() != 1):
				t.Fatalf("ACK %s: blocks %v, TcpExtTCPDSACKOfoSent %d; want the D-SACK inside the range held, 1", h, o.SACK[:o.NumSACK], st.DSACKOfoSent.Load())
			case !tc.ofo && (h.Ack() != start.Add(5) || st.DSACKOldSent.Load() != 1):
				t.Fatalf("ACK %s, TcpExtTCPDSACKOldSent %d; want ack %d, 1", h, st.DSACKOldSent.Load(), uint32(start.Add(5)))
			}
			pr.nxt = pr.nxt.Add(1000)
			pr.send(FlagACK, "y") // out of order: an ACK at once, with SACK blocks but no D-SACK now
			h = n.next()
			o = Options{}
			o.Parse(h.RawOptions())
			if o.NumSACK == 0 || o.SACK[0] == dup {
				t.Errorf("the next ACK %s: blocks %v, want SACK blocks without the D-SACK %v", h, o.SACK[:o.NumSACK], dup)
			}
		})
	}
}

// A D-SACK we receive is told apart from a SACK: below the ACK, or inside
// the second block. It is counted and never enters the scoreboard.
func TestDSACKReceived(t *testing.T) {
	n, c, pr := rackConn(t, nil)
	seg := flight(t, n, c, pr, 4)
	n.clk.Advance(rackRTT)
	pr.sackAck(seg(1), SACKBlock{seg(0), seg(1)})                            // below the ACK
	pr.sackAck(seg(1), SACKBlock{seg(2), seg(3)}, SACKBlock{seg(2), seg(4)}) // inside the second
	if got := n.p.Stats.DSACKRecv.Load(); got != 2 {
		t.Errorf("TcpExtTCPDSACKRecv %d, want 2", got)
	}
	if c.sacked.n != 1 || c.sacked.r[0] != (SACKBlock{seg(2), seg(4)}) {
		t.Errorf("scoreboard %v, want only [2, 4)", c.sacked.r[:c.sacked.n])
	}
	if c.rack.reoWndMult != 2 {
		t.Errorf("reo_wnd_mult %d after D-SACKs in one round, want 2 (one step per round)", c.rack.reoWndMult)
	}
}
