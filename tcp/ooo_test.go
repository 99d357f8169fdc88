package tcp

import "testing"

// A FIN past a hole (RFC 9293 3.10.7.4, RFC 5681 4.2) is answered at
// once with a duplicate ACK, with a SACK block that counts the FIN's
// sequence number when SACK is on (as Linux's out-of-order queue, whose
// end_seq counts it); a second copy gets a D-SACK. When the missing data
// comes, the FIN is taken in order: CLOSE-WAIT, the data then EOF.
func TestOutOfOrderFIN(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *Options // the peer's SYN options
		data string   // sent with the FIN, past the hole
	}{
		{"lone FIN with SACK", synOptions(1), ""},
		{"lone FIN without SACK", nil, ""},
		{"data and FIN with SACK", synOptions(1), "world"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t, nil)
			c, pr := n.accept(tc.opts)
			sack := tc.opts != nil
			start := pr.nxt
			pr.nxt = start.Add(5) // "hello" is missing
			pr.send(FlagFIN|FlagACK, tc.data)
			fin := SACKBlock{start.Add(5), pr.nxt}
			h := n.expect(FlagACK, 0, start)
			wantSACK(t, h, sack, []SACKBlock{fin})
			wantState(t, c, Established)
			if got := n.p.Stats.OFOQueue.Load(); got != 1 {
				t.Errorf("TcpExtTCPOFOQueue %d, want 1", got)
			}

			pr.nxt = fin.Left
			pr.send(FlagFIN|FlagACK, tc.data) // sent again: still past the hole
			h = n.expect(FlagACK, 0, start)
			if sack {
				wantSACK(t, h, true, []SACKBlock{fin, fin}) // D-SACK, then the range held
			}

			pr.nxt = start
			pr.send(FlagACK, "hello")
			n.expect(FlagACK, 0, fin.Right)
			n.none()
			wantState(t, c, CloseWait)
			if got := readAll(t, c); got != "hello"+tc.data {
				t.Errorf("read %q, want %q then EOF", got, "hello"+tc.data)
			}
		})
	}
}

// wantSACK checks h's SACK blocks: want when sack is on, none otherwise.
func wantSACK(t *testing.T, h Header, sack bool, want []SACKBlock) {
	t.Helper()
	var o Options
	if err := o.Parse(h.RawOptions()); err != nil {
		t.Fatal(err)
	}
	if !sack {
		want = nil
	}
	got := o.SACK[:o.NumSACK]
	if len(got) != len(want) {
		t.Fatalf("ACK %s: SACK blocks %v, want %v", h, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ACK %s: SACK blocks %v, want %v", h, got, want)
		}
	}
}

// Data that runs past a FIN held out of order overrides it, as Linux
// drops an out-of-order FIN that in-order data covers: the connection
// stays ESTABLISHED, takes the data, forgets that FIN, and the FIN that
// comes after the data closes it.
func TestOutOfOrderFINOverrun(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	start := pr.nxt
	pr.nxt = start.Add(5)
	pr.send(FlagFIN|FlagACK, "")
	n.expect(FlagACK, 0, start)
	pr.nxt = start
	pr.send(FlagACK|FlagPSH, "hello, world")
	n.expect(FlagACK, 0, start.Add(12))
	wantState(t, c, Established)
	c.mu.Lock()
	held := c.oooFin
	c.mu.Unlock()
	if held { // kept, it would end the stream 4 GB later, when RCV.NXT came round to it
		t.Fatal("the FIN the data ran past is still held")
	}
	buf := make([]byte, 32)
	if k, _ := c.Read(buf); string(buf[:k]) != "hello, world" {
		t.Errorf("read %q", buf[:k])
	}
	pr.send(FlagFIN|FlagACK, "")
	n.expect(FlagACK, 0, start.Add(13))
	wantState(t, c, CloseWait)
}
