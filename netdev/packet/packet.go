//go:build linux

package packet

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
)

// Batching. The tx ring is flushed (one send(2)) once txBatch frames are
// queued, and a reader that keeps finding frames flushes after every
// rxBatch of them, so a frame another goroutine queued waits for at most
// that many receives.
const (
	txBatch = 32
	rxBatch = 32
)

// Stats counts what the driver dropped on the way through the rings. The
// NetDev's own counters see none of these frames.
type Stats struct {
	RxTruncated   atomic.Uint64 // longer than a ring frame (tp_snaplen < tp_len), dropped
	RxBadFrame    atomic.Uint64 // a ring header pointing outside its frame, dropped
	RxGSO         atomic.Uint64 // a GSO super-frame (virtio_net_hdr gso_type set): the sender did not segment it; dropped
	RxBadCsum     atomic.Uint64 // a virtio_net_hdr asking for a checksum outside its frame, dropped
	RxRingDrops   atomic.Uint64 // dropped by the kernel: the rx ring was full (PACKET_STATISTICS)
	TxWrongFormat atomic.Uint64 // refused by the kernel at send (TP_STATUS_WRONG_FORMAT), dropped
	TxDropped     atomic.Uint64 // queued, then dropped: interface down or gone, no buffers
	TxFlushes     atomic.Uint64 // send(2) calls; frames sent / TxFlushes is the batch size
}

// dropped is the counter of the frames ReadFrame drops for verdict v.
func (s *Stats) dropped(v rxVerdict) *atomic.Uint64 {
	return [...]*atomic.Uint64{rxTruncated: &s.RxTruncated, rxBad: &s.RxBadFrame, rxGSO: &s.RxGSO, rxBadCsum: &s.RxBadCsum}[v]
}

// Packet is an AF_PACKET socket on one interface, read and written through
// memory-mapped rings; it implements netdev.Driver and
// netdev.HardwareAddresser.
type Packet struct {
	name           string
	ifindex        int
	mac            netdev.MAC
	fd             int
	wake           int  // eventfd written by Close
	filterOutgoing bool // skip PACKET_OUTGOING frames (no PACKET_IGNORE_OUTGOING)
	mtu            int  // the interface's MTU at Open: sized the rings, bounds what we send
	rings          *rings
	stats          Stats
	gsoFd          int                    // the socket super-frames leave by (gso.go), or -1
	gsoTo          unix.SockaddrLinklayer // its destination: our interface (under txMu)

	// active: the poller (the goroutine in ReadFrame) holds frames it is
	// processing and will flush the tx ring before it next sleeps, so a
	// writer may leave its frame queued. See WriteFrame.
	active atomic.Bool

	rxMu       sync.Mutex // one reader: the rx ring has a single consumer
	sinceFlush int        // frames read since the last flush (under rxMu)
	losing     bool       // the last frame read carried TP_STATUS_LOSING (under rxMu)
	down       bool       // the kernel reported ENETDOWN and no frame came since (under rxMu)
	txMu       sync.Mutex // the tx ring's cursors, and send(2)

	mu     sync.RWMutex // read/write hold it shared, Close exclusively
	closed atomic.Bool
}

var (
	_ netdev.Driver            = (*Packet)(nil)
	_ netdev.HardwareAddresser = (*Packet)(nil)
	_ netdev.OffloadDriver     = (*Packet)(nil)
)

// Open takes over the Ethernet interface iface of the caller's network
// namespace. It needs root or CAP_NET_RAW. See the package doc for why the
// kernel should hold no address on iface.
func Open(iface string) (*Packet, error) {
	return open(iface, defaultFeatures())
}

// defaultFeatures are those of the running kernel.
func defaultFeatures() features {
	return features{ignoreOutgoing: true, vnetHdr: kernelAtLeast(4, 6)}
}

// features are the kernel facilities open may use; tests turn them off to
// cover older kernels.
type features struct {
	// ignoreOutgoing: PACKET_IGNORE_OUTGOING (Linux 4.20), if the kernel
	// has it (openSocket asks). Without it ReadFrame skips outgoing frames
	// by their sll_pkttype.
	ignoreOutgoing bool
	// vnetHdr: PACKET_VNET_HDR with the rings (Linux 4.6). Without it
	// checksums the kernel left partial reach the stack partial.
	vnetHdr bool
}

func open(iface string, f features) (*Packet, error) {
	s, err := openSocket(iface, f.ignoreOutgoing)
	if err != nil {
		return nil, err
	}
	rs, err := mapRings(s.fd, s.mtu, f.vnetHdr)
	if err != nil {
		unix.Close(s.fd)
		return nil, fmt.Errorf("packet %s: %w (the driver needs PACKET_MMAP rings, Linux 2.6.31 or later)", iface, err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		rs.unmap()
		unix.Close(s.fd)
		return nil, fmt.Errorf("packet %s: eventfd: %w", iface, err)
	}
	gsoFd := -1
	if f.vnetHdr {
		gsoFd, _ = openGSOSocket(s.ifindex) // without it, no transmit offloads
	}
	return &Packet{
		name: iface, ifindex: s.ifindex, mac: s.mac,
		fd: s.fd, wake: wake, filterOutgoing: s.filterOutgoing, mtu: s.mtu, rings: rs,
		gsoFd: gsoFd, gsoTo: unix.SockaddrLinklayer{Ifindex: s.ifindex},
	}, nil
}

// Name is the interface's name.
func (p *Packet) Name() string { return p.name }

// Kind is "packet".
func (p *Packet) Kind() string { return "packet" }

// HardwareAddr is the interface's MAC, read when the socket was opened.
func (p *Packet) HardwareAddr() netdev.MAC { return p.mac }

// MaxFrame is the largest frame WriteFrame takes: the interface's MTU at
// Open plus the Ethernet header and one 802.1Q tag. As in the kernel, only
// a frame of EtherType 802.1Q may use the tag's 4 bytes; others stop at
// the MTU plus 14. A tx ring frame holds MaxFrame bytes.
func (p *Packet) MaxFrame() int { return p.mtu + maxLinkHeader }

// maxFrame is the largest frame WriteFrame takes that starts like frame:
// MaxFrame, less the 802.1Q tag unless frame has one.
func (p *Packet) maxFrame(frame []byte) int {
	if len(frame) >= ethHeaderLen && binary.BigEndian.Uint16(frame[12:]) == etherType8021Q {
		return p.mtu + maxLinkHeader
	}
	return p.mtu + ethHeaderLen
}

// Stats returns the driver's drop counters, first adding the kernel's
// count of rx ring overflows.
func (p *Packet) Stats() *Stats {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if !p.closed.Load() {
		p.stats.RxRingDrops.Add(ringDrops(p.fd))
	}
	return &p.stats
}

// ReadFrame copies the next incoming frame out of the rx ring into buf
// (truncated to len(buf)), its checksum finished if the kernel left it
// partial. When the ring is empty it flushes the tx ring and waits in
// poll(2). Our own transmissions are never returned; frames too long for a
// ring frame, and GSO super-frames, are dropped and counted in Stats.
func (p *Packet) ReadFrame(buf []byte) (int, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	p.rxMu.Lock()
	defer p.rxMu.Unlock()
	if !p.active.Load() {
		p.active.Store(true)
	}
	for !p.closed.Load() {
		n, v, losing := p.rings.rx.next(buf, p.filterOutgoing)
		if losing && !p.losing {
			// The first of a run of frames marked LOSING; reading the
			// statistics clears the mark on the frames written after.
			p.stats.RxRingDrops.Add(ringDrops(p.fd))
		}
		p.losing = losing
		switch v {
		case rxFrame:
			if p.sinceFlush++; p.sinceFlush >= rxBatch {
				p.sinceFlush = 0
				p.flush() // errors concern other calls' frames: counted in Stats
			}
			return n, nil
		case rxTruncated, rxBad, rxGSO, rxBadCsum:
			p.stats.dropped(v).Add(1)
			continue
		case rxOutgoing:
			continue
		}
		// The ring is empty. Clear active before the flush: a writer that
		// still saw it set queued its frame before this flush takes txMu.
		p.active.Store(false)
		p.sinceFlush = 0
		p.flush()
		if err := p.waitRx(); err != nil {
			return 0, err
		}
		p.active.Store(true)
	}
	p.active.Store(false)
	return 0, netdev.ErrClosed
}

// waitRx sleeps until the rx ring has a frame or Close is called. A
// pending socket error (POLLERR: the interface went down) is cleared, or
// poll(2) would return at once for ever; frames resume when it is up.
// While it is down the wait wakes every downRecheck to see whether the
// interface is gone, which the kernel signals no further (it reports
// ENETDOWN once, as unregistering starts): then it returns netdev.ErrGone.
func (p *Packet) waitRx() error {
	timeout := -1
	if p.down {
		timeout = int(downRecheck / time.Millisecond)
	}
	revents, err := p.wait(unix.POLLIN, timeout)
	if err != nil {
		return err
	}
	switch {
	case revents&unix.POLLERR != 0:
		err := sockError(p.fd)
		if err != nil && err != unix.ENETDOWN {
			return fmt.Errorf("packet %s: %w", p.name, err)
		}
		p.down = p.down || err == unix.ENETDOWN
	case revents&unix.POLLIN != 0:
		p.down = false
	}
	if p.down && p.unbound() {
		return fmt.Errorf("packet %s: %w: the interface was unregistered", p.name, netdev.ErrGone)
	}
	return nil
}

// downRecheck is how often a reader whose interface is down looks for it
// being gone: a moment for the user, nothing for the CPU.
const downRecheck = time.Second

// unbound reports whether the kernel has unbound the socket from its
// interface, which it does when the interface is unregistered (deleted,
// or its namespace destroyed): getsockname then gives ifindex -1.
func (p *Packet) unbound() bool {
	sa, err := unix.Getsockname(p.fd)
	ll, ok := sa.(*unix.SockaddrLinklayer)
	return err == nil && ok && ll.Ifindex != p.ifindex
}

// wait blocks in poll(2) until the socket has one of events, Close is
// called, or timeout milliseconds pass (-1: no limit). It returns the
// socket's events.
func (p *Packet) wait(events int16, timeout int) (int16, error) {
	fds := [2]unix.PollFd{{Fd: int32(p.fd), Events: events}, {Fd: int32(p.wake), Events: unix.POLLIN}}
	if _, err := unix.Poll(fds[:], timeout); err != nil && err != unix.EINTR {
		return 0, fmt.Errorf("packet %s: poll: %w", p.name, err)
	}
	return fds[0].Revents, nil
}

// Close wakes blocked readers and writers, waits for them to leave, unmaps
// the rings and closes the socket; the kernel then drops the promiscuous
// membership. Frames still queued for sending are dropped.
func (p *Packet) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	one := [8]byte{1}
	unix.Write(p.wake, one[:])
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rings.unmap()
	unix.Close(p.wake)
	if p.gsoFd >= 0 {
		unix.Close(p.gsoFd)
	}
	return unix.Close(p.fd)
}
