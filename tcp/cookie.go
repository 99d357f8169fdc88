package tcp

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// SYN cookies: when the SYN queue is full, the SYN-ACK's ISN encodes
// what the connection needs, and no state is kept; the ACK that completes
// the handshake brings the cookie back (ACK - 1) and the connection is
// made from it. Layout of the 32 bits:
//
//	 0         4 5   7 8                                         31
//	+-----------+-----+--------------------------------------------+
//	| count%32  | MSS |   keyed hash of tuple, peer ISN, count, MSS  |
//	+-----------+-----+--------------------------------------------+
//
// count is the clock in 64 s steps; a cookie is good for the step it was
// made in and the next (64-128 s, as Linux's). Only the MSS survives:
// cookie connections run without window scaling, SACK and timestamps,
// so the SYN-ACK offers none of them.

var cookieMSS = [8]uint16{536, 1200, 1360, 1440, 1460, 4312, 8960, 65483}

const cookiePeriod = 64 * time.Second

func (p *Protocol) cookieCount() uint32 {
	return uint32(p.clock.Now().Sub(time.Unix(0, 0)) / cookiePeriod)
}

func (p *Protocol) makeCookie(local, remote netip.AddrPort, peerISN Seq, count uint32, mssIdx int) Seq {
	sum := p.hashTuple(local, remote, uint32(peerISN), count<<3|uint32(mssIdx))
	hash := binary.BigEndian.Uint32(sum[:]) & 0xffffff
	return Seq((count%32)<<27 | uint32(mssIdx)<<24 | hash)
}

// checkCookie returns the MSS a cookie encodes, or false if it is not
// one we made in the last two periods.
func (p *Protocol) checkCookie(local, remote netip.AddrPort, peerISN, cookie Seq) (int, bool) {
	now := p.cookieCount()
	mssIdx := int(cookie>>24) & 7
	for _, count := range []uint32{now, now - 1} {
		if uint32(cookie>>27) == count%32 && p.makeCookie(local, remote, peerISN, count, mssIdx) == cookie {
			return int(cookieMSS[mssIdx]), true
		}
	}
	return 0, false
}

// sendCookie answers a SYN with a cookie SYN-ACK and keeps nothing.
func (l *Listener) sendCookie(local, remote netip.AddrPort, h Header, o *Options, mtu int) {
	mss := DefaultMSS
	if o.HasMSS {
		mss = int(o.MSS)
	}
	mss = min(mss, mtu-40)
	idx := 0
	for i, m := range cookieMSS {
		if int(m) <= mss {
			idx = i
		}
	}
	cookie := l.p.makeCookie(local, remote, h.Seq(), l.p.cookieCount(), idx)
	l.p.Stats.SyncookiesSent.Add(1)
	opts := Options{HasMSS: true, MSS: uint16(min(mtu-40, 0xffff))}
	f := Fields{Seq: cookie, Ack: h.Seq().Add(1), Flags: FlagSYN | FlagACK, Window: uint16(min(l.p.Config().Rmem[1], 0xffff))}
	l.p.transmit(local, remote, f, &opts, nil, 0, 0, segmentOffload{})
}

// cookieACK makes a connection from an ACK that carries a valid cookie;
// it reports false if it does not (the caller answers with RST).
func (l *Listener) cookieACK(local, remote netip.AddrPort, h Header, o *Options) bool {
	mss, ok := l.p.checkCookie(local, remote, h.Seq().Add(-1), h.Ack().Add(-1))
	if !ok {
		l.p.Stats.SyncookiesFailed.Add(1)
		return false
	}
	mtu, err := l.p.ip.RouteMTU(remote.Addr())
	if err != nil {
		return false
	}
	c := l.p.newConn(local, remote)
	c.passive = l
	if !c.allocBuffers() || l.p.insert(c) != nil {
		c.freeBuffers()
		l.p.Stats.ListenDrops.Add(1)
		return true // counted; the peer's retransmission may find room
	}
	l.p.Stats.SyncookiesRecv.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prepare(mtu)
	c.iss = h.Ack().Add(-1)
	c.sndUna, c.sndNxt, c.sndMax, c.sndBase = c.iss, c.iss.Add(1), c.iss.Add(1), c.iss.Add(1)
	c.irs, c.rcvNxt = h.Seq().Add(-1), h.Seq()
	c.rcvWScale = 0
	c.mss = max(min(mss, c.rcvMSS), MinMSS)
	c.cc.init(c.mss, c.iss)
	c.rcvAdv = c.rcvNxt.Add(min(c.rcvWindow(), 0xffff))
	c.p.Stats.PassiveOpens.Add(1)
	c.setState(SynReceived)
	c.segmentArrives(h, &Options{}) // the ACK completes the handshake, and may carry data
	if c.state == SynReceived {     // the accept queue was full: forget it, as if never seen
		c.terminate()
	}
	c.notify()
	return true
}
