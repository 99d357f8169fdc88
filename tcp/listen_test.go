package tcp

import (
	"net/netip"
	"testing"
)

// SYN cookies: a flood fills the SYN queue, further SYNs get cookies
// and leave no state, and a real client still connects through one.
func TestSynCookiesUnderFlood(t *testing.T) {
	n := newTestNet(t, nil)
	l, err := n.p.Listen(ourPort, 8)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 { // spoofed: never answer the SYN-ACK
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(100 + i%100)}), uint16(1000+i))
		n.inject(from, ourPort, Fields{Seq: Seq(i), Flags: FlagSYN, Window: 65535}, synOptions(1), nil)
		n.expect(FlagSYN|FlagACK, 0, Seq(i+1))
	}
	if got := n.p.Stats.SyncookiesSent.Load(); got != 92 {
		t.Errorf("SyncookiesSent %d, want 92 (100 SYNs, a queue of 8)", got)
	}
	if got := len(n.p.Connections()); got != 1+8 {
		t.Errorf("%d rows in the table, want the listener and 8 half-open", got)
	}
	pr := &peer{n: n, addr: netip.MustParseAddrPort("10.0.0.2:50000"), to: ourPort, nxt: 777, wnd: 65535}
	n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Flags: FlagSYN, Window: 65535}, synOptions(1), nil)
	pr.nxt = pr.nxt.Add(1)
	synack := pr.recv(FlagSYN | FlagACK)
	var o Options
	o.Parse(synack.RawOptions())
	if !o.HasMSS || o.HasWScale || o.SACKPermitted || o.HasTimestamp {
		t.Errorf("cookie SYN-ACK options %s, want the MSS alone", o.String())
	}
	pr.send(FlagACK|FlagPSH, "GET /")
	c, err := l.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if k, _ := c.Read(buf); string(buf[:k]) != "GET /" {
		t.Errorf("read %q through the cookie connection", buf[:k])
	}
	if got := n.p.Stats.SyncookiesRecv.Load(); got != 1 {
		t.Errorf("SyncookiesRecv %d", got)
	}
	// a forged ACK (no cookie of ours) gets a RST
	n.inject(netip.MustParseAddrPort("10.0.0.2:50001"), ourPort, Fields{Seq: 5, Ack: 12345, Flags: FlagACK}, nil, nil)
	n.expect(FlagRST, 12345, 0)
	if got := n.p.Stats.SyncookiesFailed.Load(); got != 1 {
		t.Errorf("SyncookiesFailed %d", got)
	}
}

// A listener whose accept queue is full still answers an ACK that
// belongs to nothing with RST (gVisor#6683), and does not swallow RSTs
// meant for its established connections (smoltcp#851).
func TestFullListenerStillResets(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.Syncookies = 0 })
	l, _ := n.p.Listen(ourPort, 1)
	pr := &peer{n: n, addr: peerPort, to: ourPort, nxt: 100, wnd: 65535}
	n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Flags: FlagSYN, Window: 65535}, nil, nil)
	pr.nxt = pr.nxt.Add(1)
	pr.recv(FlagSYN | FlagACK)
	pr.send(FlagACK, "")
	n.inject(netip.MustParseAddrPort("10.0.0.2:40001"), ourPort, Fields{Seq: 1, Ack: 999, Flags: FlagACK}, nil, nil)
	n.expect(FlagRST, 999, 0)
	n.inject(netip.MustParseAddrPort("10.0.0.2:40002"), ourPort, Fields{Seq: 1, Flags: FlagSYN}, nil, nil)
	n.none() // SYNs wait while the accept queue is full
	pr.send(FlagRST, "")
	if got := n.p.Stats.EstabResets.Load(); got != 1 {
		t.Errorf("EstabResets %d: the RST did not reach the connection", got)
	}
	if rows := n.p.Connections(); len(rows) != 1 || rows[0].State != Listen {
		t.Errorf("table %+v, want the listener alone", rows)
	}
	_ = l
}

// A handshake that completes after its listener closed is reset.
func TestHandshakeAfterListenerClosedIsReset(t *testing.T) {
	n := newTestNet(t, nil)
	l, _ := n.p.Listen(ourPort, 8)
	pr := &peer{n: n, addr: peerPort, to: ourPort, nxt: 100, wnd: 65535}
	pr.send(FlagSYN, "")
	pr.recv(FlagSYN | FlagACK)
	l.Close()
	pr.send(FlagACK, "")
	n.expect(FlagRST|FlagACK, pr.ack, 0)
	if rows := n.p.Connections(); len(rows) != 0 {
		t.Errorf("table %+v, want empty", rows)
	}
}
