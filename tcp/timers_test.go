package tcp

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

// step advances the clock by d in two moves and checks that nothing goes
// out before d and that a segment with flags and seq goes out at d.
func (n *testNet) step(d time.Duration, flags Flags, seq Seq) Header {
	n.t.Helper()
	n.clk.Advance(d - time.Millisecond)
	n.none()
	n.clk.Advance(time.Millisecond)
	return n.expect(flags, seq, 0)
}

// SYN retransmissions at 1, 2, 4, 8 s after each other (RFC 6298 5.5 from
// the 1 s initial RTO), then "connection timed out" after
// tcp_syn_retries.
func TestSynRetransmitBackoffThenTimeout(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.SynRetries = 3 })
	res := n.dial(peerPort)
	syn := n.expect(FlagSYN, 0, 0)
	for _, d := range []time.Duration{1, 2, 4} {
		n.step(d*time.Second, FlagSYN, syn.Seq())
	}
	n.clk.Advance(8 * time.Second)
	r := <-res
	if !errors.Is(r.err, syscall.ETIMEDOUT) || !strings.HasSuffix(r.err.Error(), "connect: connection timed out") {
		t.Fatalf("dial: %v, want connection timed out", r.err)
	}
	if got := n.p.Stats.RetransSegs.Load(); got != 3 {
		t.Errorf("RetransSegs %d, want 3", got)
	}
	n.none()
}

// Data retransmissions back off from the measured RTO (here the 200 ms
// minimum) and the connection gives up after tcp_retries2.
func TestDataRetransmitBackoff(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.Retries2 = 4 })
	c, pr := n.accept(synOptions(1))
	c.Write([]byte("data"))
	first := pr.recv(FlagACK | FlagPSH)
	for _, d := range []time.Duration{200, 400, 800, 1600} {
		n.step(d*time.Millisecond, FlagACK|FlagPSH, first.Seq())
	}
	if got := c.Info().Retransmits; got != 4 {
		t.Errorf("retransmits %d", got)
	}
	n.clk.Advance(3200 * time.Millisecond)
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("read after giving up: %v, want ETIMEDOUT", err)
	}
	if got := n.p.Stats.AbortOnTimeout.Load(); got != 1 {
		t.Errorf("AbortOnTimeout %d", got)
	}
}

// An ACK stops the backoff: the next loss starts from the RTO again.
func TestRTOBackoffResetByACK(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	c.Write([]byte("a"))
	pr.recv(FlagACK | FlagPSH)
	n.step(200*time.Millisecond, FlagACK|FlagPSH, 0)
	pr.send(FlagACK, "") // echoes the first transmission's timestamp: a 200 ms sample
	rto := c.Info().RTO
	if rto != 225*time.Millisecond { // SRTT 0 + 200/8, RTTVAR (0*3 + 200)/4
		t.Fatalf("RTO after the ACK %v, want 225ms (no backoff)", rto)
	}
	c.Write([]byte("b"))
	h := pr.recv(FlagACK | FlagPSH)
	n.step(rto, FlagACK|FlagPSH, h.Seq())
}

// A zero window: probes at the RTO, backing off, while answered; data
// flows when the window opens.
func TestPersistProbes(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	pr.wnd = 0
	pr.send(FlagACK, "")
	c.Write([]byte("held back"))
	n.none()
	for _, d := range []time.Duration{200, 400, 800} {
		probe := n.step(d*time.Millisecond, FlagACK, pr.ack.Add(-1))
		if len(probe.Payload()) != 0 {
			t.Fatalf("probe %s carries data", probe)
		}
		pr.send(FlagACK, "") // still closed
	}
	pr.wnd = 502
	pr.send(FlagACK, "")
	if h := pr.recv(FlagACK | FlagPSH); string(h.Payload()) != "held back" {
		t.Errorf("after the window opened: %s", h)
	}
}

// Delayed ACK: one small segment waits 40 ms; the second full-sized
// segment is acknowledged at once.
func TestDelayedACK(t *testing.T) {
	n := newTestNet(t, nil)
	_, pr := n.accept(synOptions(1))
	pr.send(FlagACK|FlagPSH, "hi")
	n.clk.Advance(39 * time.Millisecond)
	n.none()
	n.clk.Advance(time.Millisecond)
	pr.recv(FlagACK)
	full := strings.Repeat("x", 1448)
	pr.send(FlagACK, full)
	n.none()
	pr.send(FlagACK, full)
	pr.recv(FlagACK)
}

// Nagle: a second small write waits for the ACK of the first, unless
// NoDelay.
func TestNagle(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	c.Write([]byte("a"))
	pr.recv(FlagACK | FlagPSH)
	c.Write([]byte("b"))
	n.none()
	pr.send(FlagACK, "")
	if h := pr.recv(FlagACK | FlagPSH); string(h.Payload()) != "b" {
		t.Fatalf("after the ACK: %s", h)
	}
	c.SetNoDelay(true)
	c.Write([]byte("c"))
	if h := pr.recv(FlagACK | FlagPSH); string(h.Payload()) != "c" {
		t.Fatalf("with NoDelay: %s", h)
	}
}

// Keepalive: off by default; on, a probe after tcp_keepalive_time of
// silence, then every interval, and ETIMEDOUT after the probes.
func TestKeepalive(t *testing.T) {
	n := newTestNet(t, func(c *Config) {
		c.KeepaliveTime, c.KeepaliveIntvl, c.KeepaliveProbes = 10*time.Second, time.Second, 3
	})
	c, pr := n.accept(synOptions(1))
	n.clk.Advance(time.Minute)
	n.none() // off by default
	c.SetKeepAlive(true)
	n.step(10*time.Second, FlagACK, pr.ack.Add(-1))
	pr.send(FlagACK, "") // answered: silence starts again
	n.step(10*time.Second, FlagACK, pr.ack.Add(-1))
	n.step(time.Second, FlagACK, pr.ack.Add(-1))
	n.step(time.Second, FlagACK, pr.ack.Add(-1))
	n.clk.Advance(time.Second)
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("read: %v, want ETIMEDOUT", err)
	}
}

// An orphaned FIN-WAIT-2 ends after tcp_fin_timeout.
func TestFinWait2Timeout(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	c.Close()
	pr.recv(FlagFIN | FlagACK)
	pr.send(FlagACK, "")
	wantState(t, c, FinWait2)
	n.clk.Advance(60 * time.Second)
	wantState(t, c, Closed)
}

// After an RTO moved SND.NXT back, a bare ACK still carries SND.MAX: the
// peer has seen that far, and an ACK numbered below its RCV.NXT would
// fail its sequence check unread (two such peers once stalled for good).
func TestAckAfterRTOCarriesSndMax(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(synOptions(1))
	c.SetNoDelay(true)
	c.Write([]byte("one"))
	c.Write([]byte("two"))
	pr.recv(FlagACK | FlagPSH)
	last := pr.recv(FlagACK | FlagPSH)
	n.step(MinRTO, FlagACK|FlagPSH, 0) // the first goes again; SND.NXT is back at it
	pr.send(FlagACK|FlagPSH, "x")
	n.clk.Advance(DelayedACK)
	if h := n.next(); h.Seq() != last.Seq().Add(3) || len(h.Payload()) != 0 {
		t.Fatalf("ACK %s, want seq %d (SND.MAX)", h, uint32(last.Seq().Add(3)))
	}
}

// Receiver-side silly window avoidance (RFC 9293 3.8.6.2.2): a full
// buffer that a read empties by a few bytes still advertises 0; once a
// read frees half the buffer a window update goes out at once.
func TestReceiverSillyWindowAvoidance(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.Rmem = [3]int{4096, 4096, 4096} })
	c, pr := n.accept(synOptions(1))
	chunk := strings.Repeat("w", 1024)
	pr.send(FlagACK, chunk)
	pr.send(FlagACK, chunk)
	pr.recv(FlagACK) // every second segment
	pr.send(FlagACK, chunk)
	pr.send(FlagACK, chunk)
	if h := pr.recv(FlagACK); h.Window() != 0 {
		t.Fatalf("full buffer advertises %d", h.Window())
	}
	c.Read(make([]byte, 100))
	n.none()
	pr.nxt = pr.nxt.Add(-1) // a window probe
	pr.send(FlagACK, "")
	if h := n.next(); h.Window() != 0 {
		t.Errorf("after a 100-byte read the window says %d, want 0 (SWS)", h.Window())
	}
	pr.nxt = pr.nxt.Add(1)
	c.Read(make([]byte, 2000))
	if h := pr.recv(FlagACK); h.Window() < 2048 {
		t.Errorf("window update %d after half the buffer was read", h.Window())
	}
}

// A reader that keeps up sends no window update per read (Linux's rule:
// only when the offered window had shrunk to half the buffer): the
// window it offered is still wide, and the next ACK carries the room.
// An update per read doubled the ACKs of a bulk receiver.
func TestNoWindowUpdateWhileTheWindowIsWide(t *testing.T) {
	n := newTestNet(t, nil) // a 128 KB buffer
	c, pr := n.accept(synOptions(1))
	seg := strings.Repeat("b", 1448)
	for range 4 {
		pr.send(FlagACK, seg)
	}
	for range 2 {
		n.next() // an ACK every second segment
	}
	if _, err := io.ReadFull(c, make([]byte, 4*1448)); err != nil {
		t.Fatal(err)
	}
	n.none()
}

// A probe carrying a byte into a zero window (as BSD sends them) is
// answered at once with the window, and the byte is not kept.
func TestZeroWindowProbeWithDataIsAnswered(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.Rmem = [3]int{2048, 2048, 2048} })
	c, pr := n.accept(synOptions(1))
	pr.send(FlagACK, strings.Repeat("f", 1024))
	pr.send(FlagACK, strings.Repeat("f", 1024))
	if h := pr.recv(FlagACK); h.Window() != 0 {
		t.Fatalf("full buffer advertises %d", h.Window())
	}
	pr.send(FlagACK, "p")
	if h := n.expect(FlagACK, 0, pr.nxt.Add(-1)); h.Window() != 0 {
		t.Errorf("probe answered with window %d", h.Window())
	}
	if got := c.Info().RecvQ; got != 2048 {
		t.Errorf("Recv-Q %d, want the 2048 that fit", got)
	}
}

// SetKeepAlivePeriod sets idle time and interval for one connection.
func TestKeepAlivePeriod(t *testing.T) {
	n := newTestNet(t, nil)
	c, pr := n.accept(nil)
	c.SetKeepAlive(true)
	c.SetKeepAlivePeriod(5 * time.Second)
	n.step(5*time.Second, FlagACK, pr.ack.Add(-1))
	n.step(5*time.Second, FlagACK, pr.ack.Add(-1))
}
