package tcp

import (
	"net/netip"
	"testing"
)

// connIn brings a connection to state s by the book (s = Listen gives
// the listener alone, nil Conn) and returns it with its peer.
func (n *testNet) connIn(s State) (*Conn, *peer) {
	switch s {
	case Listen:
		if _, err := n.p.Listen(ourPort, 8); err != nil {
			n.t.Fatal(err)
		}
		return nil, &peer{n: n, addr: peerPort, to: ourPort, nxt: 1000, wnd: 65535}
	case SynSent:
		c := n.p.newConn(netip.AddrPortFrom(ourAddr, 50000), peerPort)
		if !c.allocBuffers() || n.p.insert(c) != nil {
			n.t.Fatal("no room for a connection")
		}
		c.mu.Lock()
		c.connect(1500)
		c.mu.Unlock()
		syn := n.next()
		return c, &peer{n: n, addr: peerPort, to: c.local, nxt: 1000, ack: syn.Seq().Add(1), wnd: 65535}
	case SynReceived:
		n.connIn(Listen)
		pr := &peer{n: n, addr: peerPort, to: ourPort, nxt: 1000, wnd: 65535}
		pr.send(FlagSYN, "")
		pr.recv(FlagSYN | FlagACK)
		c, _ := n.p.lookup(ourPort, peerPort)
		return c, pr
	}
	c, pr := n.accept(synOptions(1))
	switch s {
	case CloseWait, LastAck:
		pr.send(FlagFIN|FlagACK, "")
		pr.recv(FlagACK)
		if s == LastAck {
			c.Close()
			pr.recv(FlagFIN | FlagACK)
		}
	case FinWait1, FinWait2, Closing, TimeWait:
		c.Close()
		fin := pr.recv(FlagFIN | FlagACK)
		switch s {
		case FinWait2, TimeWait:
			pr.send(FlagACK, "")
			if s == TimeWait {
				pr.send(FlagFIN|FlagACK, "")
				pr.recv(FlagACK)
			}
		case Closing:
			pr.ack = fin.Seq() // crossing FINs
			pr.send(FlagFIN|FlagACK, "")
			pr.recv(FlagACK)
			pr.ack = fin.Seq().Add(1)
		}
	}
	if c.State() != s {
		n.t.Fatalf("set up %s, reached %s", s, c.State())
	}
	return c, pr
}

// FuzzSegmentArrives sends one segment of the fuzzer's choosing (flags,
// sequence and acknowledgment numbers near the expected ones, window,
// raw option bytes, data) to a connection in each state, then checks the
// connection's invariants: nothing panics, buffers and queues stay
// within their bounds, a FIN held out of order is in the out-of-order
// ranges, SND.UNA <= SND.NXT <= SND.MAX, the send records
// cover SND.UNA to SND.MAX and their counts hold.
func FuzzSegmentArrives(f *testing.F) {
	f.Add(uint8(Established), uint8(FlagACK|FlagPSH), int32(0), int32(0), uint16(100), []byte{}, []byte("data"))
	f.Add(uint8(SynSent), uint8(FlagSYN|FlagACK), int32(0), int32(0), uint16(100), []byte{2, 4, 5, 0xb4, 1, 3, 3, 7}, []byte{})
	f.Add(uint8(Listen), uint8(FlagSYN), int32(0), int32(0), uint16(100), []byte{4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0}, []byte{})
	f.Add(uint8(TimeWait), uint8(FlagRST), int32(0), int32(0), uint16(0), []byte{}, []byte{})
	f.Add(uint8(FinWait1), uint8(FlagACK|FlagFIN), int32(5), int32(1), uint16(0), []byte{5, 10, 0, 0, 0, 1, 0, 0, 0, 2}, []byte("x"))
	f.Add(uint8(SynReceived), uint8(FlagACK), int32(0), int32(-1), uint16(1), []byte{}, []byte("early"))
	f.Add(uint8(Established), uint8(FlagACK|FlagFIN), int32(100), int32(0), uint16(100), []byte{}, []byte{}) // a lone FIN past a hole
	f.Fuzz(func(t *testing.T, state, flags uint8, seqOff, ackOff int32, wnd uint16, opts, data []byte) {
		s := State(state % uint8(TimeWait+1))
		if s == Closed {
			s = Established
		}
		n := newTestNet(t, nil)
		c, pr := n.connIn(s)
		if len(opts) > MaxOptionsLen {
			opts = opts[:MaxOptionsLen]
		}
		opts = append(opts, make([]byte, (4-len(opts)%4)%4)...)
		if len(data) > 1500 {
			data = data[:1500]
		}
		n.injectRaw(pr.addr, pr.to, Fields{Seq: pr.nxt.Add(int(seqOff)), Ack: pr.ack.Add(int(ackOff)), Flags: Flags(flags), Window: wnd}, opts, data)
		for len(n.out) > 0 {
			<-n.out
		}
		if c == nil {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.state >= Established && (c.sndUna.GT(c.sndNxt) || c.sndNxt.GT(c.sndMax)) {
			t.Fatalf("%s: SND.UNA %d SND.NXT %d SND.MAX %d", c.state, uint32(c.sndUna), uint32(c.sndNxt), uint32(c.sndMax))
		}
		if c.rcv.len() > c.rcv.cap() || c.ooo.n > maxOOORanges || c.snd.len() > c.snd.cap() {
			t.Fatalf("buffers out of bounds: rcv %d/%d snd %d/%d ooo %d", c.rcv.len(), c.rcv.cap(), c.snd.len(), c.snd.cap(), c.ooo.n)
		}
		if c.oooFin && !c.ooo.holds(c.oooFinSeq, c.oooFinSeq.Add(1)) {
			t.Fatalf("a FIN held out of order at %d is not in the ranges: %v", uint32(c.oooFinSeq), c.ooo.r[:c.ooo.n])
		}
		if r := &c.recs; r.n > len(r.r) || r.lost < 0 || r.lost > r.n || c.rack.sackedSegs < 0 || c.rack.sackedSegs > r.n ||
			r.n > 0 && (r.at(0).start.LT(c.sndUna) || r.last().end != c.sndMax) {
			t.Fatalf("send records out of step: %d of %d, %d lost, %d SACKed; SND.UNA %d SND.MAX %d",
				r.n, len(r.r), r.lost, c.rack.sackedSegs, uint32(c.sndUna), uint32(c.sndMax))
		}
		if n.p.Buffered() < 0 {
			t.Fatalf("buffer accounting went negative: %d", n.p.Buffered())
		}
	})
}
