//go:build linux

// Package tap is the driver for a Linux TAP device: the kernel sees an
// Ethernet interface, and every frame it sends there is ours to read.
//
// Open creates (or attaches to) the device with TUNSETIFF (tun.go); the
// driver then reads and writes its file descriptor directly with
// read(2)/write(2) rather than through the Go netpoller, which costs less
// per packet. With offloads, frames carry a virtio_net_hdr (netdev/vnet). The fd
// is non-blocking: a read that finds nothing waits in poll(2) on the fd and
// an eventfd that Close uses to wake it.
package tap

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/vnet"
)

// TAP is an open TAP device; it implements netdev.Driver.
type TAP struct {
	name    string
	existed bool     // the device was there before us (brcfg.sh's persistent tap)
	file    *os.File // keeps the fd alive; closed by Close
	fd      int
	wake    int // eventfd written by Close

	mu     sync.RWMutex // read/write hold it shared, Close exclusively
	closed atomic.Bool

	busyPoll atomic.Int64 // ns to spin after the last frame before poll(2); 0: never
	lastRx   time.Time    // when the last frame was read (reader only)

	batchEnds bool // EndBatches was called (before the first read)
	inBatch   bool // a frame was read since the last ErrBatchEnd (reader only)

	vnet     bool            // opened with IFF_VNET_HDR: a virtio_net_hdr precedes every frame
	offloads netdev.Offloads // what TUNSETOFFLOAD got (tun.go)
	rxHdr    [vnet.HeaderLen]byte
}

// EndBatches makes ReadFrame return netdev.ErrBatchEnd when a read finds
// no frame after one did (netdev.BatchEnder): the poller's batch ends there.
func (t *TAP) EndBatches() { t.batchEnds = true }

var _ netdev.OffloadDriver = (*TAP)(nil)
var _ netdev.VnetReader = (*TAP)(nil)

// zeroHdr goes before a frame written by WriteFrame: no offload asked.
var zeroHdr [vnet.HeaderLen]byte

// SetBusyPoll makes ReadFrame spin on the non-blocking read for up to d
// after the last frame before it sleeps in poll(2) (tapip -poll auto and
// busy): an idle CPU's wake-up costs tens of microseconds, so under
// traffic spinning cuts latency, and after d of silence the reader sleeps
// again. Each turn of the spin yields the CPU (sched_yield(2)), so it
// costs nothing while other threads, the kernel's peers among them, have
// work. 0 switches it off.
func (t *TAP) SetBusyPoll(d time.Duration) { t.busyPoll.Store(int64(d)) }

// Options are how a TAP is opened.
type Options struct {
	// Offload opens it with a virtio_net_hdr on every frame and asks the
	// kernel for checksum and segmentation offloads (tun.go).
	Offload bool
}

// Open creates the TAP device name, or attaches to it if it already exists
// (then it is left in place on Close). It needs CAP_NET_ADMIN.
func Open(name string, opt Options) (*TAP, error) {
	_, lookupErr := net.InterfaceByName(name)
	existed := lookupErr == nil
	f, kname, err := openTun(name, opt.Offload)
	if err != nil {
		return nil, fmt.Errorf("tap %s: %w (needs root or CAP_NET_ADMIN, and /dev/net/tun)", name, err)
	}
	fd, err := rawFD(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tap %s: eventfd: %w", name, err)
	}
	t := &TAP{name: kname, existed: existed, file: f, fd: fd, wake: wake, vnet: opt.Offload}
	if opt.Offload {
		t.offloads = negotiateOffloads(fd)
	}
	return t, nil
}

// rawFD returns f's descriptor without switching it to blocking mode (which
// os.File.Fd would do).
func rawFD(f *os.File) (int, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := sc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return -1, err
	}
	return fd, nil
}

// Name is the device's name in the kernel.
func (t *TAP) Name() string { return t.name }

// Existed reports whether the device was there before Open.
func (t *TAP) Existed() bool { return t.existed }

func (t *TAP) Kind() string { return "tap" }

// Offloads reports what the kernel agreed to at Open.
func (t *TAP) Offloads() netdev.Offloads { return t.offloads }

// ReadFrame reads one frame, waiting in poll(2) when none is queued. On a
// TAP with a virtio_net_hdr the header is read aside and applied: a
// partial checksum is finished, a super-frame dropped (the device reads
// with ReadVnetFrame instead, which takes them).
func (t *TAP) ReadFrame(buf []byte) (int, error) {
	if !t.vnet {
		return t.read(buf, nil)
	}
	for {
		n, err := t.read(nil, [][]byte{t.rxHdr[:], buf})
		if err != nil {
			return 0, err
		}
		n -= vnet.HeaderLen
		if n >= 0 && n <= len(buf) && vnet.Receive(t.rxHdr[:], buf[:n]) == vnet.OK {
			return n, nil
		}
	}
}

// ReadVnetFrame reads a virtio_net_hdr and the frame after it into b.
func (t *TAP) ReadVnetFrame(b []byte) (int, error) { return t.read(b, nil) }

// read reads one frame into buf with read(2), or, if iov is not nil,
// into iov with readv(2), waiting in poll(2) when none is queued. (Two
// parameters rather than one slice of buffers: a read into one buffer,
// the data path's, then allocates nothing.)
func (t *TAP) read(buf []byte, iov [][]byte) (int, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	fds := [2]unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLIN}, {Fd: int32(t.wake), Events: unix.POLLIN}}
	for !t.closed.Load() {
		var n int
		var err error
		if iov == nil {
			n, err = unix.Read(t.fd, buf)
		} else {
			n, err = unix.Readv(t.fd, iov)
		}
		switch err {
		case nil:
			if t.busyPoll.Load() > 0 {
				t.lastRx = time.Now()
			}
			t.inBatch = t.batchEnds
			return n, nil
		case unix.EAGAIN:
			if t.inBatch {
				t.inBatch = false
				return 0, netdev.ErrBatchEnd
			}
		case unix.EINTR:
		default:
			return 0, t.ioError("read", err)
		}
		if spin := t.busyPoll.Load(); spin > 0 && time.Since(t.lastRx) < time.Duration(spin) {
			// Let the rest of the stack run, then any other thread
			// (TCP_RR at 64 connections lost a fifth of its rate to
			// the kernel's clients without this), then read again.
			runtime.Gosched()
			unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
			continue
		}
		if _, err := unix.Poll(fds[:], -1); err != nil && err != unix.EINTR {
			return 0, fmt.Errorf("tap %s: poll: %w", t.name, err)
		}
	}
	return 0, netdev.ErrClosed
}

// WriteFrame writes one frame with a single write(2) (behind a zeroed
// virtio_net_hdr, with writev(2), on a TAP that has one).
func (t *TAP) WriteFrame(frame []byte) error {
	if t.vnet {
		return t.write(nil, [][]byte{zeroHdr[:], frame})
	}
	return t.write(frame, nil)
}

// WriteVnetFrame writes b, a virtio_net_hdr and its frame, with one
// write(2).
func (t *TAP) WriteVnetFrame(b []byte) error { return t.write(b, nil) }

// write writes one frame, b with write(2) or, if iov is not nil, iov
// with writev(2) (as read, so the data path allocates nothing).
func (t *TAP) write(b []byte, iov [][]byte) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed.Load() {
		return netdev.ErrClosed
	}
	for {
		var err error
		if iov == nil {
			_, err = unix.Write(t.fd, b)
		} else {
			_, err = unix.Writev(t.fd, iov)
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return t.ioError("write", err)
		}
		return nil
	}
}

// ioError describes a failed read or write. EBADFD means the device was
// deleted under us (ip link del, or its namespace went away): the kernel
// has detached our file from it and every later call fails the same way,
// so it wraps netdev.ErrGone. EIO, from a write while the kernel side is
// down, passes when the link comes back up.
func (t *TAP) ioError(op string, err error) error {
	if err == unix.EBADFD {
		return fmt.Errorf("tap %s: %s: %w: %w", t.name, op, netdev.ErrGone, err)
	}
	return fmt.Errorf("tap %s: %s: %w", t.name, op, err)
}

// Close wakes a blocked reader, waits for readers and writers to leave, and
// closes the device (the kernel removes a non-persistent TAP then).
func (t *TAP) Close() error {
	if t.closed.Swap(true) {
		return nil
	}
	var one = [8]byte{1}
	unix.Write(t.wake, one[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	unix.Close(t.wake)
	return t.file.Close()
}
