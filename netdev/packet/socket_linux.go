//go:build linux

package packet

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
)

// socket is the raw AF_PACKET socket Open sets up.
type socket struct {
	fd             int
	ifindex        int
	mac            netdev.MAC
	filterOutgoing bool // the kernel lacks PACKET_IGNORE_OUTGOING: skip by pkttype
	mtu            int  // the interface's MTU when opened: sizes the ring frames
}

// htons converts a 16-bit protocol number to the network order sockaddr_ll
// and socket(2) take it in.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openSocket opens a non-blocking packet socket on iface. ignoreOutgoing
// false forces the pkttype filter of kernels without PACKET_IGNORE_OUTGOING
// (tests use it to cover them).
//
// The socket is created with protocol 0 so that it receives nothing until
// it is configured: otherwise frames from every interface, and our own
// outgoing ones, could be queued before the bind and the options apply.
func openSocket(iface string, ignoreOutgoing bool) (s socket, err error) {
	s.fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return s, fmt.Errorf("packet %s: socket: %w (needs root or CAP_NET_RAW)", iface, err)
	}
	defer func() {
		if err != nil {
			unix.Close(s.fd)
		}
	}()
	ifr, err := unix.NewIfreq(iface)
	if err != nil {
		return s, fmt.Errorf("packet %q: bad interface name: %w", iface, err)
	}
	if err := unix.IoctlIfreq(s.fd, unix.SIOCGIFINDEX, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return s, fmt.Errorf("packet %s: no such interface in this network namespace (see ip link show)", iface)
		}
		return s, fmt.Errorf("packet %s: SIOCGIFINDEX: %w", iface, err)
	}
	s.ifindex = int(ifr.Uint32())

	// Bind with protocol 0 first: ties the socket to iface, still receiving nothing.
	if err := unix.Bind(s.fd, &unix.SockaddrLinklayer{Ifindex: s.ifindex}); err != nil {
		return s, fmt.Errorf("packet %s: bind: %w", iface, err)
	}
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		return s, fmt.Errorf("packet %s: getsockname: %w", iface, err)
	}
	ll, ok := sa.(*unix.SockaddrLinklayer)
	if !ok {
		return s, fmt.Errorf("packet %s: getsockname returned %T, not a link-layer address", iface, sa)
	}
	if ll.Hatype != unix.ARPHRD_ETHER || ll.Halen != 6 {
		return s, fmt.Errorf("packet %s: not an Ethernet interface (ARPHRD type %d); the stack speaks Ethernet II only", iface, ll.Hatype)
	}
	copy(s.mac[:], ll.Addr[:6])
	if err := unix.IoctlIfreq(s.fd, unix.SIOCGIFMTU, ifr); err != nil {
		return s, fmt.Errorf("packet %s: SIOCGIFMTU: %w", iface, err)
	}
	s.mtu = int(ifr.Uint32())

	mreq := unix.PacketMreq{Ifindex: int32(s.ifindex), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(s.fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		return s, fmt.Errorf("packet %s: promiscuous mode: %w", iface, err)
	}
	s.filterOutgoing = true
	if ignoreOutgoing {
		err := unix.SetsockoptInt(s.fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
		switch {
		case err == nil:
			s.filterOutgoing = false
		case errors.Is(err, unix.ENOPROTOOPT): // Linux < 4.20: filter in ReadFrame
		default:
			return s, fmt.Errorf("packet %s: PACKET_IGNORE_OUTGOING: %w", iface, err)
		}
	}

	// Now start receiving every protocol.
	if err := unix.Bind(s.fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: s.ifindex}); err != nil {
		return s, fmt.Errorf("packet %s: bind ETH_P_ALL: %w", iface, err)
	}
	return s, nil
}

// kernelAtLeast reports whether the running kernel's release (uname -r)
// is major.minor or later. A release it cannot read counts as older.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false
	}
	var ma, mi int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}
