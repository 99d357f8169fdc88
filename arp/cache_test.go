package arp

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/fakeclock"
	"github.com/gotapip/gotapip/netdev"
)

// wire is a netdev.Driver that records what the device transmits.
type wire struct {
	mu     sync.Mutex
	frames [][]byte
}

func (w *wire) ReadFrame([]byte) (int, error) { return 0, netdev.ErrClosed }
func (w *wire) Close() error                  { return nil }
func (w *wire) Kind() string                  { return "fake" }
func (w *wire) WriteFrame(f []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.frames = append(w.frames, append([]byte(nil), f...))
	return nil
}

// take returns and forgets the frames sent so far.
func (w *wire) take() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.frames
	w.frames = nil
	return f
}

type harness struct {
	t     *testing.T
	clk   *fakeclock.Clock
	wire  *wire
	dev   *netdev.NetDev
	pool  *netdev.Pool
	cache *Cache
}

// newHarness makes a cache over one device, veth0, 02:00:0a:00:00:01 with
// 10.0.0.1/24, whose frames go to a recording wire, at a fake time. At the
// end it checks that no packet leaked.
func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clk: fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), wire: &wire{}, pool: netdev.NewPool()}
	cfg.Now = h.clk.Now
	h.cache = NewCache(cfg, h.pool)
	demux := &netdev.Demux{}
	demux.Register(netdev.EtherTypeARP, h.cache.Input)
	var err error
	h.dev, err = netdev.New(netdev.Config{Name: "veth0", MAC: macA}, h.wire, demux, h.pool)
	if err != nil {
		t.Fatal(err)
	}
	h.dev.SetUp(true)
	h.dev.SetAddr(netip.MustParsePrefix("10.0.0.1/24"))
	t.Cleanup(func() {
		h.cache.Flush(nil)
		if n := h.pool.InUse(); n != 0 {
			t.Errorf("%d packets still in use at the end (leak or double use)", n)
		}
	})
	return h
}

// receive hands the device an ARP packet in an Ethernet frame from src,
// padded to 60 bytes as on the wire.
func (h *harness) receive(dst, src netdev.MAC, f Fields) {
	p := h.pool.Get(netdev.EthernetMinFrame)
	b := p.Append(netdev.EthernetMinFrame)
	clear(b)
	e := netdev.Ethernet(b)
	e.SetDst(dst)
	e.SetSrc(src)
	e.SetEtherType(netdev.EtherTypeARP)
	Header(b[netdev.EthernetHeaderLen:]).Encode(f)
	h.dev.Receive(p)
}

// learn has the cache learn addr at mac the way RFC 826 creates entries: a
// request from it aimed at us (our reply is taken off the wire).
func (h *harness) learn(mac netdev.MAC, addr netip.Addr) {
	h.receive(netdev.BroadcastMAC, mac, Fields{Op: OpRequest, SenderMAC: mac, SenderIP: addr, TargetIP: ipA})
	h.sent()
}

// resolve sends an IP packet whose payload is tag to addr.
func (h *harness) resolve(addr netip.Addr, tag string) error {
	p := h.pool.Get(len(tag))
	copy(p.Append(len(tag)), tag)
	return h.cache.Resolve(h.dev, addr, p)
}

func (h *harness) tick(d time.Duration) { h.cache.Tick(h.clk.Advance(d)) }

// sent is a decoded transmitted frame.
type sent struct {
	dst, src netdev.MAC
	typ      uint16
	arp      Header // nil unless typ is ARP
	payload  []byte
}

func (h *harness) sent() []sent {
	var out []sent
	for _, f := range h.wire.take() {
		e, err := netdev.ParseEthernet(f)
		if err != nil {
			h.t.Fatalf("transmitted a runt: % x", f)
		}
		if len(f) < netdev.EthernetMinFrame {
			h.t.Errorf("transmitted a %d-byte frame, below the 60-byte minimum", len(f))
		}
		s := sent{dst: e.Dst(), src: e.Src(), typ: e.EtherType(), payload: f[netdev.EthernetHeaderLen:]}
		if s.typ == netdev.EtherTypeARP {
			a, err := Parse(s.payload)
			if err != nil {
				h.t.Fatalf("transmitted a bad ARP packet: %v", err)
			}
			s.arp = a
		}
		out = append(out, s)
	}
	return out
}

// wantRequests checks that exactly n broadcast requests for target went out
// (and nothing else).
func (h *harness) wantRequests(n int, target netip.Addr) {
	h.t.Helper()
	got := h.sent()
	if len(got) != n {
		h.t.Fatalf("sent %d frames, want %d requests for %v", len(got), n, target)
	}
	for _, s := range got {
		if s.arp == nil || s.arp.Op() != OpRequest || s.dst != netdev.BroadcastMAC || s.src != macA ||
			s.arp.SenderMAC() != macA || s.arp.SenderIP() != ipA || s.arp.TargetIP() != target || !s.arp.TargetMAC().IsZero() {
			h.t.Errorf("sent %v / %v, want a broadcast request who-has %v tell %v", s.dst, s.arp, target, ipA)
		}
	}
}

// wantIP checks that the IP packets tagged tags went to mac, in order.
func (h *harness) wantIP(mac netdev.MAC, tags ...string) {
	h.t.Helper()
	var got []string
	for _, s := range h.sent() {
		if s.typ != netdev.EtherTypeIPv4 || s.dst != mac {
			h.t.Errorf("sent %s frame to %v, want IPv4 to %v", netdev.EtherTypeName(s.typ), s.dst, mac)
			continue
		}
		got = append(got, string(bytes.TrimRight(s.payload, "\x00")))
	}
	if fmt.Sprint(got) != fmt.Sprint(tags) {
		h.t.Errorf("IP packets sent to %v (-want +got):\n-%q\n+%q", mac, tags, got)
	}
}

// count sorts the frames sent so far: IPv4 packets to mac, requests for
// target sent to reqTo (broadcast, or a neighbour's MAC for a probe) with
// the target MAC zero, and anything else.
func (h *harness) count(mac netdev.MAC, target netip.Addr, reqTo netdev.MAC) (ip, req, other int) {
	for _, s := range h.sent() {
		switch {
		case s.typ == netdev.EtherTypeIPv4 && s.dst == mac:
			ip++
		case s.arp != nil && s.arp.Op() == OpRequest && s.arp.TargetIP() == target && s.dst == reqTo && s.arp.TargetMAC().IsZero():
			req++
		default:
			other++
		}
	}
	return ip, req, other
}

func (h *harness) entry(addr netip.Addr) (Entry, bool) {
	for _, e := range h.cache.List() {
		if e.IP == addr {
			return e, true
		}
	}
	return Entry{}, false
}

func (h *harness) wantState(addr netip.Addr, want State) {
	h.t.Helper()
	e, ok := h.entry(addr)
	if !ok {
		h.t.Fatalf("no entry for %v, want %v", addr, want)
	}
	if e.State != want {
		h.t.Errorf("entry %v is %v, want %v", addr, e.State, want)
	}
}

func (h *harness) wantNoEntry(addr netip.Addr) {
	h.t.Helper()
	if e, ok := h.entry(addr); ok {
		h.t.Errorf("entry %v exists (%v %v), want none", addr, e.MAC, e.State)
	}
}

var ipC = netip.MustParseAddr("10.0.0.3")
var macC = netdev.MAC{0x02, 0x00, 0x0a, 0x00, 0x00, 0x03}

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.setDefaults()
	want := Config{MaxEntries: 512, QueueLen: 101, QueueBytes: 212992, Retries: 3, UnicastProbes: 3, RetryInterval: time.Second, ReachableTime: 30 * time.Second, Lifetime: 600 * time.Second}
	if c.Now == nil {
		t.Error("Now defaults to nil, want time.Now")
	}
	c.Now = nil
	if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", want) {
		t.Errorf("defaults (-want +got):\n-%+v\n+%+v", want, c)
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Incomplete: "INCOMPLETE", Reachable: "REACHABLE", Stale: "STALE", Probing: "PROBE", Permanent: "PERMANENT", 9: "State(9)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", s, got, want)
		}
	}
}

// TestRequestForUs: a request for our address is answered in place, and
// the asker is learned (RFC 826: we are the target, so create).
func TestRequestForUs(t *testing.T) {
	h := newHarness(t, Config{})
	h.receive(netdev.BroadcastMAC, macB, Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipB, TargetIP: ipA})
	got := h.sent()
	if len(got) != 1 {
		t.Fatalf("sent %d frames, want 1 reply", len(got))
	}
	r := got[0]
	want := Fields{Op: OpReply, SenderMAC: macA, SenderIP: ipA, TargetMAC: macB, TargetIP: ipB}
	if r.dst != macB || r.src != macA || r.arp == nil ||
		(Fields{Op: r.arp.Op(), SenderMAC: r.arp.SenderMAC(), SenderIP: r.arp.SenderIP(), TargetMAC: r.arp.TargetMAC(), TargetIP: r.arp.TargetIP()}) != want {
		t.Errorf("reply %v > %v: %v, want %v > %v: %+v", r.src, r.dst, r.arp, macA, macB, want)
	}
	if len(r.payload) != netdev.EthernetMinFrame-netdev.EthernetHeaderLen {
		t.Errorf("reply frame payload is %d bytes, want %d (trimmed to 28, padded to 60)", len(r.payload), 46)
	}
	h.wantState(ipB, Reachable)
	if mac, ok := h.cache.Lookup(ipB); !ok || mac != macB {
		t.Errorf("Lookup(%v) = %v, %v; want %v, true", ipB, mac, ok, macB)
	}
	if h.cache.Stats.InRequests.Load() != 1 || h.cache.Stats.OutReplies.Load() != 1 {
		t.Errorf("InRequests %d OutReplies %d, want 1 1", h.cache.Stats.InRequests.Load(), h.cache.Stats.OutReplies.Load())
	}
}

// TestCreateOnlyWhenTargetIsUs: RFC 826 merges a sender it already knows,
// but creates an entry only when the packet is aimed at us.
func TestCreateOnlyWhenTargetIsUs(t *testing.T) {
	tests := []struct {
		name    string
		f       Fields
		known   bool // the sender is already in the cache
		want    bool // an entry for the sender afterwards, at macB
		replies int
	}{
		{"request for someone else", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipB, TargetIP: ipC}, false, false, 0},
		{"reply to someone else", Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macC, TargetIP: ipC}, false, false, 0},
		{"gratuitous from a stranger", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipB, TargetIP: ipB}, false, false, 0},
		{"request for someone else, known sender", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipB, TargetIP: ipC}, true, true, 0},
		{"gratuitous from a known sender", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipB, TargetIP: ipB}, true, true, 0},
		{"unsolicited reply to us (Linux arp_accept=0)", Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA}, false, false, 0},
		{"reply to us from a known sender", Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA}, true, true, 0},
		{"someone claims our address", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipA, TargetIP: ipA}, false, false, 0},
		{"request for us", Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipB, TargetIP: ipA}, false, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			if tt.known {
				// Known at an old MAC; the packet must move it to macB.
				h.learn(macC, ipB)
			}
			h.receive(netdev.BroadcastMAC, macB, tt.f)
			if got := len(h.sent()); got != tt.replies {
				t.Errorf("sent %d frames, want %d", got, tt.replies)
			}
			mac, ok := h.cache.Lookup(ipB)
			if ok != tt.want || (ok && mac != macB) {
				t.Errorf("Lookup(%v) = %v, %v; want %v at %v", ipB, mac, ok, tt.want, macB)
			}
		})
	}
}

func TestIgnoreBadSender(t *testing.T) {
	tests := []struct {
		name string
		sha  netdev.MAC
	}{
		{"broadcast", netdev.BroadcastMAC},
		{"multicast", netdev.MAC{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
		{"our own MAC", macA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			h.receive(netdev.BroadcastMAC, macB, Fields{Op: OpRequest, SenderMAC: tt.sha, SenderIP: ipB, TargetIP: ipA})
			if got := h.sent(); len(got) != 0 {
				t.Errorf("answered a request from %v", tt.sha)
			}
			h.wantNoEntry(ipB)
			if n := h.cache.Stats.InBadSender.Load(); n != 1 {
				t.Errorf("InBadSender = %d, want 1", n)
			}
		})
	}
}

func TestMalformedCounted(t *testing.T) {
	h := newHarness(t, Config{})
	p := h.pool.Get(netdev.EthernetMinFrame)
	b := p.Append(netdev.EthernetMinFrame)
	clear(b)
	e := netdev.Ethernet(b)
	e.SetDst(netdev.BroadcastMAC)
	e.SetSrc(macB)
	e.SetEtherType(netdev.EtherTypeARP)
	Header(b[14:]).Encode(Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipB, TargetIP: ipA})
	b[14+offOp+1] = 3 // RARP
	h.dev.Receive(p)
	if n := h.cache.Stats.InErrors.Load(); n != 1 {
		t.Errorf("InErrors = %d, want 1", n)
	}
	if len(h.sent()) != 0 || len(h.cache.List()) != 0 {
		t.Error("a malformed packet had an effect")
	}
}

// TestProbeNotLearned: an RFC 5227 probe (sender 0.0.0.0) creates nothing.
func TestProbeNotLearned(t *testing.T) {
	h := newHarness(t, Config{})
	h.receive(netdev.BroadcastMAC, macB, Fields{Op: OpRequest, SenderMAC: macB, SenderIP: netip.IPv4Unspecified(), TargetIP: ipC})
	if n := len(h.cache.List()); n != 0 {
		t.Errorf("a probe created %d entries, want 0", n)
	}
	h.sent()
}

// TestResolveAndLearn: the first packet to an unknown neighbour queues and
// asks; the reply releases the queue in order.
func TestResolveAndLearn(t *testing.T) {
	h := newHarness(t, Config{})
	if err := h.resolve(ipB, "p1"); err != nil {
		t.Fatal(err)
	}
	h.wantRequests(1, ipB)
	h.wantState(ipB, Incomplete)
	if _, ok := h.cache.Lookup(ipB); ok {
		t.Error("Lookup of an incomplete entry succeeded")
	}
	h.resolve(ipB, "p2") // no second request while one is outstanding
	h.wantRequests(0, ipB)

	h.receive(macA, macB, Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA})
	h.wantIP(macB, "p1", "p2")
	h.wantState(ipB, Reachable)

	h.resolve(ipB, "p3") // resolved: straight out
	h.wantIP(macB, "p3")
	if n := h.cache.Stats.OutRequests.Load(); n != 1 {
		t.Errorf("OutRequests = %d, want 1", n)
	}
}

// TestQueueBound: at most QueueLen packets wait; the oldest go first.
func TestQueueBound(t *testing.T) {
	h := newHarness(t, Config{QueueLen: 3})
	for i := 1; i <= 5; i++ {
		h.resolve(ipB, fmt.Sprintf("p%d", i))
	}
	h.wantRequests(1, ipB)
	if n := h.cache.Stats.QueueDrops.Load(); n != 2 {
		t.Errorf("QueueDrops = %d, want 2", n)
	}
	if n := h.pool.InUse(); n != 3 {
		t.Errorf("%d packets held, want 3", n)
	}
	h.receive(macA, macB, Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA})
	h.wantIP(macB, "p3", "p4", "p5")
}

// TestQueueBytesBound: the packets waiting hold at most QueueBytes of
// buffers (Linux's unres_qlen_bytes); the oldest go first.
func TestQueueBytesBound(t *testing.T) {
	h := newHarness(t, Config{QueueBytes: 5000}) // two 2 KB buffers
	for i := 1; i <= 4; i++ {
		h.resolve(ipB, fmt.Sprintf("p%d", i))
	}
	h.sent()
	if n := h.cache.Stats.QueueDrops.Load(); n != 2 {
		t.Errorf("QueueDrops = %d, want 2", n)
	}
	if n := h.pool.InUse(); n != 2 {
		t.Errorf("%d packets held, want 2", n)
	}
	h.receive(macA, macB, Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA})
	h.wantIP(macB, "p3", "p4")
	// The bytes went with the queue: a new queue starts empty.
	if err := h.cache.Delete(ipB); err != nil {
		t.Fatal(err)
	}
	h.resolve(ipB, "p5")
	h.resolve(ipB, "p6")
	h.sent()
	if n := h.cache.Stats.QueueDrops.Load(); n != 2 {
		t.Errorf("QueueDrops = %d after a fresh entry's two packets, want still 2", n)
	}
}

// By default as many packets wait as Linux's unres_qlen (101): ping's
// echo requests, one a second, all hear host unreachable when ARP fails.
func TestQueueDefaultHoldsLinuxUnresQlen(t *testing.T) {
	h := newHarness(t, Config{})
	for i := range 101 {
		h.resolve(ipB, fmt.Sprintf("p%d", i))
	}
	if n := h.cache.Stats.QueueDrops.Load(); n != 0 {
		t.Errorf("QueueDrops = %d after 101 packets, want 0", n)
	}
	h.resolve(ipB, "one too many")
	if n := h.cache.Stats.QueueDrops.Load(); n != 1 {
		t.Errorf("QueueDrops = %d after 102 packets, want 1", n)
	}
	if n := h.cache.Queued(); n != 101 {
		t.Errorf("Queued = %d, want 101", n)
	}
}

func TestQueueLenConfig(t *testing.T) {
	h := newHarness(t, Config{QueueLen: 1})
	h.resolve(ipB, "old")
	h.resolve(ipB, "new")
	h.sent()
	h.receive(macA, macB, Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA})
	h.wantIP(macB, "new")
}

// TestRetriesThenFail: 3 requests one second apart (Linux's mcast_solicit
// and retrans_time_ms), then the entry fails at 3 s and Unresolved
// receives what was queued.
func TestRetriesThenFail(t *testing.T) {
	h := newHarness(t, Config{})
	var unresolved []string
	h.cache.Unresolved = func(p *netdev.Packet) {
		unresolved = append(unresolved, string(p.Data()))
		p.Free()
	}
	h.resolve(ipB, "p1")
	h.resolve(ipB, "p2")
	h.wantRequests(1, ipB)

	h.tick(999 * time.Millisecond)
	h.wantRequests(0, ipB) // not yet
	h.tick(time.Millisecond)
	h.wantRequests(1, ipB) // 1 s: second
	h.tick(500 * time.Millisecond)
	h.wantRequests(0, ipB)
	h.tick(500 * time.Millisecond)
	h.wantRequests(1, ipB) // 2 s: third
	h.wantState(ipB, Incomplete)
	h.tick(999 * time.Millisecond)
	if len(unresolved) != 0 {
		t.Fatalf("Unresolved called before giving up: %q", unresolved)
	}
	h.wantState(ipB, Incomplete)
	h.tick(time.Millisecond) // 3 s: give up
	h.wantRequests(0, ipB)
	h.wantNoEntry(ipB)
	if fmt.Sprint(unresolved) != "[p1 p2]" {
		t.Errorf("Unresolved got %q, want [p1 p2]", unresolved)
	}
	if n := h.cache.Stats.Failed.Load(); n != 1 {
		t.Errorf("Failed = %d, want 1", n)
	}
	if n := h.cache.Stats.OutRequests.Load(); n != 3 {
		t.Errorf("OutRequests = %d, want 3", n)
	}
	if n := h.cache.Queued(); n != 0 {
		t.Errorf("Queued = %d after the failure, want 0", n)
	}
	// A new packet starts over.
	h.resolve(ipB, "p3")
	h.wantRequests(1, ipB)
}

func TestFailWithoutUnresolvedFrees(t *testing.T) {
	h := newHarness(t, Config{Retries: 2, RetryInterval: 100 * time.Millisecond})
	h.resolve(ipB, "p1")
	for range 3 {
		h.tick(100 * time.Millisecond)
	}
	h.wantNoEntry(ipB)
	if n := h.pool.InUse(); n != 0 {
		t.Errorf("%d packets in use after failure, want 0", n)
	}
	h.wantRequests(2, ipB)
}

// TestAging: reachable for 30 s, then stale (still usable); a stale entry
// nobody uses is removed 600 s after the last confirmation. (A used one is
// probed: nud_test.go.)
func TestAging(t *testing.T) {
	h := newHarness(t, Config{})
	h.learn(macB, ipB)
	h.tick(29 * time.Second)
	h.wantState(ipB, Reachable)
	h.tick(time.Second)
	h.wantState(ipB, Stale)
	if e, _ := h.entry(ipB); e.Age != 30*time.Second {
		t.Errorf("Age = %v, want 30s", e.Age)
	}
	if mac, ok := h.cache.Lookup(ipB); !ok || mac != macB {
		t.Errorf("Lookup of a stale entry = %v, %v; want %v, true", mac, ok, macB)
	}
	h.tick(569 * time.Second) // 599 s since confirmed
	h.wantState(ipB, Stale)
	h.tick(time.Second) // 600 s
	h.wantNoEntry(ipB)
	if n := len(h.sent()); n != 0 {
		t.Errorf("aging sent %d frames, want none", n)
	}
}

// TestReconfirm: a reply to a stale entry makes it reachable again and
// restarts its clock.
func TestReconfirm(t *testing.T) {
	h := newHarness(t, Config{})
	reply := Fields{Op: OpReply, SenderMAC: macB, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA}
	h.learn(macB, ipB)
	h.tick(40 * time.Second)
	h.wantState(ipB, Stale)
	h.receive(macA, macB, reply)
	h.wantState(ipB, Reachable)
	h.tick(29 * time.Second)
	h.wantState(ipB, Reachable)
	h.tick(590 * time.Second)
	h.wantState(ipB, Stale)
	h.tick(10 * time.Second)
	h.wantNoEntry(ipB)
}

func TestPermanent(t *testing.T) {
	h := newHarness(t, Config{})
	if err := h.cache.AddPermanent(h.dev, ipB, macB); err != nil {
		t.Fatal(err)
	}
	h.tick(24 * time.Hour)
	h.wantState(ipB, Permanent)
	// An ARP packet claiming another MAC does not move a permanent entry.
	h.receive(macA, macC, Fields{Op: OpReply, SenderMAC: macC, SenderIP: ipB, TargetMAC: macA, TargetIP: ipA})
	if mac, _ := h.cache.Lookup(ipB); mac != macB {
		t.Errorf("permanent entry moved to %v, want %v", mac, macB)
	}
	h.wantState(ipB, Permanent)
	if n := h.cache.Flush(nil); n != 0 {
		t.Errorf("Flush removed %d entries, want 0 (permanent stays)", n)
	}
	h.wantState(ipB, Permanent)
	h.resolve(ipB, "x")
	h.wantIP(macB, "x")
	if err := h.cache.Delete(ipB); err != nil {
		t.Fatal(err)
	}
	h.wantNoEntry(ipB)
}

func TestAddPermanentReleasesQueue(t *testing.T) {
	h := newHarness(t, Config{})
	h.resolve(ipB, "q1")
	h.wantRequests(1, ipB)
	if err := h.cache.AddPermanent(h.dev, ipB, macB); err != nil {
		t.Fatal(err)
	}
	h.wantIP(macB, "q1")
	h.tick(10 * time.Second) // no retries for a permanent entry
	h.wantRequests(0, ipB)
}

func TestAddPermanentErrors(t *testing.T) {
	h := newHarness(t, Config{})
	tests := []struct {
		name string
		addr netip.Addr
		mac  netdev.MAC
	}{
		{"multicast MAC", ipB, netdev.MAC{0x01, 0, 0x5e, 0, 0, 1}},
		{"broadcast MAC", ipB, netdev.BroadcastMAC},
		{"zero MAC", ipB, netdev.MAC{}},
		{"IPv6", netip.MustParseAddr("2001:db8::1"), macB},
		{"zero address", netip.Addr{}, macB},
	}
	for _, tt := range tests {
		if err := h.cache.AddPermanent(h.dev, tt.addr, tt.mac); err == nil {
			t.Errorf("%s: AddPermanent(%v, %v) succeeded", tt.name, tt.addr, tt.mac)
		}
	}
	if n := len(h.cache.List()); n != 0 {
		t.Errorf("%d entries after failed adds, want 0", n)
	}
}

// TestMaxEntries: a full cache evicts the least recently confirmed dynamic
// entry, never an incomplete or permanent one; with nothing to evict it
// refuses and counts TableFull.
func TestMaxEntries(t *testing.T) {
	h := newHarness(t, Config{MaxEntries: 3})
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 0, byte(10 + i)}) }
	mac := func(i int) netdev.MAC { return netdev.MAC{2, 0, 0, 0, 1, byte(i)} }
	learn := func(i int) { h.learn(mac(i), addr(i)) }
	h.cache.AddPermanent(h.dev, addr(0), mac(0))
	h.clk.Advance(time.Second)
	learn(1)
	h.clk.Advance(time.Second)
	learn(2)
	h.clk.Advance(time.Second)
	learn(3) // full: evicts 1, the oldest dynamic entry
	h.wantNoEntry(addr(1))
	h.wantState(addr(0), Permanent)
	h.wantState(addr(2), Reachable)
	h.wantState(addr(3), Reachable)
	if n := h.cache.Stats.Evictions.Load(); n != 1 {
		t.Errorf("Evictions = %d, want 1", n)
	}

	// Replace the dynamic ones with incomplete entries: nothing evictable.
	h.cache.Delete(addr(2))
	h.cache.Delete(addr(3))
	h.resolve(addr(4), "a")
	h.resolve(addr(5), "b")
	err := h.resolve(addr(6), "c")
	if !errors.Is(err, ErrCacheFull) {
		t.Errorf("Resolve into a full cache = %v, want ErrCacheFull", err)
	}
	learn(7) // a reply to us cannot make room either
	h.wantNoEntry(addr(7))
	if n := h.cache.Stats.TableFull.Load(); n != 2 {
		t.Errorf("TableFull = %d, want 2", n)
	}
	if err := h.cache.AddPermanent(h.dev, addr(8), mac(8)); !errors.Is(err, ErrCacheFull) {
		t.Errorf("AddPermanent into a full cache = %v, want ErrCacheFull", err)
	}
	h.sent()
}

func TestFlushAndDelete(t *testing.T) {
	h := newHarness(t, Config{})
	other, err := netdev.New(netdev.Config{Name: "veth1", MAC: macC}, &wire{}, &netdev.Demux{}, h.pool)
	if err != nil {
		t.Fatal(err)
	}
	other.SetUp(true)
	other.SetAddr(netip.MustParsePrefix("192.168.1.1/24"))
	h.learn(macB, ipB)
	h.resolve(ipC, "queued") // incomplete, with a packet waiting
	gw := netip.MustParseAddr("192.168.1.254")
	p := h.pool.Get(1)
	p.Append(1)
	h.cache.Resolve(other, gw, p)
	h.cache.AddPermanent(h.dev, netip.MustParseAddr("10.0.0.9"), netdev.MAC{2, 9, 9, 9, 9, 9})

	if n := h.cache.Flush(other); n != 1 {
		t.Errorf("Flush(veth1) = %d, want 1", n)
	}
	h.wantNoEntry(gw)
	h.wantState(ipB, Reachable)
	if n := h.cache.Flush(nil); n != 2 {
		t.Errorf("Flush(nil) = %d, want 2", n)
	}
	if n := len(h.cache.List()); n != 1 {
		t.Errorf("%d entries left, want the permanent one", n)
	}
	if n := h.pool.InUse(); n != 0 {
		t.Errorf("Flush left %d queued packets in use, want 0", n)
	}
	if err := h.cache.Delete(ipB); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete(missing) = %v, want ErrNotFound", err)
	}
	h.resolve(ipC, "queued")
	if err := h.cache.Delete(ipC); err != nil {
		t.Errorf("Delete(incomplete) = %v", err)
	}
	h.sent()
}

func TestListSortedWithAge(t *testing.T) {
	h := newHarness(t, Config{})
	for i := 9; i >= 2; i-- {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		m := netdev.MAC{2, 0, 0, 0, 0, byte(i)}
		h.learn(m, a)
		h.clk.Advance(time.Second)
	}
	l := h.cache.List()
	if len(l) != 8 {
		t.Fatalf("List() has %d entries, want 8", len(l))
	}
	for i, e := range l {
		want := netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 2)})
		if e.IP != want || e.MAC != (netdev.MAC{2, 0, 0, 0, 0, byte(i + 2)}) || e.Dev != h.dev {
			t.Errorf("List()[%d] = %v %v %v, want %v", i, e.IP, e.MAC, e.Dev, want)
		}
		if wantAge := time.Duration(i+1) * time.Second; e.Age != wantAge {
			t.Errorf("List()[%d].Age = %v, want %v", i, e.Age, wantAge)
		}
	}
}

// TestGratuitous: Announce broadcasts a request with sender and target both
// our address (RFC 5227 section 3), target MAC zero.
func TestGratuitous(t *testing.T) {
	h := newHarness(t, Config{})
	h.cache.Announce(h.dev)
	got := h.wire.take()
	if len(got) != 1 {
		t.Fatalf("sent %d frames, want 1", len(got))
	}
	want := append([]byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01,
	}, make([]byte, 18)...)
	if !bytes.Equal(got[0], want) {
		t.Errorf("gratuitous ARP (-want +got):\n-% x\n+% x", want, got[0])
	}

	// No address, or the loopback device: nothing to announce.
	h.dev.SetAddr(netip.Prefix{})
	h.cache.Announce(h.dev)
	lo, _ := netdev.New(netdev.Config{Name: "lo", Flags: netdev.FlagLoopback, MTU: netdev.LoopbackMTU}, h.wire, &netdev.Demux{}, h.pool)
	lo.SetUp(true)
	lo.SetAddr(netip.MustParsePrefix("127.0.0.1/8"))
	h.cache.Announce(lo)
	if n := len(h.wire.take()); n != 0 {
		t.Errorf("sent %d frames, want 0", n)
	}
}

// TestRequestWithoutAddress: a device with no address asks from 0.0.0.0.
func TestRequestWithoutAddress(t *testing.T) {
	h := newHarness(t, Config{})
	h.dev.SetAddr(netip.Prefix{})
	h.resolve(ipB, "x")
	got := h.sent()
	if len(got) != 1 || got[0].arp == nil || got[0].arp.SenderIP() != netip.IPv4Unspecified() {
		t.Fatalf("sent %v, want one request from 0.0.0.0", got)
	}
}

// TestReplyInPlaceNoAllocs: answering a request allocates nothing.
func TestReplyInPlaceNoAllocs(t *testing.T) {
	h := newHarness(t, Config{})
	h.dev.SetSniffer(nil)
	nullDev, _ := netdev.New(netdev.Config{Name: "veth0", MAC: macA}, nullDriver{}, &netdev.Demux{}, h.pool)
	nullDev.SetUp(true)
	nullDev.SetAddr(netip.MustParsePrefix("10.0.0.1/24"))
	req := Fields{Op: OpRequest, SenderMAC: macB, SenderIP: ipB, TargetIP: ipA}
	frame := make([]byte, netdev.EthernetMinFrame)
	e := netdev.Ethernet(frame)
	e.SetDst(netdev.BroadcastMAC)
	e.SetSrc(macB)
	e.SetEtherType(netdev.EtherTypeARP)
	Header(frame[14:]).Encode(req)
	run := func() {
		p := h.pool.Get(len(frame))
		copy(p.Append(len(frame)), frame)
		p.Dev = nullDev
		p.Pull(netdev.EthernetHeaderLen)
		p.MarkNetwork()
		h.cache.Input(p)
	}
	run() // learn the asker first
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Errorf("answering a request allocates %v times, want 0", n)
	}
}

type nullDriver struct{}

func (nullDriver) ReadFrame([]byte) (int, error) { return 0, netdev.ErrClosed }
func (nullDriver) WriteFrame([]byte) error       { return nil }
func (nullDriver) Close() error                  { return nil }
func (nullDriver) Kind() string                  { return "null" }

func TestLookupNoAllocs(t *testing.T) {
	h := newHarness(t, Config{})
	h.cache.AddPermanent(h.dev, ipB, macB)
	if n := testing.AllocsPerRun(1000, func() { h.cache.Lookup(ipB) }); n != 0 {
		t.Errorf("Lookup allocates %v times, want 0", n)
	}
}

// TestResolveHitNoAllocs: sending to a resolved neighbour allocates
// nothing: reachable, stale, in PROBE, or moving it from STALE to PROBE
// with its first probe.
func TestResolveHitNoAllocs(t *testing.T) {
	h := newHarness(t, Config{})
	nullDev, _ := netdev.New(netdev.Config{Name: "veth0", MAC: macA}, nullDriver{}, &netdev.Demux{}, h.pool)
	nullDev.SetUp(true)
	nullDev.SetAddr(netip.MustParsePrefix("10.0.0.1/24"))
	h.learn(macB, ipB)
	run := func() {
		p := h.pool.Get(64)
		p.Append(64)
		if err := h.cache.Resolve(nullDev, ipB, p); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Errorf("Resolve to a reachable entry allocates %v times, want 0", n)
	}
	h.tick(30 * time.Second)
	h.wantState(ipB, Stale)
	run() // sends the first probe
	h.wantState(ipB, Probing)
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Errorf("Resolve to a probing entry allocates %v times, want 0", n)
	}
	if raceEnabled {
		return // below, each run takes two packets from the pool
	}
	e, _ := h.cache.entries.Load(ipB)
	restale := func() {
		e.word.Store(pack(Stale, macB)) // as Tick would, a ReachableTime after a reply
		run()
	}
	if n := testing.AllocsPerRun(1000, restale); n != 0 {
		t.Errorf("Resolve moving a stale entry to PROBE allocates %v times, want 0", n)
	}
	if n := h.cache.Stats.OutRequests.Load(); n != 1+1+1000 { // run's, AllocsPerRun's warm-up, the runs'
		t.Errorf("OutRequests = %d, want %d (a probe per move to PROBE)", n, 1002)
	}
}

// TestConcurrent exercises every entry point at once, for -race.
func TestConcurrent(t *testing.T) {
	h := newHarness(t, Config{MaxEntries: 16})
	h.cache.Unresolved = func(p *netdev.Packet) { p.Free() }
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				a := netip.AddrFrom4([4]byte{10, 0, 0, byte(2 + (i+g)%40)})
				m := netdev.MAC{2, 0, 0, 0, byte(g), byte(i)}
				switch i % 5 {
				case 0:
					h.resolve(a, "x")
				case 1:
					h.receive(netdev.BroadcastMAC, m, Fields{Op: OpRequest, SenderMAC: m, SenderIP: a, TargetIP: ipA})
				case 2:
					h.tick(700 * time.Millisecond)
				case 3:
					h.cache.Lookup(a)
					h.cache.List()
				case 4:
					if i%25 == 4 {
						h.cache.Flush(nil)
					} else {
						h.cache.Delete(a)
					}
				}
			}
		}()
	}
	wg.Wait()
	h.wire.take()
}

func TestStatsReset(t *testing.T) {
	var s Stats
	s.InRequests.Add(1)
	s.Evictions.Add(5)
	s.Reset()
	if s.InRequests.Load() != 0 || s.Evictions.Load() != 0 {
		t.Error("Reset left counters non-zero")
	}
}

func BenchmarkARPLookup(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			pool := netdev.NewPool()
			c := NewCache(Config{MaxEntries: n}, pool)
			dev, err := netdev.New(netdev.Config{Name: "veth0", MAC: macA}, nullDriver{}, &netdev.Demux{}, pool)
			if err != nil {
				b.Fatal(err)
			}
			addrs := make([]netip.Addr, n)
			for i := range addrs {
				addrs[i] = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
				if err := c.AddPermanent(dev, addrs[i], netdev.MAC{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, ok := c.Lookup(addrs[i%n]); !ok {
					b.Fatal("miss")
				}
				i++
			}
		})
	}
}

func BenchmarkARPLookupParallel(b *testing.B) {
	c, _, addrs := benchCache(b, 512)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok := c.Lookup(addrs[i%len(addrs)]); !ok {
				b.Error("miss")
				return
			}
			i++
		}
	})
}

// BenchmarkARPResolveHit is the send path's cost in arp per packet to a
// known neighbour: Resolve and the device's Transmit over a null driver.
func BenchmarkARPResolveHit(b *testing.B) {
	c, dev, addrs := benchCache(b, 512)
	pool := netdev.NewPool()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pool.Get(64)
		p.Append(64)
		if err := c.Resolve(dev, addrs[i%len(addrs)], p); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkARPLearnEvict is the cost of a new neighbour in a full cache
// (512 entries): learning it evicts the least recently confirmed one.
func BenchmarkARPLearnEvict(b *testing.B) {
	c, dev, _ := benchCache(b, 0)
	for i := range 512 {
		c.update(dev, netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), macB, true)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.update(dev, netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), macB, true)
		i++
	}
}

// benchCache is a cache of the default size over a null device, holding n
// reachable neighbours at the returned addresses.
func benchCache(b *testing.B, n int) (*Cache, *netdev.NetDev, []netip.Addr) {
	pool := netdev.NewPool()
	c := NewCache(Config{}, pool)
	dev, err := netdev.New(netdev.Config{Name: "veth0", MAC: macA}, nullDriver{}, &netdev.Demux{}, pool)
	if err != nil {
		b.Fatal(err)
	}
	dev.SetUp(true)
	addrs := make([]netip.Addr, n)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		c.update(dev, addrs[i], netdev.MAC{2, 0, 0, 0, byte(i >> 8), byte(i)}, true)
	}
	return c, dev, addrs
}
