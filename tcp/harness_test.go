package tcp

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/fakeclock"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// The in-process tests drive one Protocol from the wire side, packetdrill
// style: the test injects segments from a scripted peer with Input and
// sees what TCP sends through a resolver that captures it, all on the
// test's goroutine, with a fake clock firing the timers. No sleeps, no
// goroutines (but for a blocking Dial).

var (
	ourAddr  = netip.MustParseAddr("10.0.0.1")
	peerAddr = netip.MustParseAddr("10.0.0.2")
	ourPort  = netip.AddrPortFrom(ourAddr, 80)
	peerPort = netip.AddrPortFrom(peerAddr, 40000)
)

type nopDriver struct{}

func (nopDriver) ReadFrame([]byte) (int, error) { select {} }
func (nopDriver) WriteFrame([]byte) error       { return nil }
func (nopDriver) Close() error                  { return nil }
func (nopDriver) Kind() string                  { return "test" }

// testNet is a Protocol on a device with 10.0.0.1/24 whose resolver
// captures every datagram sent.
type testNet struct {
	t       testing.TB
	p       *Protocol
	clk     *fakeclock.Clock
	pool    *netdev.Pool
	dev     *netdev.NetDev
	out     chan Header          // TCP segments sent, copied
	discard bool                 // free sent datagrams without capturing (allocation tests)
	offload chan int             // with an offload device: each segment's GSO piece size, 0 if none, -1 if its checksum is complete
	mark    func(*netdev.Packet) // if set, applied to each injected segment (at its TCP header) before Input
	synRTT  time.Duration        // accept: the peer's ACK comes this long after our SYN-ACK
}

func (n *testNet) Resolve(_ *netdev.NetDev, _ netip.Addr, pk *netdev.Packet) error {
	if n.offload != nil {
		n.offload <- offloadMark(pk)
	}
	if !n.discard {
		seg := append([]byte(nil), pk.Data()[ip.HeaderLen:]...)
		select {
		case n.out <- Header(seg):
		default:
			n.t.Errorf("more than %d segments not read by the test", cap(n.out))
		}
	}
	pk.Free()
	return nil
}

func newTestNet(t testing.TB, mod func(*Config)) *testNet { return newTestNetOn(t, nopDriver{}, mod) }

// newTestNetOn is newTestNet on a device over drv.
func newTestNetOn(t testing.TB, drv netdev.Driver, mod func(*Config)) *testNet {
	n := &testNet{t: t, clk: fakeclock.New(time.Unix(1_700_000_000, 0)), pool: netdev.NewPool(), out: make(chan Header, 4096)}
	l := ip.NewLayer(n.pool, n)
	l.Now = n.clk.Now
	dev, err := netdev.New(netdev.Config{Name: "t0", MAC: netdev.MAC{2, 0, 0, 0, 0, 1}}, drv, &netdev.Demux{}, n.pool)
	if err != nil {
		t.Fatal(err)
	}
	dev.SetUp(true)
	l.AttachDevice(dev)
	if err := l.SetAddress(dev, netip.MustParsePrefix("10.0.0.1/24")); err != nil {
		t.Fatal(err)
	}
	n.dev = dev
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	n.p = New(l, n.pool, n.clk, cfg)
	return n
}

// inject delivers a segment from `from` to `to` as if it came off the wire.
func (n *testNet) inject(from, to netip.AddrPort, f Fields, o *Options, data []byte) {
	var raw [MaxOptionsLen]byte
	k := 0
	if o != nil {
		k = o.Encode(raw[:])
	}
	n.injectRaw(from, to, f, raw[:k], data)
}

// injectRaw is inject with the option bytes as given (a multiple of 4).
func (n *testNet) injectRaw(from, to netip.AddrPort, f Fields, opts, data []byte) {
	tl := HeaderLen + len(opts) + len(data)
	pk := n.pool.Get(ip.HeaderLen + tl)
	b := pk.Append(ip.HeaderLen + tl)
	ip.Header(b).Encode(ip.Fields{TotalLen: len(b), TTL: 64, Protocol: ip.ProtoTCP, Src: from.Addr(), Dst: to.Addr()})
	copy(b[ip.HeaderLen+HeaderLen:], opts)
	copy(b[ip.HeaderLen+HeaderLen+len(opts):], data)
	f.SrcPort, f.DstPort, f.Src, f.Dst = from.Port(), to.Port(), from.Addr(), to.Addr()
	Header(b[ip.HeaderLen:]).Encode(f, len(opts))
	pk.Dev = n.dev
	pk.MarkNetwork()
	iph := ip.Header(pk.Pull(ip.HeaderLen))
	pk.MarkTransport()
	if n.mark != nil {
		n.mark(pk)
	}
	n.p.Input(pk, iph)
}

// next returns the next segment TCP sent; it fails the test if none
// comes within 5 s of real time (only a Dial on another goroutine needs
// the wait).
func (n *testNet) next() Header {
	n.t.Helper()
	select {
	case h := <-n.out:
		return h
	case <-time.After(5 * time.Second):
		n.t.Fatal("TCP sent nothing")
		return nil
	}
}

// none fails the test if TCP sent anything not yet read.
func (n *testNet) none() {
	n.t.Helper()
	select {
	case h := <-n.out:
		n.t.Fatalf("unexpected segment %s", h)
	default:
	}
}

// expect reads the next segment and checks its flags, seq and ack
// (flags exactly; seq and ack unless 0).
func (n *testNet) expect(flags Flags, seq, ack Seq) Header {
	n.t.Helper()
	h := n.next()
	if h.Flags() != flags || (seq != 0 && h.Seq() != seq) || (ack != 0 && h.Ack() != ack) {
		n.t.Fatalf("got %s\nwant flags [%s] seq %d ack %d", h, flags, uint32(seq), uint32(ack))
	}
	return h
}

// peer is the scripted other end of one connection.
type peer struct {
	n        *testNet
	addr     netip.AddrPort // the peer's
	to       netip.AddrPort // ours
	iss      Seq
	nxt, ack Seq // the peer's SND.NXT, and what it acknowledges of ours
	ts       bool
	tsVal    uint32
	tsEcr    uint32
	wnd      uint16
}

// send injects a segment from the peer at its SND.NXT with an ACK of
// p.ack (unless flags says otherwise), advancing SND.NXT.
func (p *peer) send(flags Flags, data string) {
	f := Fields{Seq: p.nxt, Ack: p.ack, Flags: flags, Window: p.wnd}
	o := &Options{}
	if p.ts {
		p.tsVal++
		o.HasTimestamp, o.TSVal, o.TSEcr = true, p.tsVal, p.tsEcr
	}
	p.n.inject(p.addr, p.to, f, o, []byte(data))
	p.nxt = p.nxt.Add(len(data))
	if flags&(FlagSYN|FlagFIN) != 0 {
		p.nxt = p.nxt.Add(1)
	}
}

// recv reads the next segment, checks its flags and that it acknowledges
// all the peer sent, and takes in its sequence space and timestamp.
func (p *peer) recv(flags Flags) Header {
	p.n.t.Helper()
	h := p.n.expect(flags, 0, 0)
	if flags&FlagACK != 0 && h.Ack() != p.nxt {
		p.n.t.Fatalf("%s: acknowledges %d, want %d", h, uint32(h.Ack()), uint32(p.nxt))
	}
	p.take(h)
	return h
}

func (p *peer) take(h Header) {
	if end := h.Seq().Add(h.SegLen()); end.GT(p.ack) || h.Flags()&FlagSYN != 0 {
		p.ack = end
	}
	var o Options
	if o.Parse(h.RawOptions()) == nil && o.HasTimestamp {
		p.tsEcr = o.TSVal
	}
}

// synOptions is what a Linux SYN offers.
func synOptions(tsVal uint32) *Options {
	return &Options{HasMSS: true, MSS: 1460, HasWScale: true, WScale: 7, SACKPermitted: true, HasTimestamp: true, TSVal: tsVal}
}

// accept runs a passive open to port 80 from a Linux-like peer (all
// options) and returns the accepted connection and the peer.
func (n *testNet) accept(opts *Options) (*Conn, *peer) {
	n.t.Helper()
	l, err := n.p.Listen(ourPort, 8)
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { l.Close() })
	if opts == nil {
		opts = &Options{HasMSS: true, MSS: 1460}
	}
	pr := &peer{n: n, addr: peerPort, to: ourPort, iss: 1000, nxt: 1000, wnd: 64240, ts: opts.HasTimestamp, tsVal: opts.TSVal}
	if opts.HasWScale {
		pr.wnd = 502 // 64256 with the shift of 7
	}
	n.inject(pr.addr, pr.to, Fields{Seq: pr.nxt, Flags: FlagSYN, Window: 64240}, opts, nil)
	pr.nxt = pr.nxt.Add(1)
	pr.recv(FlagSYN | FlagACK)
	n.clk.Advance(n.synRTT)
	pr.send(FlagACK, "")
	c, err := l.AcceptTCP()
	if err != nil {
		n.t.Fatal(err)
	}
	if c.State() != Established {
		n.t.Fatalf("accepted in %s", c.State())
	}
	return c, pr
}

// dial starts an active open on another goroutine; the result arrives
// on the channel once the test has played the peer's part.
func (n *testNet) dial(remote netip.AddrPort) <-chan dialResult {
	ch := make(chan dialResult, 1)
	go func() {
		c, err := n.p.Dial(context.Background(), remote)
		ch <- dialResult{c, err}
	}()
	return ch
}

type dialResult struct {
	c   *Conn
	err error
}

// addrPort pairs a port from a header with the address it goes with.
type portNum uint16

func (p portNum) addrPort(a netip.Addr) netip.AddrPort { return netip.AddrPortFrom(a, uint16(p)) }

// Src and Dst of a captured header as ports.
func (h Header) Src() portNum { return portNum(h.SrcPort()) }
func (h Header) Dst() portNum { return portNum(h.DstPort()) }
