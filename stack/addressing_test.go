package stack_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
)

// A device with no address: sending through it takes another device's
// address, or fails with a clear error when there is none; never a panic.
func TestDeviceWithoutAddress(t *testing.T) {
	s := stack.New(stack.Config{})
	t.Cleanup(s.Close)
	end, _ := pipe.New(1)
	dev, err := s.AddDevice(end, netdev.Config{Name: "bare0", MAC: netdev.MAC{2, 0, 0, 0, 0, 9}}, netip.Prefix{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.IP.Routes.Add(ip.Route{Prefix: netip.MustParsePrefix("10.9.0.0/24"), Dev: dev}); err != nil {
		t.Fatal(err)
	}
	dst := netip.MustParseAddrPort("10.9.0.5:7")
	sock, err := s.UDP.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	if _, err := sock.SendTo([]byte("x"), dst); !errors.Is(err, ip.ErrAddrNotAvail) {
		t.Errorf("UDP from an addressless stack: %v, want ErrAddrNotAvail", err)
	}
	// As iputils ping, whose connect(2) fails with EADDRNOTAVAIL: no
	// header, no statistics.
	out, err := shellPing(t, s, "-c 1 -W 0.2 10.9.0.5")
	if want := "ping: connect: Cannot assign requested address"; err == nil || err.Error() != want || out != "" {
		t.Errorf("ping from an addressless stack: %v, output %q; want %q and no output", err, out, want)
	}

	// With an address on another device, that one is the source.
	other, _ := pipe.New(2)
	if _, err := s.AddDevice(other, netdev.Config{Name: "eth1", MAC: netdev.MAC{2, 0, 0, 0, 0, 8}}, netip.MustParsePrefix("10.0.7.1/24")); err != nil {
		t.Fatal(err)
	}
	if src, err := s.IP.SourceAddr(dst.Addr()); err != nil || src != netip.MustParseAddr("10.0.7.1") {
		t.Errorf("SourceAddr via the addressless device = %v, %v; want 10.0.7.1", src, err)
	}
}

// An echo request to the limited broadcast on an addressless device, with
// broadcast echoes answered: dropped and counted, not a crash.
func TestBroadcastEchoOnAddresslessDevice(t *testing.T) {
	s, _, drv, req := echoHost(t)
	s.ICMP.IgnoreBroadcastEcho.Store(false)
	end, _ := pipe.New(5) // a driver whose Close wakes its poller
	bare, err := s.AddDevice(end, netdev.Config{Name: "bare0", MAC: netdev.MAC{2, 0, 0, 0, 0, 9}}, netip.Prefix{})
	if err != nil {
		t.Fatal(err)
	}
	frame := append([]byte(nil), req...)
	netdev.Ethernet(frame).SetDst(netdev.BroadcastMAC)
	h := ip.Header(frame[netdev.EthernetHeaderLen:])
	h.SetDst(netip.MustParseAddr("255.255.255.255"))
	h.UpdateChecksum()
	receive(s, bare, frame)
	if drv.writes != 0 {
		t.Errorf("%d frames sent", drv.writes)
	}
	if n := s.ICMP.Stats.InEchoBroadcastIgnored.Load(); n != 1 {
		t.Errorf("InEchoBroadcastIgnored = %d, want 1", n)
	}
}

// 255.255.255.255 goes out as a link broadcast even with a default route:
// never unicast to the gateway (RFC 1122 3.3.6).
func TestLimitedBroadcastStaysOnTheLink(t *testing.T) {
	a, b, _ := twoHosts(t, 4)
	dev, _ := a.Device("veth0")
	if err := a.AddDefaultRoute(dev, netip.MustParseAddr("10.0.0.77")); err != nil { // a gateway nobody answers for
		t.Fatal(err)
	}
	sock, err := b.UDP.Listen(netip.MustParseAddrPort("0.0.0.0:9999"))
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	out, err := a.UDP.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := out.SendTo([]byte("to all"), netip.MustParseAddrPort("255.255.255.255:9999")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	buf := make([]byte, 64)
	if n, _, err := sock.RecvFrom(ctx, buf); err != nil || string(buf[:n]) != "to all" {
		t.Errorf("B received %q, %v", buf[:n], err)
	}
	if _, ok := a.ARP.Lookup(netip.MustParseAddr("10.0.0.77")); ok || len(a.ARP.List()) != 0 {
		t.Errorf("A asked ARP for something: %v", a.ARP.List())
	}
}

// Loopback addresses arriving from a wire are martians: dropped, counted,
// never answered (RFC 1122 3.2.1.3).
func TestMartianLoopbackFromTheWire(t *testing.T) {
	s, dev, drv, req := echoHost(t)
	for _, set := range []func(ip.Header){
		func(h ip.Header) { h.SetDst(netip.MustParseAddr("127.0.0.1")) },
		func(h ip.Header) { h.SetSrc(netip.MustParseAddr("127.0.0.1")) },
	} {
		frame := append([]byte(nil), req...)
		h := ip.Header(frame[netdev.EthernetHeaderLen:])
		set(h)
		h.UpdateChecksum()
		receive(s, dev, frame)
	}
	if drv.writes != 0 {
		t.Errorf("answered a martian: %d frames sent", drv.writes)
	}
	if n := s.IP.Stats.InAddrErrors.Load(); n != 2 {
		t.Errorf("InAddrErrors = %d, want 2", n)
	}
}

// A router never turns a directed broadcast into a link broadcast.
func TestRouterDropsDirectedBroadcast(t *testing.T) {
	l := newRouterLab(t)
	l.r.IP.Forwarding.Store(true)
	far, _ := l.r.Device("veth1")
	before := far.Stats.TxPackets.Load()
	shellPing(t, l.a, "-c 1 -W 0.3 10.0.2.255")
	// ping gave up on its clock, not R's: wait for R to see the request.
	waitFor(t, "R to count the drop (InAddrErrors)", func() bool { return l.r.IP.Stats.InAddrErrors.Load() > 0 })
	if sent := far.Stats.TxPackets.Load() - before; sent != 0 {
		t.Errorf("the router sent %d frames onto 10.0.2.0/24", sent)
	}
}
