package stack_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/udp"
)

// udpFrame builds a frame carrying a UDP datagram with size data bytes from
// the peer 10.0.0.2:5000 to 10.0.0.1:port.
func udpFrame(port uint16, size int) []byte {
	f := make([]byte, netdev.EthernetHeaderLen+ip.HeaderLen+udp.HeaderLen+size)
	e := netdev.Ethernet(f)
	e.SetDst(netdev.MAC{2, 0, 0, 0, 0, 1})
	e.SetSrc(peerMAC)
	e.SetEtherType(netdev.EtherTypeIPv4)
	d := f[netdev.EthernetHeaderLen:]
	u := udp.Header(d[ip.HeaderLen:])
	for i := range u.Payload() {
		u.Payload()[i] = byte('a' + i%26)
	}
	dst := netip.MustParseAddr("10.0.0.1")
	u.Encode(udp.Fields{SrcPort: 5000, DstPort: port, Src: peerAddr, Dst: dst})
	ip.Header(d[:ip.HeaderLen]).Encode(ip.Fields{TotalLen: len(d), TTL: 64, Protocol: ip.ProtoUDP, ID: 1, Src: peerAddr, Dst: dst})
	return f
}

// echoSocket is a socket on port 7 of echoHost's stack, as udp listen -e
// -q 7 opens it.
func echoSocket(tb testing.TB) (*udp.Socket, func(), *captureDriver) {
	tb.Helper()
	s, dev, drv, _ := echoHost(tb)
	sock, err := s.UDP.Listen(netip.AddrPortFrom(netip.Addr{}, 7))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sock.Close() })
	req := udpFrame(7, 56)
	buf := make([]byte, udp.MaxPayload)
	ctx := context.Background()
	once := func() {
		receive(s, dev, req) // the poller's part: frame in, datagram queued
		if _, _, err := udp.Echo(ctx, sock, buf); err != nil {
			panic(err)
		}
	}
	return sock, once, drv
}

func TestUDPEchoReply(t *testing.T) {
	_, once, drv := echoSocket(t)
	once()
	if drv.writes != 1 {
		t.Fatalf("%d frames sent, want 1 echo", drv.writes)
	}
	h, err := ip.Parse(drv.last[netdev.EthernetHeaderLen:])
	if err != nil || h.Protocol() != ip.ProtoUDP || h.Dst() != peerAddr || h.Src() != netip.MustParseAddr("10.0.0.1") {
		t.Fatalf("echo IP header %v, %v", h, err)
	}
	u, err := udp.Parse(drv.last[netdev.EthernetHeaderLen+h.IHL() : netdev.EthernetHeaderLen+h.TotalLen()])
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Verify(h.Src(), h.Dst()); err != nil {
		t.Error(err)
	}
	want := udpFrame(7, 56)[netdev.EthernetHeaderLen+ip.HeaderLen+udp.HeaderLen:]
	if u.SrcPort() != 7 || u.DstPort() != 5000 || string(u.Payload()) != string(want) {
		t.Errorf("echo %v with %d bytes, want 7 > 5000 with the request's 56", u, len(u.Payload()))
	}
}

// A UDP echo done as udp listen -e -q does it (RecvFrom into the
// caller's buffer, SendTo from it) allocates nothing per datagram, from
// frame in to frame out.
func TestUDPEchoAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under the race detector; make unit runs it again without -race")
	}
	_, once, drv := echoSocket(t)
	once() // warm the pool
	allocs := testing.AllocsPerRun(1000, once)
	if allocs != 0 {
		t.Errorf("%v allocations per UDP echo, want 0", allocs)
	}
	if want := 1 + 1 + 1000; drv.writes != want {
		t.Errorf("%d echoes for %d datagrams", drv.writes, want)
	}
}

func BenchmarkUDPEcho(b *testing.B) {
	_, once, drv := echoSocket(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(udpFrame(7, 56))))
	for b.Loop() {
		once()
	}
	if drv.writes < b.N {
		b.Fatalf("%d echoes for %d datagrams", drv.writes, b.N)
	}
}
