package tcp

import (
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gotapip/gotapip/ip"
)

// MinMSS is the smallest MSS we send with, whatever an ICMP error or an
// MSS option says (Linux's tcp_min_snd_mss).
const MinMSS = 48

// DefaultMSS is the peer's MSS when its SYN has no option (RFC 9293 3.7.1).
const DefaultMSS = 536

// isn is RFC 6528's initial sequence number: a keyed hash of the
// connection's addresses and ports plus a 4 µs clock, so a peer cannot
// guess another connection's ISN and a reused tuple starts ahead.
func (p *Protocol) isn(local, remote netip.AddrPort) Seq {
	sum := p.hashTuple(local, remote, 0, 0)
	m := uint32(p.clock.Now().UnixNano() / 4000)
	return Seq(binary.BigEndian.Uint32(sum[:]) + m)
}

// hashTuple is the keyed hash of a connection's tuple with two extra
// words (ISN, SYN cookies, timestamp offsets).
func (p *Protocol) hashTuple(local, remote netip.AddrPort, a, b uint32) [32]byte {
	var in [32 + 12 + 8]byte
	copy(in[:], p.secret[:])
	l, r := local.Addr().As4(), remote.Addr().As4()
	copy(in[32:], l[:])
	copy(in[36:], r[:])
	binary.BigEndian.PutUint16(in[40:], local.Port())
	binary.BigEndian.PutUint16(in[42:], remote.Port())
	binary.BigEndian.PutUint32(in[44:], a)
	binary.BigEndian.PutUint32(in[48:], b)
	return sha256.Sum256(in[:])
}

// wscaleFor is the shift that lets a window reach max bytes.
func wscaleFor(max int) uint8 {
	s := uint8(0)
	for s < MaxWScale && 0xffff<<s < max {
		s++
	}
	return s
}

// prepare sets what both opens need: ISN, our MSS from the route's MTU,
// our window shift, the timestamp offset.
func (c *Conn) prepare(mtu int) {
	cfg := c.p.Config()
	c.iss = c.p.isn(c.local, c.remote)
	c.sndUna, c.sndNxt, c.sndMax, c.sndBase = c.iss, c.iss, c.iss, c.iss.Add(1)
	c.rcvMSS = max(min(mtu, ip.MaxDatagram)-40, MinMSS) // IPv4 and TCP headers without options; lo's MTU is 64 KiB
	c.mss = DefaultMSS
	if cfg.WindowScaling {
		c.rcvWScale = wscaleFor(cfg.Rmem[2])
	}
	sum := c.p.hashTuple(c.local, c.remote, 1, 0)
	c.tsOffset = binary.BigEndian.Uint32(sum[:]) // RFC 7323 5.4: a per-connection offset
	c.lastRecv = c.p.clock.Now()
}

// negotiate applies the options of the peer's SYN: an option is in force
// when both sides are willing (RFC 7323 1.3, RFC 2018 2).
func (c *Conn) negotiate(o *Options, active bool) {
	cfg := c.p.Config()
	peerMSS := DefaultMSS
	if o.HasMSS {
		peerMSS = int(o.MSS)
	}
	c.wsOK = cfg.WindowScaling && o.HasWScale
	if c.wsOK {
		c.sndWScale = min(o.WScale, MaxWScale)
	} else {
		c.sndWScale, c.rcvWScale = 0, 0
	}
	c.sackOK = cfg.SACK && o.SACKPermitted
	c.tsOK = cfg.Timestamps && o.HasTimestamp
	c.mss = max(min(peerMSS, c.rcvMSS), MinMSS)
	if c.tsOK {
		c.mss -= tsOptLen
		c.tsRecent, c.tsRecentAt = o.TSVal, c.p.clock.Now()
	}
	c.cc.init(c.mss, c.iss)
}

// connect starts an active open: SYN-SENT, our SYN out, the timer on.
// Called with c.mu held, c in the table.
func (c *Conn) connect(mtu int) {
	c.prepare(mtu)
	c.p.Stats.ActiveOpens.Add(1)
	c.setState(SynSent)
	c.armRtx() // before the SYN: a test's fake clock may move as soon as it sees it
	c.sendSYN()
}

// accept starts a passive open from the peer's SYN h: SYN-RECEIVED, our
// SYN-ACK out. Called with c.mu held, c in the table.
func (c *Conn) acceptSYN(h Header, o *Options, mtu int) {
	c.prepare(mtu)
	c.irs, c.rcvNxt = h.Seq(), h.Seq().Add(1)
	c.negotiate(o, false)
	c.sndWnd, c.maxSndWnd = int(h.Window()), int(h.Window())
	c.p.Stats.PassiveOpens.Add(1)
	c.setState(SynReceived)
	c.armRtx()
	c.sendSYN()
}

// sendSYN sends our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), the first
// time or again.
func (c *Conn) sendSYN() {
	if c.sndMax == c.iss { // the first: timed (synRTT); a retransmission is not (Karn)
		c.synAt = c.p.clock.Now()
	} else {
		c.synAt = time.Time{}
	}
	c.send(c.iss, FlagSYN, 0)
	c.sndNxt, c.sndMax = c.iss.Add(1), c.iss.Add(1)
}
