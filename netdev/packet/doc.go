// Package packet is the AF_PACKET driver: it takes over an existing Ethernet
// interface (a NIC, one end of a veth pair) through a raw packet socket, so
// the stack sends and receives on a real wire without a TAP or a bridge.
//
// The socket is SOCK_RAW with protocol ETH_P_ALL, bound to the interface's
// index, and puts the interface in promiscuous mode (PACKET_MR_PROMISC
// membership, released by the kernel when the socket closes), since the
// stack answers for its own MAC, not the interface's. Frames the kernel
// reports as PACKET_OUTGOING (our own transmissions, and whatever the host
// sends) are not read back: PACKET_IGNORE_OUTGOING (Linux 4.20 and later)
// drops them in the kernel; on older kernels ReadFrame skips them by the
// sll_pkttype the kernel writes beside each frame in the ring.
//
// # Rings
//
// Frames move through two rings shared with the kernel (PACKET_MMAP,
// TPACKET_V2; abi.go draws the layout), so the fast path makes few system
// calls: no read(2) per frame received, one send(2) per batch sent.
//
// Receive: the kernel writes each frame into the next frame of the rx
// ring and marks it TP_STATUS_USER; ReadFrame copies it out, hands the
// frame back (TP_STATUS_KERNEL, an atomic store) and advances. It calls
// poll(2) only when the ring is empty. The ring holds 256 frames at MTU
// 1500 (512 KiB); when it is full the kernel drops, and Stats counts the
// drops (PACKET_STATISTICS). A ring frame holds the interface's MTU when
// opened plus the Ethernet header and one VLAN tag; a longer frame (MTU
// raised later, GRO) arrives truncated and is dropped and counted.
//
// TPACKET_V2, not V3, for receive: V3 hands user space whole blocks of
// frames, each when it is full or when its retire timer (whole
// milliseconds, at least one) expires. Under a closed-loop load (a ping,
// a request/response exchange with a few requests outstanding) a block
// never fills, so every frame would wait up to a millisecond. V2 shows
// each frame the moment the kernel has written it.
//
// Transmit: WriteFrame copies the frame into the next free frame of the
// tx ring and marks it TP_STATUS_SEND_REQUEST; send(2) with no data then
// makes the kernel transmit every marked frame in order. When to flush:
// the goroutine calling ReadFrame (the poller) is "active" from the
// moment it reads a frame until it finds the rx ring empty; while it is
// active, frames stay queued (the replies it writes, and frames other
// goroutines write), and it flushes before it sleeps in poll(2), after
// every 32 frames it reads, and whenever 32 frames are queued. A writer
// that finds the poller not active flushes itself. The writer checks
// after queuing and the poller clears active before flushing, so no frame
// is left queued while the poller sleeps (WriteFrame has the argument).
// A full ring is flushed and waited on (poll(2) for POLLOUT, or Close). A
// frame beyond the interface's MTU at Open is refused (ErrFrameTooLarge);
// one the kernel refuses at send is dropped, counted, and the error
// returned by the call that flushed it. Frames queued when the interface
// is down are dropped. An interface deleted under the driver ends reads
// and writes with netdev.ErrGone (the reader, woken once by the kernel's
// ENETDOWN, looks every second whether its socket was unbound).
//
// Without the rings (a kernel or sandbox without PACKET_MMAP) Open fails
// and says why; there is no copying fallback.
//
// The socket is non-blocking; waits are in poll(2) on the socket and an
// eventfd that Close writes, the same scheme as the tap driver. It needs
// root or CAP_NET_RAW.
//
// # Use
//
// The kernel's own stack still sees every frame on the interface. If the
// interface holds an address, the kernel answers ARP and ICMP for it, and
// may reset TCP connections the stack owns. Take the interface's addresses
// away and keep it up before starting tapip on it:
//
//	ip addr flush dev eth0
//	sysctl -w net.ipv6.conf.eth0.disable_ipv6=1   # optional: no IPv6 chatter
//	ip link set eth0 up
//	tapip -dev packet:eth0 -addr 192.168.1.50/24
//
// On a remote machine this cuts the connection you reached it through;
// use a second interface.
//
// # Checksum offload
//
// A frame the local kernel sends (over a veth pair, or from a process on
// this host) may reach the socket with its UDP or TCP checksum not filled
// in: with tx checksum offload on, as it is on a veth, the kernel leaves
// it for the "hardware" (CHECKSUM_PARTIAL). The driver is that hardware,
// as a NIC with checksum offload or a virtio-net device would be: the
// socket has PACKET_VNET_HDR, so a struct virtio_net_hdr comes with each
// frame, and when it says NEEDS_CSUM the driver sums the frame from
// csum_start to its end and stores the checksum at csum_start +
// csum_offset, knowing nothing of IP, UDP or TCP (netdev/vnet, shared
// with the macvtap driver). The stack receives
// complete frames; the peer's offloads stay on. A header that puts the
// checksum outside its frame is dropped and counted (Stats.RxBadCsum). On
// transmit each frame's header carries what the stack asks for: a partial
// checksum the kernel finishes, or, for a TCP super-frame of up to 64 KB
// that the kernel cuts (TSO), sent by a second socket without rings
// (gso.go); frames the stack marks nothing on carry a zeroed header.
//
// A GSO super-frame (segmentation offload: a sender using UDP_SEGMENT, or
// TCP with TSO, on a veth peer; tx-udp-segmentation and TSO are on by
// default) is one frame of several datagrams' data that nobody segmented:
// it is dropped and counted (Stats.RxGSO), not passed up as one datagram.
// If a sender on a veth peer uses them, turn them off on its end:
// ethtool -K PEER tx-udp-segmentation off tso off.
//
// Kernels before 4.6 do not put the header in the rings; there the driver
// runs without it and partial checksums reach the stack as they are
// (turn tx checksum offload off on a veth peer: ethtool -K PEER tx off).
package packet
