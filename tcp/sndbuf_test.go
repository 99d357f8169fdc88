package tcp

import (
	"math/bits"
	"testing"
)

// Growing the send buffer copies the whole ring into a new one. The
// window it follows grows by an MSS per ACK in slow start (and by a few
// bytes per ACK after it), so a buffer grown to exactly what the window
// wants is copied on nearly every ACK: megabytes per ACK on the poller's
// path, which held our sender at 1-3 MB/s over the TAP until the ring
// reached tcp_wmem's max (doc/performance.md, "Why the sender swung").
// Each growth must at least double the ring, so the copies cost a
// constant per byte sent and there are log2(max/default) of them.
func TestSendBufferGrowsByDoubling(t *testing.T) {
	for _, tc := range []struct {
		name string
		step func(c *Conn) int // how much one ACK grows cwnd
	}{
		{"slow start", func(c *Conn) int { return c.mss }},
		{"congestion avoidance", func(c *Conn) int { return max(c.mss*c.mss/c.cc.cwnd, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t, nil)
			c, _ := n.accept(synOptions(1))
			cfg := n.p.Config()
			c.mu.Lock()
			defer c.mu.Unlock()
			grows, acks := 0, 0
			for c.cc.cwnd < cfg.Wmem[2] && acks < 1_000_000 {
				c.cc.cwnd += tc.step(c)
				acks++
				// the application keeps the buffer full: Write grows it until it stops
				for size := c.snd.cap(); c.growSendBuffer(); size = c.snd.cap() {
					grows++
					if got, want := c.snd.cap(), min(2*size, cfg.Wmem[2]); got < want {
						t.Fatalf("after %d ACKs (cwnd %d) the buffer grew from %d to %d bytes, want at least %d", acks, c.cc.cwnd, size, got, want)
					}
				}
			}
			if c.snd.cap() != cfg.Wmem[2] {
				t.Errorf("send buffer %d bytes with cwnd %d, want tcp_wmem's max %d", c.snd.cap(), c.cc.cwnd, cfg.Wmem[2])
			}
			if most := bits.Len(uint(cfg.Wmem[2]/cfg.Wmem[1])) - 1; grows > most {
				t.Errorf("send buffer grown %d times from %d to %d bytes, want at most %d", grows, cfg.Wmem[1], cfg.Wmem[2], most)
			}
			if got, want := n.p.Buffered(), cfg.Rmem[1]+cfg.Wmem[2]; got != want {
				t.Errorf("stack holds %d bytes of buffers, want %d (receive default + send max)", got, want)
			}
		})
	}
}
