package icmp

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// This file wires netdev, ip and icmp by hand, without the stack package:
// one device, veth0 (02:00:0a:00:00:01, 10.0.0.1/24, default route via
// 10.0.0.254), whose frames go to a recording wire, and a resolver that
// sends every datagram to the peer's MAC.

var (
	ourMAC  = netdev.MAC{0x02, 0x00, 0x0a, 0x00, 0x00, 0x01}
	peerMAC = netdev.MAC{0x02, 0x00, 0x0a, 0x00, 0x00, 0x02}
	ourIP   = netip.MustParseAddr("10.0.0.1")
	peerIP  = netip.MustParseAddr("10.0.0.2")
	gwIP    = netip.MustParseAddr("10.0.0.254")
)

type recorder struct {
	mu      sync.Mutex
	frames  [][]byte
	discard bool // record nothing (allocation tests)
}

func (r *recorder) ReadFrame([]byte) (int, error) { return 0, netdev.ErrClosed }
func (r *recorder) Close() error                  { return nil }
func (r *recorder) Kind() string                  { return "fake" }
func (r *recorder) WriteFrame(f []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.discard {
		r.frames = append(r.frames, append([]byte(nil), f...))
	}
	return nil
}

func (r *recorder) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.frames
	r.frames = nil
	return f
}

// staticResolver resolves every next hop to peerMAC and remembers the hops.
type staticResolver struct {
	mu   sync.Mutex
	hops []netip.Addr
}

func (s *staticResolver) Resolve(dev *netdev.NetDev, nextHop netip.Addr, p *netdev.Packet) error {
	s.mu.Lock()
	s.hops = append(s.hops, nextHop)
	if len(s.hops) > 100 {
		s.hops = s.hops[:0]
	}
	s.mu.Unlock()
	return dev.Transmit(p, peerMAC, netdev.EtherTypeIPv4)
}

type host struct {
	t    *testing.T
	pool *netdev.Pool
	wire *recorder
	dev  *netdev.NetDev
	ip   *ip.Layer
	icmp *Protocol
}

func newHost(t *testing.T) *host {
	t.Helper()
	h := &host{t: t, pool: netdev.NewPool(), wire: &recorder{}}
	h.ip = ip.NewLayer(h.pool, &staticResolver{})
	h.icmp = New(h.ip, h.pool)
	h.ip.Register(ip.ProtoICMP, h.icmp.Input)
	demux := &netdev.Demux{}
	demux.Register(netdev.EtherTypeIPv4, h.ip.Input)
	var err error
	h.dev, err = netdev.New(netdev.Config{Name: "veth0", MAC: ourMAC}, h.wire, demux, h.pool)
	if err != nil {
		t.Fatal(err)
	}
	h.dev.SetUp(true)
	h.ip.AttachDevice(h.dev)
	if err := h.ip.SetAddress(h.dev, netip.MustParsePrefix("10.0.0.1/24")); err != nil {
		t.Fatal(err)
	}
	if err := h.ip.Routes.Add(ip.Route{Prefix: netip.MustParsePrefix("0.0.0.0/0"), Gateway: gwIP, Dev: h.dev}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if n := h.pool.InUse(); n != 0 {
			t.Errorf("%d packets still in use at the end (leak)", n)
		}
	})
	return h
}

// frame builds an Ethernet frame to dstMAC carrying an IPv4 datagram from
// src to dst with ICMP message msg (checksum already set), IP options opts,
// TTL ttl and TOS tos.
func frame(dstMAC netdev.MAC, src, dst netip.Addr, ttl, tos uint8, opts, msg []byte) []byte {
	hl := ip.HeaderLen + len(opts)
	b := make([]byte, netdev.EthernetHeaderLen+hl+len(msg))
	e := netdev.Ethernet(b)
	e.SetDst(dstMAC)
	e.SetSrc(peerMAC)
	e.SetEtherType(netdev.EtherTypeIPv4)
	iph := ip.Header(b[netdev.EthernetHeaderLen : netdev.EthernetHeaderLen+hl])
	iph[:ip.HeaderLen].Encode(ip.Fields{TOS: tos, TotalLen: hl + len(msg), ID: 7, TTL: ttl, Protocol: ip.ProtoICMP, Src: src, Dst: dst})
	iph[0] = 0x40 | byte(hl/4)
	copy(iph[ip.HeaderLen:], opts)
	iph.UpdateChecksum()
	copy(b[netdev.EthernetHeaderLen+hl:], msg)
	if len(b) < netdev.EthernetMinFrame {
		b = append(b, make([]byte, netdev.EthernetMinFrame-len(b))...) // padding
	}
	return b
}

func (h *host) receive(f []byte) {
	p := h.pool.Get(len(f))
	copy(p.Append(len(f)), f)
	h.dev.Receive(p)
}

// echo returns an echo message of the given type with size data bytes.
func echo(typ uint8, id, seq uint16, size int) []byte {
	m := make([]byte, HeaderLen+size)
	for i := HeaderLen; i < len(m); i++ {
		m[i] = byte(i)
	}
	Header(m).EncodeEcho(typ, id, seq)
	return m
}

// sentDatagram is a transmitted frame, decoded.
type sentDatagram struct {
	dstMAC netdev.MAC
	ip     ip.Header
	msg    Header
}

func (h *host) sent() []sentDatagram {
	h.t.Helper()
	var out []sentDatagram
	for _, f := range h.wire.take() {
		e, _ := netdev.ParseEthernet(f)
		if e.EtherType() != netdev.EtherTypeIPv4 {
			h.t.Fatalf("sent a %s frame", netdev.EtherTypeName(e.EtherType()))
		}
		d := f[netdev.EthernetHeaderLen:]
		iph, err := ip.Parse(d)
		if err != nil {
			h.t.Fatalf("sent a bad IPv4 header: %v\n% x", err, d)
		}
		msg, err := Parse(d[iph.IHL():iph.TotalLen()])
		if err != nil {
			h.t.Fatalf("sent a bad ICMP message: %v", err)
		}
		out = append(out, sentDatagram{e.Dst(), iph, msg})
	}
	return out
}
