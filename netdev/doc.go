// Package netdev is the bottom of the stack: the virtual NIC ("veth" in
// tapip), the packet buffer every layer shares, Ethernet II framing, and the
// Driver interface through which frames reach a real or simulated wire.
//
// A NetDev owns one Driver. Its poller goroutine (the "interrupt" of tapip)
// reads frames and runs the receive path synchronously: Ethernet checks here,
// then the handler registered for the frame's EtherType (ARP, IPv4), which
// the stack installs. It reads in batches: when the driver has no frame
// ready (BatchEnder, ErrBatchEnd), or at a bound, it calls OnBatchEnd, so
// a protocol can act once per batch (TCP's one ACK). Output goes the
// other way through NetDev.Transmit.
// When the driver says the device is gone (ErrGone) the poller marks it
// down, stops, and hands it to OnGone, as Linux unregisters a netdev.
//
// Offloads (offload.go): a driver whose frames carry a virtio_net_hdr (a
// TAP with offloads, AF_PACKET) lets the kernel finish checksums and cut
// TCP super-frames of up to 64 KB; TCP marks what it wants on the Packet
// and the device writes the header. Received super-frames go up whole.
//
// netdev imports no protocol package; protocols register with it.
// Ethernet II framing: IEEE 802.3, RFC 894 (IP over Ethernet).
package netdev
