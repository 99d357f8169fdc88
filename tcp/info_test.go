package tcp

import (
	"strings"
	"testing"
	"time"
)

// The snapshot ss prints: LISTEN, ESTABLISHED with its queues and
// internals, TIME-WAIT, at the right moments.
func TestConnectionsSnapshot(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	pr.send(FlagACK|FlagPSH, "unread")
	pr.wnd = 0
	pr.send(FlagACK, "")
	c.Write([]byte("unsent!"))
	rows := n.p.Connections()
	if len(rows) != 2 || rows[0].State != Listen || rows[1].State != Established {
		t.Fatalf("rows %+v, want LISTEN then ESTABLISHED", rows)
	}
	e := rows[1]
	if e.RecvQ != 6 || e.SendQ != 7 || e.Local != ourPort || e.Remote != peerPort {
		t.Errorf("ESTABLISHED row %+v, want Recv-Q 6, Send-Q 7", e)
	}
	if e.MSS != 1448 || e.Cwnd != 10 || !e.SACK || !e.Timestamps || e.SndWScale != 7 || e.RTO != MinRTO {
		t.Errorf("internals %+v", e)
	}
	pr.wnd = 502
	pr.send(FlagACK, "")
	pr.recv(FlagACK | FlagPSH)
	c.Read(make([]byte, 16))
	c.Close()
	for h := n.next(); ; h = n.next() { // a window update may come first
		pr.take(h)
		if h.Flags()&FlagFIN != 0 {
			break
		}
	}
	pr.send(FlagFIN|FlagACK, "")
	if rows := n.p.Connections(); rows[1].State != TimeWait {
		t.Errorf("after both FINs: %s, want TIME-WAIT", rows[1].State)
	}
	n.clk.Advance(time.Minute)
	if rows := n.p.Connections(); len(rows) != 1 {
		t.Errorf("after 2 MSL: %+v, want the listener alone", rows)
	}
}

// Trace sees state changes and retransmissions with their reasons.
func TestTraceEvents(t *testing.T) {
	n := newTestNet(t, nil)
	var got []string
	n.p.SetTrace(func(e TraceEvent) {
		if e.Kind == TraceState || e.Kind == TraceRetransmit {
			got = append(got, e.Reason)
		}
	})
	c, pr := n.accept(synOptions(1))
	c.Write([]byte("x"))
	pr.recv(FlagACK | FlagPSH)
	n.clk.Advance(MinRTO)
	n.next()
	want := "CLOSED -> SYN-RECEIVED|SYN-RECEIVED -> ESTABLISHED|RTO, next in 400ms"
	if s := strings.Join(got, "|"); s != want {
		t.Errorf("trace %q, want %q", s, want)
	}
}
