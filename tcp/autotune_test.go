package tcp

import (
	"bytes"
	"testing"
	"time"
)

// slowStart plays a sender in slow start against an application that
// reads everything at once: each round trip (10 ms on the fake clock) the
// peer sends its congestion window (10 segments, doubling) or what our
// window allows, and the application reads it all. Our ACKs reach the
// peer at the end of the round (so its segments echo the timestamp of an
// ACK a round trip old, as on a real path). It returns our
// receive buffer's size after each round and the largest window we
// advertised.
func slowStart(t *testing.T, mod func(*Config), syn *Options, rounds int) (sizes []int, maxWnd int, n *testNet, c *Conn) {
	t.Helper()
	n = newTestNet(t, mod)
	c, pr := n.accept(syn)
	rtt := 10 * time.Millisecond
	edge := pr.nxt.Add(65535) // the SYN-ACK's window, unscaled
	take := func() {          // our ACKs: the peer's view of our window and timestamp
		for {
			select {
			case h := <-n.out:
				pr.take(h)
				w := int(h.Window()) << c.rcvWScale
				edge, maxWnd = MaxSeq(edge, h.Ack().Add(w)), max(maxWnd, w)
			default:
				return
			}
		}
	}
	buf := make([]byte, 8<<20)
	sent, read, cwnd := 0, 0, 10
	var data, want bytes.Buffer
	for round := range rounds {
		n.clk.Advance(rtt)
		for range cwnd {
			if edge.Sub(pr.nxt) < len(fullSegment) {
				break
			}
			seg := bytes.Repeat([]byte{byte(round)}, len(fullSegment))
			pr.send(FlagACK, string(seg))
			sent += len(seg)
			want.Write(seg)
		}
		cwnd *= 2
		k, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		read += k
		data.Write(buf[:k])
		take()
		sizes = append(sizes, c.Info().RcvBuf)
	}
	if read != sent || c.Info().RecvQ != 0 || !bytes.Equal(data.Bytes(), want.Bytes()) {
		t.Fatalf("read %d of %d bytes sent (equal: %v), %d left", read, sent, bytes.Equal(data.Bytes(), want.Bytes()), c.Info().RecvQ)
	}
	t.Logf("receive buffer by round trip: %v", sizes)
	return sizes, maxWnd, n, c
}

// A receiver whose application keeps up grows its buffer, and the window
// it advertises, over a few round trips as the sender speeds up, to
// tcp_rmem's max and no further.
func TestRecvBufferGrowsToTheBound(t *testing.T) {
	const bound = 1 << 20
	sizes, maxWnd, n, _ := slowStart(t, func(c *Config) { c.Rmem[2] = bound }, synOptions(1), 10)
	def := DefaultConfig().Rmem[1]
	if sizes[0] != def {
		t.Errorf("after the first round trip (the initial window) the buffer is %d, want the default %d", sizes[0], def)
	}
	reached := -1
	for i, s := range sizes {
		if i > 0 && s < sizes[i-1] || s > bound {
			t.Fatalf("buffer sizes by round trip %v: want growth up to %d, never shrinking", sizes, bound)
		}
		if s == bound && reached < 0 {
			reached = i
		}
	}
	if reached < 2 || reached > 7 {
		t.Errorf("buffer sizes by round trip %v: want %d reached within a few round trips, not at once", sizes, bound)
	}
	if maxWnd <= def || maxWnd > bound {
		t.Errorf("largest window advertised %d, want above the default %d and at most %d", maxWnd, def, bound)
	}
	if got, want := n.p.Buffered(), bound+DefaultConfig().Wmem[1]; got != want {
		t.Errorf("the stack counts %d bytes of buffer, want %d", got, want)
	}
}

// The stack's bound stops growth, not the connection: the buffer grows
// while the reservation fits, then stays, and every byte still arrives.
func TestRecvBufferGrowthStopsAtTheStackBound(t *testing.T) {
	cfg := DefaultConfig()
	limit := cfg.Rmem[1] + cfg.Wmem[1] + 300_000
	sizes, _, n, c := slowStart(t, func(c *Config) { c.MaxBuffered = limit }, synOptions(1), 9)
	last := sizes[len(sizes)-1]
	if last <= cfg.Rmem[1] || last >= cfg.Rmem[2] {
		t.Errorf("buffer sizes by round trip %v: want growth from %d, stopped by the stack's bound", sizes, cfg.Rmem[1])
	}
	if got := n.p.Buffered(); got > limit {
		t.Errorf("the stack holds %d bytes of buffer, over its bound %d", got, limit)
	}
	if got := n.p.Stats.NoBuffers.Load(); got != 0 {
		t.Errorf("NoBuffers = %d: a refused growth is no refused connection", got)
	}
	if c.State() != Established {
		t.Errorf("connection in %s, want ESTABLISHED", c.State())
	}
}

// net.ipv4.tcp_moderate_rcvbuf=0 keeps the buffer at tcp_rmem's default.
func TestRecvBufferAutotuningOff(t *testing.T) {
	sizes, _, _, c := slowStart(t, func(c *Config) { c.ModerateRcvbuf = false }, synOptions(1), 8)
	for _, s := range sizes {
		if s != DefaultConfig().Rmem[1] {
			t.Fatalf("buffer sizes by round trip %v with autotuning off, want %d throughout", sizes, DefaultConfig().Rmem[1])
		}
	}
	if in := c.Info(); in.RcvRTT != 10*time.Millisecond || in.RcvSpace == 0 {
		t.Errorf("rcv_rtt %v rcv_space %d: want the measure taken (10 ms) even with autotuning off", in.RcvRTT, in.RcvSpace)
	}
}

// Without timestamps the receiver times a window's arrival instead: the
// estimate is coarser (a window takes more than a round trip to fill
// while the sender is slow-starting) and the growth slower, but it grows.
func TestRecvBufferGrowsWithoutTimestamps(t *testing.T) {
	syn := &Options{HasMSS: true, MSS: 1460, HasWScale: true, WScale: 7, SACKPermitted: true}
	sizes, maxWnd, _, c := slowStart(t, nil, syn, 10)
	def := DefaultConfig().Rmem[1]
	if last := sizes[len(sizes)-1]; last <= def || maxWnd <= def {
		t.Errorf("buffer sizes by round trip %v, largest window %d: want growth past the default %d", sizes, maxWnd, def)
	}
	if rtt := c.Info().RcvRTT; rtt < 10*time.Millisecond {
		t.Errorf("rcv_rtt %v without timestamps, want at least the 10 ms round trip", rtt)
	}
}
