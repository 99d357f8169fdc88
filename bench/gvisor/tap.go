package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// openTAP creates (or attaches to) the TAP device name in the current
// network namespace and returns its file descriptor, blocking.
//
// With vnetHdr, every frame read or written carries a 10-byte
// virtio_net_hdr in front, and TUNSETOFFLOAD tells the kernel we take
// partial checksums (TUN_F_CSUM) and TCP/IPv4 segments up to 64 KB
// (TUN_F_TSO4): the kernel then hands us unsegmented TCP and accepts ours.
func openTAP(name string, vnetHdr bool) (int, error) {
	if len(name) == 0 || len(name) >= unix.IFNAMSIZ {
		return -1, fmt.Errorf("TAP name %q must be 1 to %d characters", name, unix.IFNAMSIZ-1)
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/net/tun: %v (run as root, with the tun module loaded)", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	flags := uint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if vnetHdr {
		flags |= unix.IFF_VNET_HDR
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("TAP %s: %v (is it busy, or of another kind?)", name, err)
	}
	if vnetHdr {
		offload := unix.TUN_F_CSUM | unix.TUN_F_TSO4
		if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, offload); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("TAP %s: TUNSETOFFLOAD: %v (try -offload=false)", name, err)
		}
	}
	return fd, nil
}
