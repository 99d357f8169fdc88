package tcp

import (
	"time"

	"github.com/gotapip/gotapip/clock"
)

// Each connection has three timers on the stack's clock: rtx (the
// retransmission timer, or the persist timer while the peer's window is
// closed), delack (delayed ACK), keep (keepalive, FIN-WAIT-2 and
// TIME-WAIT). Each callback locks the connection and checks its deadline
// field, so a timer stopped or moved after it fired does nothing.

// DelayedACK is the longest an ACK waits (Linux's TCP_DELACK_MAX is
// 200 ms; 40 ms is its minimum and what the issue asks).
const DelayedACK = 40 * time.Millisecond

// startTimer arms t to call f(c) after d. f is a method expression, so
// re-arming an existing timer does not allocate.
func (c *Conn) startTimer(t *clock.Timer, when *time.Time, d time.Duration, f func(*Conn)) {
	*when = c.p.clock.Now().Add(d)
	if *t == nil {
		*t = c.p.clock.AfterFunc(d, func() { f(c) })
		return
	}
	(*t).Reset(d)
}

func stopTimer(t clock.Timer, when *time.Time) {
	*when = time.Time{}
	if t != nil {
		t.Stop()
	}
}

// due reports whether a timer with deadline when should act now; if it
// fired early (moved meanwhile) it is re-armed for the rest.
func (c *Conn) due(t clock.Timer, when time.Time) bool {
	if when.IsZero() || c.state == Closed {
		return false
	}
	if left := when.Sub(c.p.clock.Now()); left > 0 {
		t.Reset(left)
		return false
	}
	return true
}

func (c *Conn) armRtx() {
	c.persist, c.probe, c.reo = false, false, false
	c.startTimer(&c.rtxTimer, &c.rtxWhen, c.rtt.current(), (*Conn).onRtx)
}

func (c *Conn) armPersist() {
	c.persist, c.reo = true, false
	d := min(max(c.rtt.current(), MinRTO)<<min(c.persistBackoff, 10), MaxRTO)
	c.startTimer(&c.rtxTimer, &c.rtxWhen, d, (*Conn).onRtx)
}

func (c *Conn) stopRtx() {
	stopTimer(c.rtxTimer, &c.rtxWhen)
	c.persist, c.probe, c.reo = false, false, false
}

func (c *Conn) armDelack() {
	if c.delackWhen.IsZero() {
		c.startTimer(&c.delackTimer, &c.delackWhen, DelayedACK, (*Conn).onDelack)
	}
}

func (c *Conn) stopDelack() {
	if !c.delackWhen.IsZero() {
		stopTimer(c.delackTimer, &c.delackWhen)
	}
}

func (c *Conn) armKeep(d time.Duration) { c.startTimer(&c.keepTimer, &c.keepWhen, d, (*Conn).onKeep) }

func (c *Conn) stopTimers() {
	c.stopRtx()
	c.stopDelack()
	stopTimer(c.keepTimer, &c.keepWhen)
}

// onRtx is the retransmission timeout (RFC 6298 5.4-5.7) or a persist
// probe.
func (c *Conn) onRtx() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.due(c.rtxTimer, c.rtxWhen) {
		return
	}
	c.rtxWhen = time.Time{}
	if c.reo {
		c.reoTimeout()
		c.notify()
		return
	}
	if c.probe {
		c.lossProbe()
		c.notify()
		return
	}
	if c.persist {
		c.onPersist()
		c.notify()
		return
	}
	if c.inFlight() == 0 {
		return
	}
	c.retries++
	cfg := c.p.Config()
	limit := cfg.Retries2
	switch c.state {
	case SynSent:
		limit = cfg.SynRetries
	case SynReceived:
		limit = cfg.SynAckRetries
	}
	if c.retries > limit {
		c.p.Stats.AbortOnTimeout.Add(1)
		c.timedOut()
		return
	}
	c.p.Stats.Timeouts.Add(1)
	c.rtt.backoff++
	if c.p.tracing() {
		c.traceEvent(TraceRetransmit, "RTO, next in "+c.rtt.current().String())
	}
	switch c.state {
	case SynSent, SynReceived:
		c.sendSYN()
	default:
		c.noteRTO()
		c.cc.onTimeout(c.inFlight(), c.mss, c.sndMax, c.p.clock.Now())
		c.markAllLost()
		c.tlpOut = false
		c.sndNxt = c.sndUna
		c.historySample(c.p.clock.Now())
		c.output()
		if c.sndNxt == c.sndUna { // nothing went (a zero window): send the head anyway
			c.retransmitHead("RTO")
		}
	}
	c.armRtx()
	c.notify()
}

// onPersist probes a closed window (RFC 9293 3.8.6.1): with a window
// open but too small for the sender's silly window avoidance, it sends
// what fits (the override timeout); with none, a probe the peer answers
// with its window. Probes back off like the RTO and go on while answered.
func (c *Conn) onPersist() {
	c.persist = false
	if c.unsent() == 0 || c.inFlight() > 0 {
		return
	}
	if win := min(c.sndWnd, c.unsent(), c.mss); win > 0 {
		c.send(c.sndNxt, FlagPSH, win)
		c.sndNxt = c.sndNxt.Add(win)
		c.sndMax = MaxSeq(c.sndMax, c.sndNxt)
		c.armRtx()
		return
	}
	c.persistBackoff++
	c.traceEvent(TraceRetransmit, "zero window probe")
	c.sendProbe()
	c.armPersist()
}

func (c *Conn) onDelack() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.due(c.delackTimer, c.delackWhen) {
		return
	}
	c.delackWhen = time.Time{}
	if c.ackPending > 0 || c.ackNow {
		c.sendAck()
	}
}

// onKeep ends TIME-WAIT and an orphaned FIN-WAIT-2, or sends keepalive
// probes (RFC 1122 4.2.3.6) after KeepaliveTime of silence, every
// KeepaliveIntvl, giving up after KeepaliveProbes.
func (c *Conn) onKeep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.due(c.keepTimer, c.keepWhen) {
		return
	}
	c.keepWhen = time.Time{}
	switch c.state {
	case TimeWait, FinWait2:
		c.terminate()
		return
	case Established, CloseWait:
	default:
		return
	}
	if !c.keepAlive {
		return
	}
	cfg := c.p.Config()
	idle := c.p.clock.Now().Sub(c.lastRecv)
	if idle < c.keepIdle() && c.keepProbes == 0 {
		c.armKeep(c.keepIdle() - idle)
		return
	}
	if c.keepProbes >= cfg.KeepaliveProbes {
		c.timedOut()
		return
	}
	c.keepProbes++
	c.sendProbe()
	c.armKeep(c.keepIntvl())
}

// enterTimeWait starts 2 MSL of TIME-WAIT (RFC 9293 3.6).
func (c *Conn) enterTimeWait() {
	c.setState(TimeWait)
	c.stopRtx()
	c.armKeep(c.p.Config().TimeWait)
	c.notify()
}
