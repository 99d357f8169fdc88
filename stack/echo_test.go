package stack_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
)

// captureDriver records the last frame written and reads nothing: the test
// calls NetDev.Receive itself, so the whole receive->reply path runs on the
// test goroutine.
type captureDriver struct {
	last   []byte
	writes int
}

func (d *captureDriver) ReadFrame([]byte) (int, error) { select {} }
func (d *captureDriver) WriteFrame(f []byte) error {
	d.last = append(d.last[:0], f...)
	d.writes++
	return nil
}
func (d *captureDriver) Close() error { return nil }
func (d *captureDriver) Kind() string { return "capture" }

var (
	peerMAC  = netdev.MAC{2, 0, 0, 0, 0, 2}
	peerAddr = netip.MustParseAddr("10.0.0.2")
)

// echoHost is a stack with one device whose peer 10.0.0.2 is already in
// the ARP cache, and a valid echo request frame from that peer.
func echoHost(tb testing.TB) (*stack.Stack, *netdev.NetDev, *captureDriver, []byte) {
	tb.Helper()
	s := stack.New(stack.Config{TickInterval: -1})
	tb.Cleanup(s.Close)
	drv := &captureDriver{}
	dev, err := netdev.New(netdev.Config{Name: "cap0", MAC: netdev.MAC{2, 0, 0, 0, 0, 1}}, drv, s.Demux(), s.Pool)
	if err != nil {
		tb.Fatal(err)
	}
	dev.SetUp(true)
	s.IP.AttachDevice(dev)
	if err := s.IP.SetAddress(dev, netip.MustParsePrefix("10.0.0.1/24")); err != nil {
		tb.Fatal(err)
	}
	if err := s.ARP.AddPermanent(dev, peerAddr, peerMAC); err != nil {
		tb.Fatal(err)
	}
	// lo's poller holds one receive buffer once it runs; wait for it, so
	// the pool's InUse is steady (1) when the test starts counting.
	for deadline := time.Now().Add(5 * time.Second); s.Pool.InUse() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("pool InUse = %d, want lo's one receive buffer", s.Pool.InUse())
		}
	}
	return s, dev, drv, echoFrame(56)
}

func echoFrame(size int) []byte {
	f := make([]byte, netdev.EthernetHeaderLen+ip.HeaderLen+8+size)
	e := netdev.Ethernet(f)
	e.SetDst(netdev.MAC{2, 0, 0, 0, 0, 1})
	e.SetSrc(peerMAC)
	e.SetEtherType(netdev.EtherTypeIPv4)
	d := f[netdev.EthernetHeaderLen:]
	msg := d[ip.HeaderLen:]
	msg[0] = 8 // echo request
	msg[5], msg[7] = 7, 1
	for i := range msg[8:] {
		msg[8+i] = byte(i)
	}
	msg[2], msg[3] = 0, 0
	c := ip.Checksum(msg, 0)
	msg[2], msg[3] = byte(c>>8), byte(c)
	ip.Header(d).Encode(ip.Fields{TotalLen: len(d), TTL: 64, Protocol: ip.ProtoICMP, ID: 1,
		Src: peerAddr, Dst: netip.MustParseAddr("10.0.0.1")})
	return f
}

// receive copies frame into a pooled packet and runs the receive path.
func receive(s *stack.Stack, dev *netdev.NetDev, frame []byte) {
	p := s.Pool.Get(len(frame))
	copy(p.Append(len(frame)), frame)
	dev.Receive(p)
}

func TestEchoReplyBuiltInPlace(t *testing.T) {
	s, dev, drv, req := echoHost(t)
	receive(s, dev, req)
	if drv.writes != 1 {
		t.Fatalf("%d frames sent, want 1 echo reply", drv.writes)
	}
	rep := drv.last
	if e := netdev.Ethernet(rep); e.Dst() != peerMAC || e.Src() != dev.MAC() {
		t.Errorf("reply ethernet %v, want %v > %v", e, dev.MAC(), peerMAC)
	}
	h, err := ip.Parse(rep[netdev.EthernetHeaderLen:])
	if err != nil {
		t.Fatalf("reply IP header: %v", err)
	}
	if h.Src() != netip.MustParseAddr("10.0.0.1") || h.Dst() != peerAddr || h.TTL() != 64 {
		t.Errorf("reply header %v", h)
	}
	msg := rep[netdev.EthernetHeaderLen+ip.HeaderLen : netdev.EthernetHeaderLen+h.TotalLen()]
	if msg[0] != 0 || ip.Checksum(msg, 0) != 0 {
		t.Errorf("reply ICMP type %d, checksum ok %v", msg[0], ip.Checksum(msg, 0) == 0)
	}
	wantData := req[netdev.EthernetHeaderLen+ip.HeaderLen+4:]
	if string(msg[4:]) != string(wantData) {
		t.Errorf("reply identifier, sequence or data differ from the request")
	}
	if n := s.Pool.InUse(); n != 1 {
		t.Errorf("%d packets out of the pool, want only lo's receive buffer", n)
	}
}

// The echo fast path allocates nothing: frame in, reply out.
func TestEchoReplyAllocatesNothing(t *testing.T) {
	s, dev, drv, req := echoHost(t)
	receive(s, dev, req) // warm the pool
	allocs := testing.AllocsPerRun(1000, func() { receive(s, dev, req) })
	if allocs != 0 {
		t.Errorf("%v allocations per echo, want 0", allocs)
	}
	if want := 1 + 1 + 1000; drv.writes != want { // our warm-up, AllocsPerRun's, the runs
		t.Errorf("%d replies for %d requests", drv.writes, want)
	}
}

func BenchmarkEchoReply(b *testing.B) {
	s, dev, drv, req := echoHost(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		receive(s, dev, req)
	}
	if drv.writes < b.N {
		b.Fatalf("%d replies for %d requests", drv.writes, b.N)
	}
}
