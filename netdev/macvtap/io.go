//go:build linux

package macvtap

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/vnet"
)

// ReadFrame reads one frame (its virtio_net_hdr into the driver's own
// buffer, the frame into buf), finishing a partial checksum; GSO
// super-frames, frames longer than buf and bad headers are dropped and
// counted. When nothing is queued it waits in poll(2) on the device, the
// link events and Close. It returns an error wrapping netdev.ErrGone once
// the macvtap is deleted (its parent removed), and one wrapping
// ErrParentDown each time the carrier goes.
func (m *Macvtap) ReadFrame(buf []byte) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.rxMu.Lock()
	defer m.rxMu.Unlock()
	iov := [][]byte{m.rxHdr[:], buf}
	fds := [3]unix.PollFd{{Fd: int32(m.fd), Events: unix.POLLIN}, {Fd: int32(m.wake), Events: unix.POLLIN}, {Fd: int32(m.events), Events: unix.POLLIN}}
	for !m.closed.Load() {
		if m.gone.Load() {
			return 0, m.errGone()
		}
		n, err := unix.Readv(m.fd, iov)
		switch err {
		case nil:
			if n, ok := m.check(n, buf); ok {
				return n, nil
			}
			continue
		case unix.EAGAIN, unix.EINTR:
		default:
			return 0, m.ioError("read", err)
		}
		if _, err := unix.Poll(fds[:], -1); err != nil && err != unix.EINTR {
			return 0, fmt.Errorf("macvtap %s: poll: %w", m.name, err)
		}
		if fds[2].Revents != 0 {
			if err := m.linkEvents(); err != nil {
				return 0, err
			}
		}
	}
	return 0, netdev.ErrClosed
}

// check takes a read of n bytes (header and frame): the frame's length,
// or false when it is dropped (and counted).
func (m *Macvtap) check(n int, buf []byte) (int, bool) {
	n -= vnet.HeaderLen
	switch {
	case n < 0:
		m.stats.RxBadFrame.Add(1)
	case n > len(buf):
		m.stats.RxTruncated.Add(1)
	default:
		switch vnet.Receive(m.rxHdr[:], buf[:n]) {
		case vnet.OK:
			if vnet.Header(m.rxHdr[:]).NeedsChecksum() {
				m.stats.RxCsumFinished.Add(1)
			}
			return n, true
		case vnet.GSO:
			m.stats.RxGSO.Add(1)
		case vnet.BadCsum:
			m.stats.RxBadCsum.Add(1)
		}
	}
	return 0, false
}

// WriteFrame sends one frame behind a zeroed virtio_net_hdr.
func (m *Macvtap) WriteFrame(frame []byte) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed.Load() {
		return netdev.ErrClosed
	}
	// A macvtap whose device is deleted still takes writes (and drops
	// them): only the link events tell.
	if m.gone.Load() {
		return m.errGone()
	}
	for {
		_, err := unix.Writev(m.fd, [][]byte{zeroHdr[:], frame})
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return m.ioError("write", err)
		}
		return nil
	}
}

func (m *Macvtap) errGone() error {
	return fmt.Errorf("macvtap %s: %w (its parent %s was removed, or the macvtap itself)", m.name, netdev.ErrGone, m.parentName)
}

// ioError wraps err from read(2) or write(2), as ErrGone when it says the
// device is no more.
func (m *Macvtap) ioError(op string, err error) error {
	switch err {
	case unix.ENODEV, unix.ENXIO, unix.EBADFD, unix.ENOLINK:
		m.gone.Store(true)
		return fmt.Errorf("%w: %s: %v", m.errGone(), op, err)
	}
	return fmt.Errorf("macvtap %s: %s: %w", m.name, op, err)
}

// linkEvents reads the pending link events and acts on our macvtap's:
// deleted sets gone (and is returned as ErrGone); a lost carrier is
// returned as ErrParentDown. When the kernel dropped events (ENOBUFS), it
// asks for the link's state instead.
func (m *Macvtap) linkEvents() error {
	lost := false
	for {
		n, _, err := unix.Recvfrom(m.events, m.evBuf, 0)
		if err == unix.ENOBUFS {
			l, err := m.ctl.getLink("", m.index)
			switch {
			case err == unix.ENODEV:
				m.gone.Store(true)
			case err == nil:
				lost = m.carrierNow(l.flags) || lost
			}
			continue
		}
		if err != nil { // EAGAIN: all read
			break
		}
		for msg := m.evBuf[:n]; len(msg) >= nlmsgHdrLen; {
			l := int(ne.Uint32(msg[0:]))
			if l < nlmsgHdrLen || l > len(msg) {
				break
			}
			typ, body := ne.Uint16(msg[4:]), msg[nlmsgHdrLen:l]
			msg = msg[min(nlmAlign(l), len(msg)):]
			lk, err := parseLink(body)
			if err != nil || lk.index != m.index {
				continue
			}
			switch typ {
			case unix.RTM_DELLINK:
				m.gone.Store(true)
			case unix.RTM_NEWLINK:
				lost = m.carrierNow(lk.flags) || lost
			}
		}
	}
	switch {
	case m.gone.Load():
		return m.errGone()
	case lost:
		return fmt.Errorf("macvtap %s: %w (%s): frames are lost until it is up again", m.name, ErrParentDown, m.parentName)
	}
	return nil
}

// carrierNow records the carrier state in flags and reports whether it
// was just lost.
func (m *Macvtap) carrierNow(flags uint32) bool {
	up := flags&unix.IFF_LOWER_UP != 0
	lost := m.carrier && !up
	m.carrier = up
	return lost
}

// Close wakes a blocked reader, waits for readers and writers to leave,
// closes the device and deletes the macvtap if Open made it.
func (m *Macvtap) Close() error {
	if m.closed.Swap(true) {
		return nil
	}
	one := [8]byte{1}
	unix.Write(m.wake, one[:])
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.release()
}

// release closes what Open opened and deletes what it made.
func (m *Macvtap) release() error {
	for _, fd := range []int{m.fd, m.wake, m.events} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	var err error
	if m.created {
		if e := m.ctl.delLink(m.index); e != nil && e != unix.ENODEV {
			err = fmt.Errorf("macvtap %s: delete: %w", m.name, e)
		}
	}
	m.ctl.close()
	return err
}
