package tcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/ip"
)

// icmpAbout hands TCP an ICMP error of kind quoting segment h (ours).
func (n *testNet) icmpAbout(kind ip.ErrorKind, h Header) {
	q := make(ip.Header, ip.HeaderLen)
	q.Encode(ip.Fields{TotalLen: ip.HeaderLen + len(h), TTL: 64, Protocol: ip.ProtoTCP, Src: ourAddr, Dst: peerAddr})
	tr := make([]byte, 8)
	binary.BigEndian.PutUint16(tr, h.SrcPort())
	binary.BigEndian.PutUint16(tr[2:], h.DstPort())
	binary.BigEndian.PutUint32(tr[4:], uint32(h.Seq()))
	n.p.HandleError(peerAddr, kind, 0, q, tr)
}

// An ICMP error on an established connection does not end it (RFC 1122
// 4.2.3.9: a soft error), but when the retransmissions then go
// unanswered the application learns why: EHOSTUNREACH, not ETIMEDOUT, as
// Linux's sk_err_soft. An ACK in between clears it.
func TestSoftErrorReportedOnTimeout(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kind     ip.ErrorKind
		ackAfter bool
		want     syscall.Errno
	}{
		{"host unreachable", ip.HostUnreachable, false, syscall.EHOSTUNREACH},
		{"time exceeded", ip.TTLExceeded, false, syscall.EHOSTUNREACH},
		{"port unreachable", ip.PortUnreachable, false, syscall.ECONNREFUSED},
		{"cleared by an ACK", ip.HostUnreachable, true, syscall.ETIMEDOUT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t, func(c *Config) { c.Retries2 = 2 })
			c, pr := n.accept(synOptions(1))
			c.Write([]byte("one"))
			first := pr.recv(FlagACK | FlagPSH)
			n.icmpAbout(tc.kind, first)
			if c.State() != Established {
				t.Fatalf("state %s after a soft error, want ESTABLISHED", c.State())
			}
			if tc.ackAfter {
				pr.send(FlagACK, "")
				c.Write([]byte("two"))
				pr.recv(FlagACK | FlagPSH)
			}
			for range 3 { // two retransmissions, then the give-up
				n.clk.Advance(10 * time.Second)
			}
			_, err := c.Read(make([]byte, 1))
			if !errors.Is(err, tc.want) {
				t.Errorf("read after the timeout: %v, want %v", err, tc.want)
			}
		})
	}
}

// An error quoting a sequence number outside SND.UNA..SND.MAX (a blind
// attacker's) is not kept: the timeout stays ETIMEDOUT.
func TestSoftErrorNeedsValidSequence(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.Retries2 = 1 })
	c, pr := n.accept(synOptions(1))
	c.Write([]byte("one"))
	h := append(Header(nil), pr.recv(FlagACK|FlagPSH)...)
	binary.BigEndian.PutUint32(h[4:], uint32(h.Seq().Add(100000)))
	n.icmpAbout(ip.HostUnreachable, h)
	for range 2 {
		n.clk.Advance(10 * time.Second)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Errorf("read after the timeout: %v, want ETIMEDOUT", err)
	}
	if got := n.p.Stats.ICMPIgnored.Load(); got != 1 {
		t.Errorf("ICMPIgnored %d, want 1", got)
	}
}

// A soft error during SYN-SENT (time exceeded: a routing loop) does not
// fail the connect at once, but the connect's timeout says it: "connect:
// no route to host", as Linux.
func TestSoftErrorInSynSent(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.SynRetries = 1 })
	res := n.dial(peerPort)
	syn := n.expect(FlagSYN, 0, 0)
	n.icmpAbout(ip.TTLExceeded, syn)
	n.none()
	n.clk.Advance(time.Second)
	n.expect(FlagSYN, syn.Seq(), 0)
	n.clk.Advance(2 * time.Second)
	r := <-res
	want := fmt.Sprintf("dial tcp 10.0.0.1:%d->10.0.0.2:40000: connect: no route to host", syn.SrcPort())
	if !errors.Is(r.err, syscall.EHOSTUNREACH) || r.err.Error() != want {
		t.Errorf("dial: %v, want %q", r.err, want)
	}
}
