package tcp

import (
	"encoding/binary"
	"net/netip"

	"github.com/gotapip/gotapip/ip"
)

// HandleError is ip's error handler for TCP: an ICMP error about a
// segment we sent. It is checked against the connection first (RFC 5927
// 4.1: the quoted sequence number must be in SND.UNA..SND.MAX, so a blind
// attacker cannot reset or slow a connection). Then: unreachable during
// SYN-SENT fails the connect (ECONNREFUSED, EHOSTUNREACH, ...; and a
// parameter problem, EPROTO: ip.ErrorKind.Errno, shared with udp), as
// Linux; otherwise it is a soft error, kept for the application should
// the connection time out (EHOSTUNREACH instead of ETIMEDOUT), as Linux;
// fragmentation needed shrinks the MSS to the reported MTU (RFC 1191)
// and sends the lost segment again at the new size.
func (p *Protocol) HandleError(from netip.Addr, kind ip.ErrorKind, info int, quoted ip.Header, transport []byte) {
	if len(transport) < 8 {
		p.Stats.ICMPIgnored.Add(1)
		return
	}
	local := netip.AddrPortFrom(quoted.Src(), binary.BigEndian.Uint16(transport[0:]))
	remote := netip.AddrPortFrom(quoted.Dst(), binary.BigEndian.Uint16(transport[2:]))
	seq := Seq(binary.BigEndian.Uint32(transport[4:]))
	c, _ := p.lookup(local, remote)
	if c == nil {
		p.Stats.ICMPIgnored.Add(1)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || seq.LT(c.sndUna) || !seq.LT(c.sndMax) {
		p.Stats.ICMPIgnored.Add(1)
		return
	}
	if kind == ip.FragNeeded {
		c.shrinkMSS(info)
		return
	}
	errno, hard := kind.Errno()
	if hard && c.state == SynSent {
		c.fail(errno)
		return
	}
	c.softErr = errno // reported if the connection times out (Linux's sk_err_soft)
}

// shrinkMSS applies a fragmentation-needed error reporting mtu.
func (c *Conn) shrinkMSS(mtu int) {
	mss := mtu - 40
	if c.tsOK {
		mss -= tsOptLen
	}
	if mtu < 68 || mss >= c.mss {
		c.p.Stats.ICMPIgnored.Add(1)
		return
	}
	c.mss = max(mss, MinMSS)
	c.rcvMSS = min(c.rcvMSS, max(mtu-40, MinMSS))
	c.sndNxt = c.sndUna // what went at the old size was dropped on the way
	c.output()
	c.notify()
}
