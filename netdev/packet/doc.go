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
// drops them in the kernel; on older kernels ReadFrame uses recvfrom(2) and
// skips them by the pkttype of the source sockaddr_ll.
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
// Checksum offload: a frame the kernel sends over a veth pair may reach us
// with its UDP or TCP checksum not yet filled in (the kernel expects the
// "hardware" to finish it). When the peer is the kernel on a veth, turn that
// off on its end: ethtool -K PEER tx off.
//
// The socket is non-blocking and read with read(2) directly; an empty queue
// waits in poll(2) on the socket and an eventfd that Close writes, the same
// scheme as the tap driver. It needs root or CAP_NET_RAW.
package packet
