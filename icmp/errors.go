package icmp

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

var _ ip.ErrorReporter = (*Protocol)(nil)

// Default rate limit of the errors we send: a token bucket like Linux's
// icmp_msgs_per_sec (1000) with icmp_msgs_burst (50). SetErrorRate changes it.
const (
	ErrorsPerSecond = 1000
	ErrorBurst      = 50
	// maxQuoted bounds an error message (RFC 1812 4.3.2.3: the quote is as
	// much of the datagram as fits in 576 bytes).
	maxErrorDatagram = 576
)

// tokenBucket allows rate events per second with bursts of burst.
type tokenBucket struct {
	mu          sync.Mutex
	rate, burst int // 0 means the defaults
	tokens      float64
	last        time.Time
}

// SetErrorRate sets how many ICMP errors may be sent per second and in a
// burst (sysctl net.ipv4.icmp_msgs_per_sec, icmp_msgs_burst).
func (c *Protocol) SetErrorRate(perSecond, burst int) {
	b := &c.errorBucket
	b.mu.Lock()
	b.rate, b.burst = perSecond, burst
	b.mu.Unlock()
}

// ErrorRate returns the errors allowed per second and in a burst.
func (c *Protocol) ErrorRate() (perSecond, burst int) {
	b := &c.errorBucket
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limits()
}

func (b *tokenBucket) limits() (rate, burst int) {
	rate, burst = b.rate, b.burst
	if rate <= 0 {
		rate = ErrorsPerSecond
	}
	if burst <= 0 {
		burst = ErrorBurst
	}
	return rate, burst
}

func (b *tokenBucket) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	rate, burst := b.limits()
	if b.last.IsZero() {
		b.tokens = float64(burst)
	} else if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(float64(burst), b.tokens+elapsed*float64(rate))
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// typeCode maps an ip.ErrorKind to ICMP's numbers, and back.
var typeCode = map[ip.ErrorKind][2]uint8{
	ip.NetUnreachable:   {TypeDestUnreach, CodeNetUnreach},
	ip.HostUnreachable:  {TypeDestUnreach, CodeHostUnreach},
	ip.ProtoUnreachable: {TypeDestUnreach, CodeProtoUnreach},
	ip.PortUnreachable:  {TypeDestUnreach, CodePortUnreach},
	ip.FragNeeded:       {TypeDestUnreach, CodeFragNeeded},
	ip.TTLExceeded:      {TypeTimeExceeded, CodeTTLExceeded},
	ip.ReasmTimeout:     {TypeTimeExceeded, CodeReasmExceeded},
	ip.ParamProblem:     {TypeParamProblem, 0},
}

func kindOf(typ, code uint8) (ip.ErrorKind, bool) {
	for k, tc := range typeCode {
		if tc == [2]uint8{typ, code} {
			return k, true
		}
	}
	if typ == TypeDestUnreach { // other unreachable codes (admin prohibited, ...): host unreachable to the sender
		return ip.HostUnreachable, true
	}
	return 0, false
}

// ReportError sends an ICMP error about the datagram in p (ip.ErrorReporter),
// following RFC 1122 3.2.2: never about an ICMP error, a datagram to a
// broadcast or multicast address, a non-first fragment, or a source that is
// not one host. It does not take ownership of p.
func (c *Protocol) ReportError(p *netdev.Packet, kind ip.ErrorKind, info int) {
	orig, err := ip.ParseQuoted(p.Network())
	tc, known := typeCode[kind]
	if err != nil || !known || !c.mayReportAbout(p, orig) {
		c.Stats.OutErrorsSuppressed.Add(1)
		return
	}
	// Fragmentation needed is exempt, as in Linux: path-MTU discovery
	// depends on every one arriving (RFC 1191). So are errors about our
	// own datagrams (ARP gave up): they go to ourselves, on lo, which
	// Linux does not limit either, and each is a sender waiting to hear.
	toUs := c.ip.LocalDevice(orig.Src()) != nil
	if kind != ip.FragNeeded && !toUs && !c.errorBucket.allow(c.Now()) {
		c.Stats.OutRateLimited.Add(1)
		return
	}
	quote := p.Network()
	quote = quote[:min(len(quote), orig.TotalLen(), maxErrorDatagram-ip.HeaderLen-HeaderLen)]
	out := c.pool.Get(HeaderLen + len(quote) + ip.HeaderLen)
	msg := Header(out.Append(HeaderLen + len(quote)))
	msg[offType], msg[offCode] = tc[0], tc[1]
	binary.BigEndian.PutUint32(msg[offID:], 0)
	switch kind {
	case ip.FragNeeded:
		binary.BigEndian.PutUint16(msg[offSeq:], uint16(info))
	case ip.ParamProblem:
		msg[offID] = uint8(info)
	}
	copy(msg[HeaderLen:], quote)
	msg.SetChecksum()
	src := orig.Dst()
	if c.ip.LocalDevice(src) == nil { // forwarded: from the interface it came in on, if it has an address
		src = netip.Addr{}
		if p.Dev != nil {
			src = p.Dev.Addr().Addr() // invalid if none: Output then picks one
		}
	}
	c.count(tc[0], p.Dev, msg)
	if c.ip.Output(out, src, orig.Src(), ip.ProtoICMP, ip.Options{}) != nil {
		c.Stats.OutErrors.Add(1)
	}
}

// mayReportAbout applies RFC 1122's rules for sending an error.
func (c *Protocol) mayReportAbout(p *netdev.Packet, orig ip.Header) bool {
	src, dst := orig.Src(), orig.Dst()
	switch {
	case p.Type == netdev.PacketBroadcast || p.Type == netdev.PacketMulticast:
		return false
	case dst.IsMulticast() || (p.Dev != nil && ip.IsBroadcast(p.Dev, dst)):
		return false
	case src.IsUnspecified() || src.IsMulticast() || (p.Dev != nil && ip.IsBroadcast(p.Dev, src)):
		return false
	case orig.FragOffset() != 0:
		return false
	case orig.Protocol() == ip.ProtoICMP:
		data := p.Network()[orig.IHL():]
		return len(data) > 0 && isQuery(data[0])
	}
	return true
}

// isQuery reports whether an ICMP type is a query (not an error): we may
// send errors about queries only.
func isQuery(typ uint8) bool {
	switch typ {
	case TypeEchoRequest, TypeEchoReply, 13, 14, 15, 16, 17, 18: // timestamp, info, address mask
		return true
	}
	return false
}

// errorInput handles an ICMP error that arrived: pings get those about their
// echo requests, other protocols (UDP) through ip.DeliverError.
func (c *Protocol) errorInput(p *netdev.Packet, iph ip.Header, h Header) {
	defer p.Free()
	quoted, err := ip.ParseQuoted(h.Payload())
	if err != nil || len(h.Payload()) < quoted.IHL()+8 {
		c.Stats.InErrors.Add(1)
		return
	}
	transport := h.Payload()[quoted.IHL():]
	if quoted.Protocol() == ip.ProtoICMP {
		c.pings.deliverError(c, iph, h, transport)
		return
	}
	if kind, ok := kindOf(h.Type(), h.Code()); ok {
		info := h.NextHopMTU()
		if kind == ip.ParamProblem {
			info = int(h[offID])
		}
		c.ip.DeliverError(iph.Src(), kind, info, quoted, transport)
	}
}
