package icmp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// Bounds of the ping engine.
const (
	MaxPings       = 1024 // pings running at once
	replyQueueLen  = 64   // events waiting for a ping to read them
	sentTimesSlots = 1024 // outstanding sequence numbers whose send time we keep
	// MaxPingPayload is the largest -s: 65535 - 20 (IP) - 8 (ICMP).
	MaxPingPayload = ip.MaxDatagram - ip.HeaderLen - HeaderLen
)

// ErrTooManyPings is returned when MaxPings are already running.
var ErrTooManyPings = errors.New("icmp: too many pings running")

// Reply is one thing a ping hears back: an echo reply, or an ICMP error
// about one of its requests (then Err is set).
type Reply struct {
	From  netip.Addr
	Seq   uint16
	TTL   uint8
	Bytes int           // ICMP message length (header + data), as ping prints
	RTT   time.Duration // zero if the send time is unknown
	Err   *ErrorReport  // non-nil for an ICMP error
}

// ErrorReport is an ICMP error that came back about a request.
type ErrorReport struct {
	Type, Code uint8
	MTU        int // next-hop MTU of "fragmentation needed"
}

// String prints the error as ping does: "Frag needed and DF set (mtu = 1400)".
func (e *ErrorReport) String() string {
	if e.Type == TypeDestUnreach && e.Code == CodeFragNeeded && e.MTU > 0 {
		return fmt.Sprintf("%s (mtu = %d)", TypeName(e.Type, e.Code), e.MTU)
	}
	return TypeName(e.Type, e.Code)
}

// Pinger is one running ping: an identifier of its own, so several pings
// at once never see each other's replies.
type Pinger struct {
	c       *Protocol
	id      uint16
	replies chan Reply

	mu   sync.Mutex
	sent [sentTimesSlots]sentTime
}

type sentTime struct {
	seq uint16
	at  time.Time
	ok  bool
}

// pingTable maps identifiers to running pings.
type pingTable struct {
	mu     sync.RWMutex
	byID   map[uint16]*Pinger
	lastID uint16
}

func (t *pingTable) init() { t.byID = map[uint16]*Pinger{} }

// NewPinger starts a ping with a fresh identifier. Close it when done.
func (c *Protocol) NewPinger() (*Pinger, error) {
	t := &c.pings
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byID) >= MaxPings {
		return nil, fmt.Errorf("%w (%d)", ErrTooManyPings, MaxPings)
	}
	for {
		t.lastID++ // skips ids in use; terminates since fewer than 65536 are
		if _, busy := t.byID[t.lastID]; !busy {
			break
		}
	}
	pg := &Pinger{c: c, id: t.lastID, replies: make(chan Reply, replyQueueLen)}
	t.byID[pg.id] = pg
	return pg, nil
}

// ID is the ping's ICMP identifier.
func (pg *Pinger) ID() uint16 { return pg.id }

// Replies delivers what comes back. Events are dropped (and counted) if the
// reader falls more than a queue behind.
func (pg *Pinger) Replies() <-chan Reply { return pg.replies }

// Close stops delivery and frees the identifier.
func (pg *Pinger) Close() {
	t := &pg.c.pings
	t.mu.Lock()
	delete(t.byID, pg.id)
	t.mu.Unlock()
}

// SendOptions are the per-request choices of ping.
type SendOptions struct {
	Size int   // data bytes after the ICMP header (ping -s), default 56
	TTL  uint8 // ping -t
	DF   bool
}

// Send sends echo request seq to dst. The data is filled as iputils ping
// fills it: a timestamp, then the byte pattern 0x10, 0x11, ...
func (pg *Pinger) Send(dst netip.Addr, seq uint16, opt SendOptions) error {
	if opt.Size < 0 || opt.Size > MaxPingPayload {
		return fmt.Errorf("ping: size %d: must be 0 to %d", opt.Size, MaxPingPayload)
	}
	c := pg.c
	n := HeaderLen + opt.Size
	p := c.pool.Get(n + ip.HeaderLen)
	msg := Header(p.Append(n))
	fillPattern(msg.Payload())
	now := time.Now()
	if opt.Size >= 8 {
		binary.BigEndian.PutUint64(msg.Payload(), uint64(now.UnixNano()))
	}
	msg.EncodeEcho(TypeEchoRequest, pg.id, seq)
	pg.mu.Lock()
	pg.sent[int(seq)%sentTimesSlots] = sentTime{seq: seq, at: now, ok: true}
	pg.mu.Unlock()
	c.count(TypeEchoRequest, nil, msg)
	err := c.ip.Output(p, netip.Addr{}, dst, ip.ProtoICMP, ip.Options{TTL: opt.TTL, DF: opt.DF})
	if err != nil {
		c.Stats.OutErrors.Add(1)
	}
	return err
}

func fillPattern(b []byte) {
	for i := range b {
		b[i] = byte(i + 8)
	}
}

// rtt returns how long ago seq was sent, or 0 if unknown.
func (pg *Pinger) rtt(seq uint16, now time.Time) time.Duration {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	s := pg.sent[int(seq)%sentTimesSlots]
	if !s.ok || s.seq != seq {
		return 0
	}
	return now.Sub(s.at)
}

func (t *pingTable) lookup(id uint16) *Pinger {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.byID[id]
}

// deliverReply hands an echo reply to the ping with its identifier.
func (t *pingTable) deliverReply(c *Protocol, p *netdev.Packet, iph ip.Header, h Header) {
	defer p.Free()
	pg := t.lookup(h.ID())
	if pg == nil {
		c.Stats.InEchoReplyNoPing.Add(1)
		c.Tracer.Drop(netdev.LayerICMP, p.Dev, h, "echo reply for no running ping")
		return
	}
	pg.post(c, Reply{From: iph.Src(), Seq: h.Seq(), TTL: iph.TTL(), Bytes: len(h), RTT: pg.rtt(h.Seq(), time.Now())})
}

// deliverError hands an ICMP error to the ping whose echo request it
// quotes (req: the quoted ICMP message, at least 8 bytes).
func (t *pingTable) deliverError(c *Protocol, iph ip.Header, h Header, req Header) {
	if req.Type() != TypeEchoRequest {
		return
	}
	if pg := t.lookup(req.ID()); pg != nil {
		pg.post(c, Reply{From: iph.Src(), Seq: req.Seq(), TTL: iph.TTL(), Bytes: len(h),
			Err: &ErrorReport{Type: h.Type(), Code: h.Code(), MTU: h.NextHopMTU()}})
	}
}

func (pg *Pinger) post(c *Protocol, r Reply) {
	select {
	case pg.replies <- r:
	default:
		c.Stats.InEchoReplyQueueFull.Add(1)
	}
}
