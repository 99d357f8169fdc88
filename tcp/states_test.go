package tcp

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// Every transition of RFC 9293's state diagram (figure 5), driven from
// the wire with a fake clock.

func wantState(t *testing.T, c *Conn, s State) {
	t.Helper()
	if got := c.State(); got != s {
		t.Fatalf("state %s, want %s", got, s)
	}
}

func readAll(t *testing.T, c *Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// LISTEN -> SYN-RECEIVED -> ESTABLISHED -> CLOSE-WAIT -> LAST-ACK -> CLOSED.
func TestPassiveOpenPassiveClose(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	if got := n.p.Stats.PassiveOpens.Load(); got != 1 {
		t.Errorf("PassiveOpens %d", got)
	}
	if got := n.p.Stats.CurrEstab.Load(); got != 1 {
		t.Errorf("CurrEstab %d", got)
	}
	pr.send(FlagACK|FlagPSH|FlagFIN, "hello")
	pr.recv(FlagACK)
	wantState(t, c, CloseWait)
	if got := readAll(t, c); got != "hello" {
		t.Errorf("read %q", got)
	}
	c.Close()
	pr.recv(FlagFIN | FlagACK)
	wantState(t, c, LastAck)
	if _, err := c.Write(nil); !errors.Is(err, net.ErrClosed) {
		t.Errorf("empty write after Close: %v, want net.ErrClosed", err)
	}
	pr.send(FlagACK, "")
	wantState(t, c, Closed)
	if got := n.p.Stats.CurrEstab.Load(); got != 0 {
		t.Errorf("CurrEstab %d after close", got)
	}
	if len(n.p.Connections()) != 1 { // the listener only
		t.Errorf("table after close: %+v", n.p.Connections())
	}
	if n.p.Buffered() != 0 {
		t.Errorf("%d bytes of buffer still held", n.p.Buffered())
	}
}

// CLOSED -> SYN-SENT -> ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 ->
// TIME-WAIT -> CLOSED after 2 MSL.
func TestActiveOpenActiveClose(t *testing.T) {
	n := newTestNet(t, nil)
	res := n.dial(peerPort)
	syn := n.expect(FlagSYN, 0, 0)
	var o Options
	if err := o.Parse(syn.RawOptions()); err != nil || !o.HasMSS || o.MSS != 1460 || !o.HasWScale || o.WScale != 7 || !o.SACKPermitted || !o.HasTimestamp {
		t.Errorf("SYN options %s (%v), want mss 1460, wscale 7, sackOK, TS", o.String(), err)
	}
	pr := &peer{n: n, addr: syn.Dst().addrPort(peerAddr), to: syn.Src().addrPort(ourAddr), nxt: 5000, ack: syn.Seq().Add(1), wnd: 502, ts: true, tsVal: 7, tsEcr: o.TSVal}
	n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Ack: pr.ack, Flags: FlagSYN | FlagACK, Window: 65535}, synOptions(7), nil)
	pr.nxt = pr.nxt.Add(1)
	pr.recv(FlagACK)
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	c := r.c
	wantState(t, c, Established)
	info := c.Info()
	if !info.SACK || !info.Timestamps || info.SndWScale != 7 || info.MSS != 1448 {
		t.Errorf("negotiated %+v, want SACK, TS, wscale 7, mss 1448", info)
	}
	c.Close()
	pr.recv(FlagFIN | FlagACK)
	wantState(t, c, FinWait1)
	pr.send(FlagACK, "")
	wantState(t, c, FinWait2)
	pr.send(FlagFIN|FlagACK, "")
	pr.recv(FlagACK)
	wantState(t, c, TimeWait)
	n.clk.Advance(59 * time.Second)
	wantState(t, c, TimeWait)
	n.clk.Advance(time.Second)
	wantState(t, c, Closed)
	n.none()
}

// SYN-SENT -> SYN-RECEIVED -> ESTABLISHED: both sides open at once
// (figure 8).
func TestSimultaneousOpen(t *testing.T) {
	n := newTestNet(t, nil)
	res := n.dial(peerPort)
	syn := n.expect(FlagSYN, 0, 0)
	pr := &peer{n: n, addr: peerPort, to: syn.Src().addrPort(ourAddr), nxt: 9000, wnd: 65535}
	n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Flags: FlagSYN, Window: 65535}, &Options{HasMSS: true, MSS: 1460}, nil)
	pr.nxt = pr.nxt.Add(1)
	synack := pr.recv(FlagSYN | FlagACK)
	if synack.Seq() != syn.Seq() {
		t.Errorf("SYN-ACK seq %d, want our ISN %d again", uint32(synack.Seq()), uint32(syn.Seq()))
	}
	pr.send(FlagACK, "")
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantState(t, r.c, Established)
}

// FIN-WAIT-1 -> CLOSING -> TIME-WAIT: both close at once (figure 13).
func TestSimultaneousClose(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	c.Close()
	fin := n.expect(FlagFIN|FlagACK, 0, pr.nxt)
	pr.send(FlagFIN|FlagACK, "") // crosses ours: does not acknowledge it
	pr.recv(FlagACK)
	wantState(t, c, Closing)
	pr.ack = fin.Seq().Add(1)
	pr.send(FlagACK, "")
	wantState(t, c, TimeWait)
}

// FIN-WAIT-1 -> TIME-WAIT: the peer's FIN acknowledges ours.
func TestFinWait1ToTimeWait(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	c.Close()
	pr.recv(FlagFIN | FlagACK)
	pr.send(FlagFIN|FlagACK, "")
	pr.recv(FlagACK)
	wantState(t, c, TimeWait)
}

// Half-close: after CloseWrite the connection still reads.
func TestHalfClose(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	c.Write([]byte("req"))
	pr.recv(FlagACK | FlagPSH)
	c.CloseWrite()
	pr.recv(FlagFIN | FlagACK)
	pr.send(FlagACK|FlagPSH, "response")
	pr.send(FlagFIN|FlagACK, "")
	if got := readAll(t, c); got != "response" {
		t.Errorf("read after CloseWrite: %q", got)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("write after CloseWrite: %v, want EPIPE", err)
	}
}

// RFC 1337: TIME-WAIT ignores RSTs, so an old duplicate cannot cut it short.
func TestTimeWaitIgnoresRST(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	c.Close()
	pr.recv(FlagFIN | FlagACK)
	pr.send(FlagFIN|FlagACK, "")
	pr.recv(FlagACK)
	pr.send(FlagRST, "")
	wantState(t, c, TimeWait)
}

func TestResetEstablished(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	pr.send(FlagRST|FlagACK, "")
	wantState(t, c, Closed)
	_, err := c.Read(make([]byte, 10))
	if !errors.Is(err, syscall.ECONNRESET) || err.Error() != "read tcp 10.0.0.1:80->10.0.0.2:40000: read: connection reset by peer" {
		t.Errorf("read after RST: %v, want connection reset by peer", err)
	}
	if got := n.p.Stats.EstabResets.Load(); got != 1 {
		t.Errorf("EstabResets %d", got)
	}
	if _, err := c.Write(nil); err == nil {
		t.Error("empty write on a reset connection succeeded")
	}
}

// A RST acknowledging our SYN refuses the connection.
func TestRefusedInSynSent(t *testing.T) {
	n := newTestNet(t, nil)
	res := n.dial(peerPort)
	syn := n.expect(FlagSYN, 0, 0)
	n.inject(peerPort, syn.Src().addrPort(ourAddr), Fields{Ack: syn.Seq().Add(1), Flags: FlagRST | FlagACK}, nil, nil)
	r := <-res
	if !errors.Is(r.err, syscall.ECONNREFUSED) {
		t.Fatalf("dial: %v, want ECONNREFUSED", r.err)
	}
	if got := n.p.Stats.AttemptFails.Load(); got != 1 {
		t.Errorf("AttemptFails %d", got)
	}
}

// A segment for no connection gets a RST; a RST gets nothing.
func TestClosedPortAnswersRST(t *testing.T) {
	n := newTestNet(t, nil)
	n.inject(peerPort, ourPort, Fields{Seq: 77, Flags: FlagSYN}, nil, nil)
	n.expect(FlagRST|FlagACK, 0, 78)
	n.inject(peerPort, ourPort, Fields{Seq: 77, Ack: 555, Flags: FlagACK}, nil, []byte("x"))
	n.expect(FlagRST, 555, 0)
	n.inject(peerPort, ourPort, Fields{Seq: 77, Flags: FlagRST}, nil, nil)
	n.none()
}

// A retransmitted FIN in TIME-WAIT is acknowledged again and restarts
// the 2 MSL.
func TestTimeWaitRestartsOnFIN(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	c.Close()
	pr.recv(FlagFIN | FlagACK)
	pr.send(FlagACK, "")
	pr.send(FlagFIN|FlagACK, "")
	pr.recv(FlagACK)
	n.clk.Advance(50 * time.Second)
	pr.nxt = pr.nxt.Add(-1)
	pr.send(FlagFIN|FlagACK, "")
	pr.recv(FlagACK)
	n.clk.Advance(50 * time.Second)
	wantState(t, c, TimeWait)
	n.clk.Advance(10 * time.Second)
	wantState(t, c, Closed)
}
