package stack_test

import (
	"net/netip"
	"testing"

	"github.com/gotapip/gotapip/netdev"
)

// FuzzReceive feeds arbitrary frames to the whole receive path (Ethernet,
// ARP, IPv4, ICMP, UDP): nothing may panic, and every packet still out of
// the pool afterwards is accounted for: lo's receive buffer, packets
// waiting for ARP, datagrams in a socket's queue. One more is a leak.
func FuzzReceive(f *testing.F) {
	f.Add(echoFrame(56))   // a valid echo request
	f.Add(echoFrame(0))    // no data
	f.Add(echoFrame(1400)) // large
	f.Add([]byte{})        // empty
	f.Add(make([]byte, netdev.EthernetHeaderLen))
	arpReq := append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x06},
		0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1)
	f.Add(arpReq)          // who-has 10.0.0.1 tell 10.0.0.2
	f.Add(udpFrame(7, 56)) // UDP to a bound port (queued, up to the socket's bound)
	f.Add(udpFrame(9, 0))  // UDP to a closed port: port unreachable goes out
	s, dev, _, _ := echoHost(f)
	if _, err := s.UDP.Listen(netip.AddrPortFrom(netip.Addr{}, 7)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) > netdev.EthernetHeaderLen+dev.MTU() {
			frame = frame[:netdev.EthernetHeaderLen+dev.MTU()]
		}
		receive(s, dev, frame)
		held, want := s.Pool.InUse(), int64(1+s.ARP.Queued()+s.UDP.Queued())
		if held != want {
			t.Fatalf("%d packets out of the pool, %d accounted for (lo 1, ARP %d, UDP %d)", held, want, s.ARP.Queued(), s.UDP.Queued())
		}
	})
}
