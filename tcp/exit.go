package tcp

import "time"

// ExitGrace is how long CloseAll lets connections the application has
// closed finish their close (our data and FIN retransmitted on the RTO,
// as the kernel keeps an orphaned socket) before it resets them. It is
// measured on the stack's clock; exitBackstop bounds it in real time too,
// for a fake clock nobody advances. It is longer than the initial RTO
// (1 s, before any RTT sample) so that the FIN sent again then has time
// to be acknowledged.
const (
	ExitGrace    = 2 * time.Second
	exitBackstop = 5 * time.Second
)

// CloseAll ends TCP for a stack that is closing: listeners close
// (connections not yet accepted are reset); connections still closing
// (FIN-WAIT-1, CLOSING, LAST-ACK: our data or FIN not yet acknowledged)
// get up to ExitGrace to finish; then every connection left is reset,
// at the sequence numbers the peer accepts (resetAtExit). The ones the
// application never closed are reset at once: a FIN would tell the peer
// that all the data was sent. With nothing closing it does not wait.
func (p *Protocol) CloseAll() {
	conns, ls := p.snapshot()
	for _, l := range ls {
		l.Close()
	}
	var closing []*Conn
	for _, c := range conns {
		if c.finishing() {
			closing = append(closing, c)
		} else {
			c.abort(true)
		}
	}
	if len(closing) == 0 {
		return
	}
	p.awaitClose(closing)
	for _, c := range closing {
		c.abort(true)
	}
}

// finishing reports whether a connection in s has its FIN (and maybe
// data) still to be acknowledged.
func (s State) finishing() bool { return s == FinWait1 || s == Closing || s == LastAck }

func (c *Conn) finishing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.finishing()
}

// awaitClose waits until none of conns is finishing, or ExitGrace ends.
func (p *Protocol) awaitClose(conns []*Conn) {
	expired := make(chan struct{})
	t := p.clock.AfterFunc(ExitGrace, func() { close(expired) })
	defer t.Stop()
	backstop := time.NewTimer(exitBackstop)
	defer backstop.Stop()
	for _, c := range conns {
		for {
			c.mu.Lock()
			done := !c.state.finishing()
			wake := c.waitChan()
			c.mu.Unlock()
			if done {
				break
			}
			select {
			case <-wake:
			case <-expired:
				return
			case <-backstop.C:
				return
			}
		}
	}
}

// resetAtExit aborts c on the wire when nothing will be left to answer
// the peer. RFC 5961 3.2 has a synchronized peer accept a RST only at
// exactly its RCV.NXT (one merely in the window earns a challenge ACK,
// which the stack's replacement RST would answer, but the stack is
// going): after our FIN or data was lost, that is SND.UNA, not SND.MAX
// (which sendReset uses). When the peer's ACK was lost instead, it is
// SND.MAX: a second RST covers that (the one the peer does not accept is
// harmless: below its window it is dropped, within it challenged).
func (c *Conn) resetAtExit() {
	c.send(c.sndUna, FlagRST, 0)
	if c.sndMax != c.sndUna {
		c.send(c.sndMax, FlagRST, 0)
	}
}
