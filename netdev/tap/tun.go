//go:build linux

package tap

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/vnet"
)

// The TAP device is made (or attached to) with TUNSETIFF on /dev/net/tun.
// With offloads, the file is opened with IFF_VNET_HDR: every frame read or
// written is preceded by a virtio_net_hdr (netdev/vnet), and TUNSETOFFLOAD
// tells the kernel what it may hand us and what we hand it:
//
//	TUN_F_CSUM  checksums may be partial both ways (tx-checksumming)
//	TUN_F_TSO4  TCP/IPv4 super-frames both ways: we write up to 64 KB that
//	            the kernel cuts (its GSO), and it sends us up to 64 KB
//	            (its TSO towards a device that takes it, and GRO)
//
// TUN_F_USO4 (UDP super-frames) is not asked for: see doc/decisions.md.

// tunPath is the clone device.
const tunPath = "/dev/net/tun"

// offloadTries are the TUNSETOFFLOAD flag sets tried in turn: the first
// the kernel accepts is in force; if it refuses all, none is.
var offloadTries = []struct {
	flags int
	o     netdev.Offloads
}{
	{unix.TUN_F_CSUM | unix.TUN_F_TSO4, netdev.Offloads{TxChecksum: true, TSO: true, RxVnet: true, GSOMaxSize: GSOMaxSize}},
	{unix.TUN_F_CSUM, netdev.Offloads{TxChecksum: true, RxVnet: true}},
}

// GSOMaxSize is the largest IP datagram of a super-frame we write: the
// IPv4 limit, as the kernel's gso_max_size (65536) allows.
const GSOMaxSize = 65535

// openTun opens /dev/net/tun and attaches it to the TAP device name
// (creating it if need be), with a virtio_net_hdr on every frame if vnetHdr.
// It returns the file and the device's name.
func openTun(name string, vnetHdr bool) (*os.File, string, error) {
	fd, err := unix.Open(tunPath, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", tunPath, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, "", err
	}
	flags := uint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if vnetHdr {
		flags |= unix.IFF_VNET_HDR
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, "", fmt.Errorf("TUNSETIFF: %w", err)
	}
	if vnetHdr {
		if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, vnet.HeaderLen); err != nil {
			unix.Close(fd)
			return nil, "", fmt.Errorf("TUNSETVNETHDRSZ: %w", err)
		}
	}
	return os.NewFile(uintptr(fd), tunPath), ifr.Name(), nil
}

// negotiateOffloads asks the kernel for the offloads of offloadTries in
// turn and returns those it accepted (none, if it refused them all: the
// frames still carry a zeroed header).
func negotiateOffloads(fd int) netdev.Offloads {
	for _, try := range offloadTries {
		if unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, try.flags) == nil {
			return try.o
		}
	}
	unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, 0)
	return netdev.Offloads{RxVnet: true}
}
