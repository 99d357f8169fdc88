package tcp

import (
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/gotapip/gotapip/clock"
	"github.com/gotapip/gotapip/netdev"
)

// Conn is one TCP connection: RFC 9293's transmission control block,
// its buffers and timers. It implements net.Conn (socket.go). Segments
// are processed on the receiving device's goroutine under mu; the
// application's calls block on wake with deadlines.
type Conn struct {
	p      *Protocol
	local  netip.AddrPort
	remote netip.AddrPort

	mu    sync.Mutex
	state State
	err   error // why the connection died, for the application (an Errno)
	// softErr is the last ICMP error that did not end the connection
	// (Linux's sk_err_soft): a timeout reports it instead of ETIMEDOUT,
	// and an acceptable ACK clears it.
	softErr syscall.Errno

	// Send sequence variables (RFC 9293 3.3.1), plus sndMax, the highest
	// sequence number sent (SND.NXT goes back to SND.UNA after an RTO).
	iss, sndUna, sndNxt, sndMax Seq
	sndWnd                      int // the peer's window, scaled
	maxSndWnd                   int // the largest window the peer offered
	sndWl1, sndWl2              Seq
	sndWScale, rcvWScale        uint8 // shifts: the peer's, ours (0 without scaling)
	mss                         int   // the most data we send in a segment (a piece of a super-frame: tso.go)
	rcvMSS                      int   // the most we told the peer to send (MSS option)

	// Receive sequence variables.
	irs, rcvNxt Seq
	rcvAdv      Seq // the right edge of the window last advertised

	snd       ring // bytes from sndBase: unacknowledged, then unsent
	sndBase   Seq  // sequence number of snd's first byte
	rcv       ring // in-order bytes not yet read, then room for out-of-order data
	ooo       oooRanges
	sacked    oooRanges // what the peer's SACK blocks say it holds past SND.UNA
	finSeq    Seq       // where our FIN goes, once finQueued
	oooFin    bool      // a FIN arrived out of order at oooFinSeq
	oooFinSeq Seq

	// Options in force.
	tsOK, sackOK, wsOK bool
	tsRecent           uint32
	tsRecentAt         time.Time
	tsOffset           uint32
	lastAckSent        Seq

	rtt     rttEstimator
	synAt   time.Time // when our SYN first went; zero: not timed (sent again: Karn)
	retries int       // consecutive RTO expiries
	cc      congestion
	undo    undoState // what the last recovery or RTO cut, until shown spurious or superseded (undo.go)

	ackPending int // bytes received and not yet acknowledged
	ackNow     bool

	ackBatched bool     // on the batch's list: BatchEnd sends the ACK (batch.go)
	rs         rcvSpace // receive buffer autotuning's measure (autotune.go)

	finQueued  bool // the application closed its side: FIN at finSeq
	finRcvd    bool // the peer's FIN arrived: reads end at EOF once the buffer is empty
	appClosed  bool // Close was called
	noDelay    bool
	keepAlive  bool
	keepProbes int
	keepPeriod time.Duration // SetKeepAlivePeriod; 0: the tunables
	lastRecv   time.Time
	passive    *Listener       // a child of this listener until accepted
	inSynq     bool            // counted in passive's SYN queue (guarded by passive.mu)
	rcvSegMax  int             // the largest segment received: "full-sized" for delayed ACKs
	offloads   netdev.Offloads // the route's device's, read at each output (tso.go)

	// arrivedAfter is the earliest the segment being processed can have
	// reached the device (zero: not known; netdev's Packet.ArrivedAfter).
	arrivedAfter time.Time

	rtxTimer, delackTimer, keepTimer clock.Timer
	rtxWhen, delackWhen, keepWhen    time.Time
	persist                          bool // rtxTimer is the persist timer
	probe                            bool // rtxTimer is the tail loss probe's (tlp.go)
	tlpOut                           bool // a probe went at tlpHigh (SND.MAX then): no other until it is acknowledged
	tlpHigh                          Seq
	tlpRetrans                       bool // that probe sent old data again (RFC 8985's TLP.is_retrans)
	probing                          bool // lossProbe's output: a held TSO tail goes as the probe (tso.go)
	reo                              bool // rtxTimer is RACK's reorder timer (rack.go)
	persistBackoff                   int

	recs      sendRecords // what is in flight, segment by segment (sendrec.go)
	rack      rackState   // RFC 8985 loss detection (rack.go)
	rate      rateState   // delivery rate (rate.go)
	dsackOut  SACKBlock   // duplicate data received, for a D-SACK (dsack.go)
	dsackWant bool

	wake          chan struct{} // closed on any change a blocked caller waits for
	readDeadline  time.Time
	writeDeadline time.Time
	established   chan struct{} // closed when the handshake ends (or fails)
	dead          bool          // out of the table
	buffers       int           // bytes reserved for the rings
	hist          *history      // nil unless recording (history.go)
}

// newConn makes a connection from local to remote in state CLOSED.
func (p *Protocol) newConn(local, remote netip.AddrPort) *Conn {
	c := &Conn{p: p, local: local, remote: remote, established: make(chan struct{})}
	c.rtt.init()
	if !c.cc.use(p.Config().CongestionControl) { // a Config made by hand, without one
		c.cc.use(DefaultCongestionControl)
	}
	return c
}

// notify wakes every caller blocked on c. Called with c.mu held.
func (c *Conn) notify() {
	if c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
}

// waitChan returns the channel the next notify closes. Called with c.mu held.
func (c *Conn) waitChan() chan struct{} {
	if c.wake == nil {
		c.wake = make(chan struct{})
	}
	return c.wake
}

// allocBuffers reserves and makes the rings at the sizes of the
// tunables; it reports false when the stack's bound is reached.
func (c *Conn) allocBuffers() bool {
	cfg := c.p.Config()
	n := cfg.Rmem[1] + cfg.Wmem[1]
	if !c.p.reserve(n) {
		return false
	}
	c.buffers = n
	c.rcv, c.snd = newRing(cfg.Rmem[1]), newRing(cfg.Wmem[1])
	return true
}

// rcvWindow is the room for data from RCV.NXT on.
func (c *Conn) rcvWindow() int { return c.rcv.free() }

// fail ends the connection with err (an Errno) for the application.
func (c *Conn) fail(err syscall.Errno) {
	if c.err == nil {
		c.err = err
	}
	c.terminate()
}

// timedOut ends the connection after its retransmissions or probes went
// unanswered: with the soft error if an ICMP error explained why (a
// router saying the host is unreachable), else ETIMEDOUT, as Linux.
func (c *Conn) timedOut() {
	if c.softErr != 0 {
		c.fail(c.softErr)
		return
	}
	c.fail(syscall.ETIMEDOUT)
}

// terminate moves c to CLOSED: timers stopped, out of the table, its
// buffers released once the application is done with them, waiters woken.
func (c *Conn) terminate() {
	if c.state == SynSent || c.state == SynReceived {
		c.p.Stats.AttemptFails.Add(1)
	}
	c.setState(Closed)
	c.stopTimers()
	if !c.dead {
		c.dead = true
		c.p.remove(c)
		if c.passive != nil {
			c.passive.childGone(c)
		}
	}
	c.signalEstablished()
	if c.appClosed {
		c.freeBuffers()
	}
	c.notify()
}

// freeBuffers gives the rings' bytes back to the stack's bound.
func (c *Conn) freeBuffers() {
	if c.buffers > 0 {
		c.p.release(c.buffers)
		c.buffers = 0
		c.rcv, c.snd = ring{}, ring{}
		c.recs = sendRecords{}
	}
}

func (c *Conn) signalEstablished() {
	select {
	case <-c.established:
	default:
		close(c.established)
	}
}

// unsent is how many buffered bytes have not been sent (from SND.NXT).
func (c *Conn) unsent() int { return max(0, c.snd.len()-c.sndNxt.Sub(c.sndBase)) }

// inFlight is how many bytes are sent and not acknowledged.
func (c *Conn) inFlight() int { return c.sndMax.Sub(c.sndUna) }
