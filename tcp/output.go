package tcp

import (
	"net/netip"
	"syscall"

	"github.com/gotapip/gotapip/ip"
)

// tsOptLen is the room the timestamps option takes in every segment
// once negotiated (NOP NOP + 10).
const tsOptLen = 12

// transmit builds one segment in a fresh packet: header f, options o
// (nil: none), and n bytes from src at offset off, and hands it to IP
// with DF set (RFC 1191: TCP relies on PMTU discovery); so marks it for
// the device's offloads (tso.go). The packet is never kept: a
// retransmission builds a new one. It does not allocate.
func (p *Protocol) transmit(local, remote netip.AddrPort, f Fields, o *Options, src *ring, off, n int, so segmentOffload) error {
	optLen := 0
	if o != nil {
		optLen = o.Len()
	}
	pk := p.pool.Get(HeaderLen + optLen + n)
	if pk == nil {
		return syscall.EMSGSIZE
	}
	b := pk.Append(HeaderLen + optLen + n)
	if o != nil {
		o.Encode(b[HeaderLen:])
	}
	if n > 0 {
		src.peek(off, b[HeaderLen+optLen:])
	}
	f.SrcPort, f.DstPort, f.Src, f.Dst = local.Port(), remote.Port(), local.Addr(), remote.Addr()
	h := Header(b)
	if so.partialCsum {
		h.EncodePartial(f, optLen)
		markOffload(pk, h, so)
	} else {
		h.Encode(f, optLen)
	}
	if f.Flags&FlagRST != 0 {
		p.Stats.OutRsts.Add(1)
	}
	if p.tracing() {
		p.emit(TraceEvent{Kind: TraceOut, Src: f.Src, Dst: f.Dst, Segment: h, Local: local, Remote: remote, Reason: pk.GSONote()})
	}
	return p.ip.Output(pk, local.Addr(), remote.Addr(), ip.ProtoTCP, ip.Options{DF: true})
}

// replyReset answers a segment h from remote to local that belongs to no
// connection (RFC 9293 3.10.7.1): RST for anything but a RST.
func (p *Protocol) replyReset(local, remote netip.AddrPort, h Header) {
	if h.Flags()&FlagRST != 0 {
		return
	}
	f := Fields{Flags: FlagRST}
	if h.Flags()&FlagACK != 0 {
		f.Seq = h.Ack()
	} else {
		f.Flags |= FlagACK
		f.Ack = h.Seq().Add(h.SegLen())
	}
	p.transmit(local, remote, f, nil, nil, 0, 0, segmentOffload{})
}

// segmentOptions fills o with what a non-SYN segment carries: the
// timestamps once negotiated, SACK blocks for out-of-order data.
// dataLen is the data the segment carries: SACK blocks that would push
// it past the MTU are left out.
func (c *Conn) segmentOptions(o *Options, dataLen int) {
	if c.tsOK {
		o.HasTimestamp, o.TSVal, o.TSEcr = true, c.tsVal(), c.tsRecent
	}
	if c.sackOK && (c.ooo.n > 0 || c.dsackWant) {
		room := MaxSACKBlocks
		if c.tsOK {
			room = 3
		}
		if dataLen > 0 { // keep data + options within the MSS we computed without SACK
			room = 0
		}
		o.NumSACK = c.sackBlocksOut(o.SACK[:room])
	}
}

func (c *Conn) tsVal() uint32 { return c.p.tsNow() + c.tsOffset }

// window is the window field of a segment we send: the room from
// RCV.NXT, with receiver-side silly window avoidance (RFC 9293 3.8.6.2.2:
// the right edge moves only by min(buffer/2, MSS) or more), scaled.
func (c *Conn) window() uint16 {
	edge := c.rcvNxt.Add(c.rcvWindow())
	if edge.Sub(c.rcvAdv) < min(c.rcv.cap()/2, c.rcvMSS) && c.rcvAdv.GEQ(c.rcvNxt) {
		edge = c.rcvAdv
	}
	if edge.LT(c.rcvNxt) {
		edge = c.rcvNxt
	}
	w := min(edge.Sub(c.rcvNxt)>>c.rcvWScale, 0xffff)
	if adv := c.rcvNxt.Add(w << c.rcvWScale); adv.GT(c.rcvAdv) {
		c.rcvAdv = adv
	}
	return uint16(w)
}

// send sends one segment of the connection at seq with flags and n bytes
// of the send buffer, acknowledging RCV.NXT. Every segment but the first
// SYN carries an ACK.
func (c *Conn) send(seq Seq, flags Flags, n int) error {
	var o Options
	f := Fields{Seq: seq, Flags: flags}
	if c.state != SynSent || flags&FlagRST != 0 {
		f.Flags |= FlagACK
		f.Ack = c.rcvNxt
	}
	if flags&FlagSYN != 0 {
		c.synOptions(&o)
		f.Window = uint16(min(c.rcvWindow(), 0xffff)) // never scaled (RFC 7323 2.2)
		c.rcvAdv = c.rcvNxt.Add(int(f.Window))
	} else {
		c.segmentOptions(&o, n)
		f.Window = c.window()
	}
	if c.sackRecovering() {
		c.cc.prr.out += n // RFC 6937's prr_out
	}
	if flags&FlagSYN == 0 && (n > 0 || flags&FlagFIN != 0) {
		end := seq.Add(n)
		if flags&FlagFIN != 0 {
			end = end.Add(1)
		}
		c.recordSent(seq, end)
	}
	if f.Flags&FlagACK != 0 {
		c.lastAckSent = c.rcvNxt
		c.ackPending, c.ackNow = 0, false
		c.stopDelack()
	}
	// sndMax counts the SYN from the start (prepare): the first SYN or
	// SYN-ACK is new, a retransmission comes after an RTO (c.retries).
	rexmit := flags&FlagSYN != 0 && c.retries > 0 || flags&FlagSYN == 0 && seq.LT(c.sndMax) && (n > 0 || flags&FlagFIN != 0)
	if rexmit {
		c.p.Stats.RetransSegs.Add(c.wireSegments(n))
	} else {
		c.p.Stats.OutSegs.Add(c.wireSegments(n))
	}
	if c.hist != nil {
		c.historySegment(c.p.clock.Now(), true, rexmit, f, n, int(f.Window)<<c.rcvWScale, &o)
	}
	return c.p.transmit(c.local, c.remote, f, &o, &c.snd, seq.Sub(c.sndBase), n, c.offloadFor(n))
}

// synOptions are the options of our SYN (everything we support and have
// switched on) or SYN-ACK (what the peer offered too).
func (c *Conn) synOptions(o *Options) {
	cfg := c.p.Config()
	o.HasMSS, o.MSS = true, uint16(min(c.rcvMSS, 0xffff))
	active := c.state == SynSent
	if (active && cfg.WindowScaling) || (!active && c.wsOK) {
		o.HasWScale, o.WScale = true, c.rcvWScale
	}
	o.SACKPermitted = (active && cfg.SACK) || (!active && c.sackOK)
	if (active && cfg.Timestamps) || (!active && c.tsOK) {
		o.HasTimestamp, o.TSVal, o.TSEcr = true, c.tsVal(), c.tsRecent
	}
}

// sendAck sends a bare ACK now, at SND.MAX: after an RTO moved SND.NXT
// back, the peer has seen up to SND.MAX, and an ACK numbered below its
// RCV.NXT would fail its sequence check and go unread.
func (c *Conn) sendAck() { c.send(c.sndMax, 0, 0) }

// sendReset aborts the connection on the wire.
func (c *Conn) sendReset() { c.send(c.sndMax, FlagRST, 0) }

// sendProbe sends an ACK the peer must answer: SEG.SEQ = SND.UNA-1, no
// data (a keepalive or zero-window probe, as Linux sends them).
func (c *Conn) sendProbe() { c.send(c.sndUna.Add(-1), 0, 0) }

// output sends what the windows allow: new data (or data again after an
// RTO moved SND.NXT back), then our FIN. Small segments wait while data
// is unacknowledged (Nagle, RFC 9293 3.7.4) unless NoDelay; sender-side
// silly window avoidance (3.8.6.2.1) holds back a small usable window.
func (c *Conn) output() {
	switch c.state {
	case Established, CloseWait, FinWait1, Closing, LastAck:
	default:
		return
	}
	c.refreshOffloads()
	for {
		if c.sackRecovering() {
			if c.cc.cwnd-c.pipe() < c.mss {
				break
			}
			if c.recoverySegment(c.newDataAllowed()) {
				continue
			}
		}
		limit := c.sendLimit()
		if c.sndNxt.LT(c.sndMax) && c.sacked.n > 0 { // resending: skip what the peer holds
			next, left, ok := c.sacked.after(c.sndNxt)
			c.sndNxt = MinSeq(next, c.sndMax)
			if ok {
				limit = min(limit, max(left.Sub(c.sndNxt), 0))
			}
		}
		avail := c.unsent()
		win := c.sendWindow()
		n := max(0, min(avail, limit, win))
		if n > c.mss && n < avail {
			n -= n % c.mss // a super-frame cut into full pieces; a short one only at the end of the data
		}
		fin := c.finQueued && n == avail && c.sndNxt.Add(n) == c.finSeq
		if n == 0 && !fin {
			break
		}
		resend := c.sndNxt.LT(c.sndMax)
		if c.holdTail(n, avail, limit) && !fin && !resend {
			break
		}
		if n < c.mss && !fin && !resend {
			nagleOK := c.noDelay || c.inFlight() == 0
			if !(n == avail && nagleOK) && !(n >= c.maxSndWnd/2 && nagleOK) {
				break
			}
		}
		flags := Flags(0)
		if n > 0 && n == avail {
			flags |= FlagPSH
		}
		if fin {
			flags |= FlagFIN
		}
		c.send(c.sndNxt, flags, n)
		c.sndNxt = c.sndNxt.Add(n)
		if fin {
			c.sndNxt = c.sndNxt.Add(1)
		}
		c.sndMax = MaxSeq(c.sndMax, c.sndNxt)
		if c.rtxWhen.IsZero() || c.persist {
			c.armRtxOrProbe()
		}
		if fin {
			break
		}
	}
	if c.unsent() > 0 && c.inFlight() == 0 && c.rtxWhen.IsZero() {
		c.armPersist()
	}
	c.checkAppLimited()
}

// sendWindow is how much may go from SND.NXT: the peer's window and the
// congestion window; in SACK recovery, cwnd - pipe (RFC 6675 5); on the
// first two duplicate ACKs, a segment more each (limited transmit, RFC
// 3042: cwnd itself stays).
func (c *Conn) sendWindow() int {
	rwnd := c.sndUna.Add(c.sndWnd).Sub(c.sndNxt)
	switch {
	case c.sackRecovering():
		return min(rwnd, c.cc.cwnd-c.pipe())
	case !c.cc.inRecovery && c.cc.dupAcks < dupThresh && c.sndNxt == c.sndMax:
		return min(rwnd, c.sndUna.Add(c.cc.cwnd+c.cc.dupAcks*c.mss).Sub(c.sndNxt))
	}
	return c.sndUna.Add(min(c.sndWnd, c.cc.cwnd)).Sub(c.sndNxt)
}

// newDataAllowed reports whether RFC 6675's NextSeg rule 2 applies: data
// (or our FIN) not yet sent, and room in the peer's window.
func (c *Conn) newDataAllowed() bool {
	pending := c.unsent() > 0 || c.finQueued && c.sndMax.LEQ(c.finSeq)
	return pending && c.sndUna.Add(c.sndWnd).GT(c.sndNxt)
}

// retransmitHead sends the first unacknowledged segment again (fast
// retransmit, a NewReno partial ACK, a smaller MSS), leaving SND.NXT. It
// returns the sequence space sent.
func (c *Conn) retransmitHead(reason string) int {
	n := c.mss
	if _, left, ok := c.sacked.after(c.sndUna); ok {
		n = min(n, left.Sub(c.sndUna)) // up to what the peer already holds
	}
	return c.resend(c.sndUna, n, reason)
}

// resend sends up to n bytes at seq again (with our FIN if it is the
// last of them), leaving SND.NXT, and returns the sequence space sent.
func (c *Conn) resend(seq Seq, n int, reason string) int {
	n = max(min(n, c.snd.len()-seq.Sub(c.sndBase), c.sndMax.Sub(seq)), 0)
	flags := Flags(0)
	if c.finQueued && seq.Add(n) == c.finSeq && c.sndMax.GT(c.finSeq) {
		flags |= FlagFIN
	}
	if n == 0 && flags == 0 {
		return 0
	}
	if c.cc.inRecovery {
		c.p.Stats.FastRetrans.Add(1) // as Linux: every retransmission in fast recovery
	}
	if c.sackRecovering() {
		c.cc.rxt.note(seq, seq.Add(max(n, 1)), c.sndMax)
	}
	c.noteRetransmit(n)
	c.traceEvent(TraceRetransmit, reason)
	c.send(seq, flags, n)
	if flags&FlagFIN != 0 {
		return n + 1
	}
	return n
}
