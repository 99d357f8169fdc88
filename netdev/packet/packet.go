//go:build linux

package packet

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
)

// Packet is an AF_PACKET socket on one interface; it implements
// netdev.Driver and netdev.HardwareAddresser.
type Packet struct {
	name           string
	ifindex        int
	mac            netdev.MAC
	fd             int
	wake           int  // eventfd written by Close
	filterOutgoing bool // read with recvfrom and skip PACKET_OUTGOING

	mu     sync.RWMutex // read/write hold it shared, Close exclusively
	closed atomic.Bool
}

var (
	_ netdev.Driver            = (*Packet)(nil)
	_ netdev.HardwareAddresser = (*Packet)(nil)
)

// Open takes over the Ethernet interface iface of the caller's network
// namespace. It needs root or CAP_NET_RAW. See the package doc for why the
// kernel should hold no address on iface.
func Open(iface string) (*Packet, error) {
	return open(iface, true)
}

func open(iface string, ignoreOutgoing bool) (*Packet, error) {
	s, err := openSocket(iface, ignoreOutgoing)
	if err != nil {
		return nil, err
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(s.fd)
		return nil, fmt.Errorf("packet %s: eventfd: %w", iface, err)
	}
	return &Packet{
		name: iface, ifindex: s.ifindex, mac: s.mac,
		fd: s.fd, wake: wake, filterOutgoing: s.filterOutgoing,
	}, nil
}

// Name is the interface's name.
func (p *Packet) Name() string { return p.name }

// Kind is "packet".
func (p *Packet) Kind() string { return "packet" }

// HardwareAddr is the interface's MAC, read when the socket was opened.
func (p *Packet) HardwareAddr() netdev.MAC { return p.mac }

// ReadFrame reads one incoming frame, waiting in poll(2) when none is
// queued. Our own transmissions are never returned.
func (p *Packet) ReadFrame(buf []byte) (int, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for !p.closed.Load() {
		var n int
		var err error
		if p.filterOutgoing {
			n, err = recvIncoming(p.fd, buf)
		} else {
			n, err = unix.Read(p.fd, buf)
		}
		switch err {
		case nil:
			return n, nil
		case unix.EAGAIN, unix.EINTR:
		case unix.ENETDOWN:
			// The interface went down; frames resume when it is up again.
		default:
			return 0, fmt.Errorf("packet %s: read: %w", p.name, err)
		}
		if err := p.wait(unix.POLLIN); err != nil {
			return 0, err
		}
	}
	return 0, netdev.ErrClosed
}

// WriteFrame sends one frame out of the interface. When the socket's send
// buffer is full it waits for room (or for Close).
func (p *Packet) WriteFrame(frame []byte) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for !p.closed.Load() {
		_, err := unix.Write(p.fd, frame)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if err := p.wait(unix.POLLOUT); err != nil {
				return err
			}
		case unix.ENOBUFS:
			return fmt.Errorf("packet %s: transmit queue full, frame dropped: %w", p.name, err)
		case unix.EMSGSIZE:
			return fmt.Errorf("packet %s: frame of %d bytes is larger than the interface MTU allows: %w", p.name, len(frame), err)
		case unix.ENETDOWN:
			return fmt.Errorf("packet %s: interface is down (ip link set %s up): %w", p.name, p.name, err)
		default:
			return fmt.Errorf("packet %s: write: %w", p.name, err)
		}
	}
	return netdev.ErrClosed
}

// wait blocks in poll(2) until the socket has events or Close is called.
func (p *Packet) wait(events int16) error {
	fds := [2]unix.PollFd{{Fd: int32(p.fd), Events: events}, {Fd: int32(p.wake), Events: unix.POLLIN}}
	if _, err := unix.Poll(fds[:], -1); err != nil && err != unix.EINTR {
		return fmt.Errorf("packet %s: poll: %w", p.name, err)
	}
	return nil
}

// Close wakes blocked readers and writers, waits for them to leave and
// closes the socket; the kernel then drops the promiscuous membership.
func (p *Packet) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	one := [8]byte{1}
	unix.Write(p.wake, one[:])
	p.mu.Lock()
	defer p.mu.Unlock()
	unix.Close(p.wake)
	return unix.Close(p.fd)
}
