package tcp

import (
	"testing"
	"time"
)

// closeAll runs CloseAll on another goroutine once the test is ready,
// and returns a channel closed when it returns.
func (n *testNet) closeAll() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		n.p.CloseAll()
		close(done)
	}()
	return done
}

// waitTimers waits (real time, 5 s at most) until the fake clock holds
// want timers: CloseAll has set its grace timer.
func (n *testNet) waitTimers(want int) {
	n.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for n.clk.Pending() != want {
		if time.Now().After(deadline) {
			n.t.Fatalf("%d timers pending, want %d", n.clk.Pending(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// Our FIN is lost as the stack closes: CloseAll retransmits it on the RTO
// and, once the peer acknowledges it, resets the FIN-WAIT-2 connection
// (nothing will be left to hear the peer's FIN) at a sequence number the
// peer accepts, without waiting out the grace period.
func TestCloseAllRetransmitsLostFIN(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	rto := c.Info().RTO // from the handshake's sample: the SYN-ACK's send time
	c.Close()
	fin := n.expect(FlagFIN|FlagACK, 0, pr.nxt) // lost: the peer never sees it
	pending := n.clk.Pending()
	done := n.closeAll()
	n.waitTimers(pending + 1)
	n.clk.Advance(rto)
	again := n.expect(FlagFIN|FlagACK, fin.Seq(), pr.nxt)
	pr.take(again)
	pr.send(FlagACK, "")
	<-done
	rst := n.expect(FlagRST|FlagACK, fin.Seq().Add(1), pr.nxt)
	if rst.Seq() != pr.ack {
		t.Errorf("RST at %d, the peer's RCV.NXT is %d", uint32(rst.Seq()), uint32(pr.ack))
	}
	n.none()
	wantState(t, c, Closed)
	if n.p.Stats.RetransSegs.Load() != 1 {
		t.Errorf("RetransSegs %d, want 1 (the FIN again)", n.p.Stats.RetransSegs.Load())
	}
}

// The peer never hears our FIN (every copy lost): after ExitGrace the
// connection is reset, first at SND.UNA, the peer's RCV.NXT, which it
// accepts under RFC 5961 (a RST at SND.MAX, past the lost FIN, would
// only earn a challenge ACK), then at SND.MAX in case only its ACK was
// lost.
func TestCloseAllResetsAfterGrace(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	c.Write([]byte("last words"))
	data := n.expect(FlagACK|FlagPSH, 0, 0) // lost, and the FIN after it
	c.Close()
	n.expect(FlagFIN|FlagACK, data.Seq().Add(len("last words")), 0)
	pending := n.clk.Pending()
	done := n.closeAll()
	n.waitTimers(pending + 1)
	n.clk.Advance(ExitGrace)
	<-done
	var rsts []Header
	for {
		select {
		case h := <-n.out:
			if h.Flags()&FlagRST != 0 {
				rsts = append(rsts, h)
			}
			continue
		default:
		}
		break
	}
	if len(rsts) != 2 || rsts[0].Seq() != pr.ack || rsts[1].Seq() != pr.ack.Add(len("last words")+1) {
		t.Fatalf("RSTs %v, want one at the peer's RCV.NXT %d, then one at SND.MAX", rsts, uint32(pr.ack))
	}
	wantState(t, c, Closed)
}

// A connection the application never closed is reset at once (a FIN
// would say all its data was sent), and CloseAll does not wait.
func TestCloseAllResetsOpenAtOnce(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	select {
	case <-n.closeAll():
	case <-time.After(5 * time.Second):
		t.Fatal("CloseAll waited with no connection closing")
	}
	n.expect(FlagRST|FlagACK, pr.ack, pr.nxt)
	n.none()
	wantState(t, c, Closed)
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("Read after CloseAll: no error")
	}
}
