package netmap

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// kernel is what the driver asks of the netmap file descriptor. The Linux
// implementation (sys_linux.go) does ioctls and poll(2); tests fake it over
// a hand-made region.
type kernel interface {
	txSync() error // NIOCTXSYNC: send what we queued, reclaim sent slots
	// waitRx blocks until a frame may be ready or wake is called; the
	// poll(2) it does also syncs the rx rings.
	waitRx() error
	// waitTx blocks until a tx slot may be free, wake is called, or d
	// passes; it reports whether it timed out.
	waitTx(d time.Duration) (timedOut bool, err error)
	wake()        // makes waitRx and waitTx return (Close)
	close() error // unmaps the region and closes the descriptors
}

// TxFullTimeout is how long WriteFrame waits for a free tx slot before
// giving up with ErrRingFull.
const TxFullTimeout = time.Second

// Stats counts what the driver dropped or refused; the shared memory is
// the kernel's to write, so bad contents are counted, never trusted.
type Stats struct {
	RxBadSlot    atomic.Uint64 // rx slot with a buffer index or length outside the region
	RxFragmented atomic.Uint64 // multi-slot rx frames dropped
	BadRing      atomic.Uint64 // a ring's head/cur/tail out of range
	TxBadSlot    atomic.Uint64 // tx slot with a buffer index outside the region
	TxFull       atomic.Uint64 // WriteFrame gave up: tx rings full for TxFullTimeout
}

// Netmap is an interface in netmap mode; it implements netdev.Driver and
// netdev.HardwareAddresser.
type Netmap struct {
	name   string
	mac    netdev.MAC
	k      kernel
	port   *port
	txWait time.Duration
	stats  Stats

	rxMu   sync.Mutex   // one reader at a time: rx rings have a single consumer
	txMu   sync.Mutex   // one writer at a time on the tx rings
	mu     sync.RWMutex // read/write hold it shared, Close exclusively
	closed atomic.Bool
}

var (
	_ netdev.Driver            = (*Netmap)(nil)
	_ netdev.HardwareAddresser = (*Netmap)(nil)
)

func newNetmap(name string, mac netdev.MAC, k kernel, p *port) *Netmap {
	return &Netmap{name: name, mac: mac, k: k, port: p, txWait: TxFullTimeout}
}

// Name is the interface's name.
func (m *Netmap) Name() string { return m.name }

// Kind is "netmap".
func (m *Netmap) Kind() string { return "netmap" }

// HardwareAddr is the interface's MAC.
func (m *Netmap) HardwareAddr() netdev.MAC { return m.mac }

// Stats returns the driver's drop counters.
func (m *Netmap) Stats() *Stats { return &m.stats }

// ReadFrame copies the next received frame into buf (truncated to
// len(buf)), waiting in poll(2) when the rx rings are empty. Frames whose
// slots are bad are dropped and counted in Stats.
func (m *Netmap) ReadFrame(buf []byte) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.rxMu.Lock()
	defer m.rxMu.Unlock()
	for !m.closed.Load() {
		n, ok, err := m.port.recv(buf)
		switch {
		case ok:
			return n, nil
		case err == ErrBadSlot:
			m.stats.RxBadSlot.Add(1)
			continue
		case err == ErrFragmented:
			m.stats.RxFragmented.Add(1)
			continue
		case err == ErrBadRing:
			m.stats.BadRing.Add(1)
		}
		if err := m.k.waitRx(); err != nil {
			return 0, fmt.Errorf("netmap %s: %w", m.name, err)
		}
	}
	return 0, netdev.ErrClosed
}

// WriteFrame queues frame on a tx ring and asks the kernel to send it
// (NIOCTXSYNC). When every tx slot is taken it waits up to TxFullTimeout
// for the NIC to free one, then fails with an error wrapping ErrRingFull.
func (m *Netmap) WriteFrame(frame []byte) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.txMu.Lock()
	defer m.txMu.Unlock()
	deadline := time.Now().Add(m.txWait)
	synced := false
	for !m.closed.Load() {
		err := m.port.send(frame)
		switch {
		case err == nil:
			if err := m.k.txSync(); err != nil {
				return fmt.Errorf("netmap %s: %w", m.name, err)
			}
			return nil
		case errors.Is(err, ErrFrameTooLarge):
			return fmt.Errorf("netmap %s: %w", m.name, err)
		case err == ErrBadSlot:
			m.stats.TxBadSlot.Add(1)
			return fmt.Errorf("netmap %s: %w (frame dropped)", m.name, err)
		case err == ErrBadRing:
			m.stats.BadRing.Add(1)
		}
		// Full (or corrupt, which the kernel repairs on sync): reclaim first.
		if !synced {
			synced = true
			if err := m.k.txSync(); err != nil {
				return fmt.Errorf("netmap %s: %w", m.name, err)
			}
			continue
		}
		left := time.Until(deadline)
		if left <= 0 {
			m.stats.TxFull.Add(1)
			return fmt.Errorf("netmap %s: %w for %v, frame dropped (is the link up?)", m.name, ErrRingFull, m.txWait)
		}
		if _, err := m.k.waitTx(left); err != nil {
			return fmt.Errorf("netmap %s: %w", m.name, err)
		}
	}
	return netdev.ErrClosed
}

// Close wakes blocked readers and writers, waits for them to leave, and
// releases the region; the interface leaves netmap mode and returns to the
// kernel's stack.
func (m *Netmap) Close() error {
	if m.closed.Swap(true) {
		return nil
	}
	m.k.wake()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.k.close()
}
