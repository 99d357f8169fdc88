//go:build linux

package netmap

import (
	"errors"
	"fmt"
	"net"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
)

// ErrNotLoaded is returned by Open when /dev/netmap does not exist.
var ErrNotLoaded = errors.New("netmap: /dev/netmap not found — is the netmap module loaded?")

const devPath = "/dev/netmap"

// Open puts interface iface in netmap mode, binding all its NIC rings, and
// maps the shared region. While it is open the kernel's own stack neither
// sees the NIC's frames nor sends on it. It needs root and the netmap
// kernel module (see doc/netmap.md).
func Open(iface string) (*Netmap, error) {
	if len(iface) == 0 || len(iface) >= ifNameSize {
		return nil, fmt.Errorf("netmap: bad interface name %q (1 to %d bytes)", iface, ifNameSize-1)
	}
	fd, err := unix.Open(devPath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, ErrNotLoaded
	}
	if err != nil {
		return nil, fmt.Errorf("netmap: open %s: %w (needs root)", devPath, err)
	}
	k := &sysKernel{fd: fd, wakeFD: -1}
	m, err := k.register(iface)
	if err != nil {
		k.close()
		return nil, err
	}
	return m, nil
}

// sysKernel is the kernel interface over a real /dev/netmap descriptor.
type sysKernel struct {
	fd     int
	wakeFD int // eventfd written by wake
	mem    []byte
}

// register binds iface (NIOCREGIF), maps the region and finds the rings.
func (k *sysKernel) register(iface string) (*Netmap, error) {
	var req [reqSize]byte
	copy(req[reqName:reqName+ifNameSize-1], iface)
	ne.PutUint32(req[reqVersion:], apiVersion)
	ne.PutUint16(req[reqRingID:], noTxPoll)
	ne.PutUint32(req[reqFlags:], regAllNIC)
	if err := ioctlPtr(k.fd, niocRegIf, unsafe.Pointer(&req)); err != nil {
		switch {
		case errors.Is(err, unix.EINVAL) && ne.Uint32(req[reqVersion:]) != apiVersion:
			return nil, fmt.Errorf("netmap: the kernel module speaks API %d, this driver API %d; use a matching netmap build",
				ne.Uint32(req[reqVersion:]), apiVersion)
		case errors.Is(err, unix.ENXIO), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENOENT):
			return nil, fmt.Errorf("netmap %s: no such interface, or it has no netmap support: %w", iface, err)
		case errors.Is(err, unix.EBUSY):
			return nil, fmt.Errorf("netmap %s: already in use in netmap mode (another tapip or pkt-gen?): %w", iface, err)
		}
		return nil, fmt.Errorf("netmap %s: NIOCREGIF: %w", iface, err)
	}
	size := ne.Uint32(req[reqMemsize:])
	mem, err := unix.Mmap(k.fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("netmap %s: mmap %d bytes: %w", iface, size, err)
	}
	k.mem = mem
	p, err := newPort(mem, uint64(ne.Uint32(req[reqOffset:])))
	if err != nil {
		return nil, fmt.Errorf("netmap %s: %w", iface, err)
	}
	if k.wakeFD, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return nil, fmt.Errorf("netmap %s: eventfd: %w", iface, err)
	}
	var mac netdev.MAC
	if ifc, err := net.InterfaceByName(iface); err == nil && len(ifc.HardwareAddr) == len(mac) {
		copy(mac[:], ifc.HardwareAddr)
	}
	return newNetmap(iface, mac, k, p), nil
}

// ioctlPtr is ioctl(2) with a pointer argument. The pointer refers to a Go
// array the caller keeps alive; the kernel uses it only during the call.
func ioctlPtr(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

func (k *sysKernel) txSync() error {
	for {
		err := ioctlPtr(k.fd, niocTxSync, nil)
		if err != unix.EINTR {
			if err != nil {
				return fmt.Errorf("NIOCTXSYNC: %w", err)
			}
			return nil
		}
	}
}

func (k *sysKernel) poll(events int16, timeout int) (ready bool, err error) {
	fds := [2]unix.PollFd{{Fd: int32(k.fd), Events: events}, {Fd: int32(k.wakeFD), Events: unix.POLLIN}}
	n, err := unix.Poll(fds[:], timeout)
	if err == unix.EINTR {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("poll: %w", err)
	}
	return n > 0, nil
}

// waitRx polls for POLLIN, which also runs the rx sync in the kernel.
func (k *sysKernel) waitRx() error {
	_, err := k.poll(unix.POLLIN, -1)
	return err
}

// waitTx polls for POLLOUT (a tx sync, with NETMAP_NO_TX_POLL set only then).
func (k *sysKernel) waitTx(d time.Duration) (bool, error) {
	ms := int(d.Milliseconds()) + 1
	ready, err := k.poll(unix.POLLOUT, ms)
	return !ready, err
}

func (k *sysKernel) wake() {
	if k.wakeFD >= 0 {
		one := [8]byte{1}
		unix.Write(k.wakeFD, one[:])
	}
}

func (k *sysKernel) close() error {
	if k.mem != nil {
		unix.Munmap(k.mem)
		k.mem = nil
	}
	if k.wakeFD >= 0 {
		unix.Close(k.wakeFD)
		k.wakeFD = -1
	}
	return unix.Close(k.fd)
}
