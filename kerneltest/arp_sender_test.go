//go:build linux

package kerneltest

import (
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gotapip/gotapip/netdev"
)

// ARP requests for our address, crafted with gopacket and sent from the
// kernel's side of the TAP with senders that are no host of 10.0.0.0/24:
// none is learned or answered, each is counted; the kernel's own ARP is
// still learned and answered.
func TestARPFromSenderOffSubnetFromKernel(t *testing.T) {
	h := newTapHost(t)
	send := kernelSender(t, h)
	theirs := h.kernelMAC(t)
	if got := h.ping(t, "10.0.0.2", 1); got != 1 { // the kernel's real address: learned
		t.Fatalf("warm-up ping: %d replies", got)
	}
	bad := []string{"10.0.0.0", "10.0.0.255", "192.168.7.9"}
	st := &h.stack.ARP.Stats
	badBefore, repliesBefore := st.InBadSenderIP.Load(), st.OutReplies.Load()
	for _, sender := range bad {
		send(arpRequest(t, theirs, netip.MustParseAddr(sender), stackAddr.Addr()))
	}
	if got := h.ping(t, "10.0.0.2", 1); got != 1 { // a barrier: the requests were read before the reply
		t.Fatal("no ping reply after the crafted requests")
	}
	if n := st.InBadSenderIP.Load() - badBefore; n != uint64(len(bad)) {
		t.Errorf("InBadSenderIP moved by %d, want %d", n, len(bad))
	}
	if n := st.OutReplies.Load() - repliesBefore; n != 0 {
		t.Errorf("answered %d of the crafted requests, want none", n)
	}
	for _, sender := range bad {
		if mac, ok := h.stack.ARP.Lookup(netip.MustParseAddr(sender)); ok {
			t.Errorf("%s learned at %v", sender, mac)
		}
	}
	if mac, ok := h.stack.ARP.Lookup(kernelAddr.Addr()); !ok || mac != theirs {
		t.Errorf("the kernel's 10.0.0.2: %v, %v; want %v learned", mac, ok, theirs)
	}
}

// arpRequest is a broadcast "who has target? tell sender" from mac,
// serialized by gopacket (not our encoder).
func arpRequest(t *testing.T, mac netdev.MAC, sender, target netip.Addr) []byte {
	t.Helper()
	s4, t4 := sender.As4(), target.As4()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(mac[:]), DstMAC: net.HardwareAddr(netdev.BroadcastMAC[:]), EthernetType: layers.EthernetTypeARP}
	req := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: mac[:], SourceProtAddress: s4[:], DstHwAddress: make([]byte, 6), DstProtAddress: t4[:]}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{}, eth, req); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
