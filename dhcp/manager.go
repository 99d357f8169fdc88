package dhcp

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gotapip/gotapip/clock"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/udp"
)

// Config tunes the clients of a Manager; the zero value is RFC 2131's and
// RFC 5227's timing on the stack's clock.
type Config struct {
	Clock clock.Clock // default: the stack's
	Seed  uint64      // jitter and xids; 0: a random seed
	// Log receives the lines clients print after Start returns (renewals,
	// expiry); nil drops them.
	Log func(string)
	// Attempts is how many DISCOVERs (and REQUESTs) are sent before giving
	// up: 4 by default, about 60 s with RFC 2131's backoff, as dhclient.
	Attempts int
	// RetryWait is how long a client whose lease expired waits after an
	// unanswered round of DISCOVERs (default 300 s, dhclient's retry).
	RetryWait time.Duration
	// DeclineWait follows a DHCPDECLINE (default 10 s, RFC 2131 3.1).
	DeclineWait time.Duration
	// The ARP probe (RFC 5227 1.1): ProbeNum probes (default 3; negative:
	// none), after a random wait up to ProbeWait (1 s), ProbeMin to
	// ProbeMax apart (1 to 2 s), then AnnounceWait (2 s) of listening.
	ProbeNum                                    int
	ProbeWait, ProbeMin, ProbeMax, AnnounceWait time.Duration
}

func (c *Config) setDefaults(s *stack.Stack) {
	if c.Clock == nil {
		c.Clock = s.Clock()
	}
	if c.Seed == 0 {
		var b [8]byte
		crand.Read(b[:])
		c.Seed = binary.LittleEndian.Uint64(b[:])
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Attempts == 0 {
		c.Attempts = 4
	}
	if c.ProbeNum == 0 {
		c.ProbeNum = 3
	}
	def(&c.RetryWait, 300*time.Second)
	def(&c.DeclineWait, 10*time.Second)
	def(&c.ProbeWait, time.Second)
	def(&c.ProbeMin, time.Second)
	def(&c.ProbeMax, 2*time.Second)
	def(&c.AnnounceWait, 2*time.Second)
}

// Manager runs the DHCP clients of one stack: a client per device, all
// sharing one UDP socket on port 68, which is open while a client runs.
type Manager struct {
	Stats Stats

	stack *stack.Stack
	cfg   Config

	randMu sync.Mutex
	rand   *rand.Rand // used by client goroutines under randMu through lockedSource

	mu      sync.Mutex
	sock    *udp.Socket
	clients map[*netdev.NetDev]*Client
	reading sync.WaitGroup
}

// NewManager returns the DHCP client side of s. Its counters are added to
// what stat prints (Dhcp...).
func NewManager(s *stack.Stack, cfg Config) *Manager {
	cfg.setDefaults(s)
	m := &Manager{stack: s, cfg: cfg, clients: map[*netdev.NetDev]*Client{}}
	m.rand = rand.New(&lockedSource{mu: &m.randMu, src: rand.NewPCG(cfg.Seed, cfg.Seed>>1|1)})
	s.RegisterCounters("Dhcp", &m.Stats)
	return m
}

type lockedSource struct {
	mu  *sync.Mutex
	src rand.Source
}

func (l *lockedSource) Uint64() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.src.Uint64()
}

// ErrRunning is returned by Start when a client already runs on the device.
var ErrRunning = errors.New("already running")

// Start runs a client on dev until it is bound, printing dhclient's lines
// through fg, and returns the lease; the client then keeps the lease
// (renewing at T1, rebinding at T2) in the background until Release,
// Close, or the device goes. It fails when no server answers (ErrNoOffers)
// or after a few NAKs or conflicts, and stops when ctx ends first.
func (m *Manager) Start(ctx context.Context, dev *netdev.NetDev, fg func(string)) (Lease, error) {
	if dev.IsLoopback() {
		return Lease{}, fmt.Errorf("dhclient: %s: DHCP needs an Ethernet device, not loopback", dev.Name())
	}
	if !m.hasDevice(dev) {
		return Lease{}, fmt.Errorf("dhclient: %s: the device was removed (ifconfig lists the devices)", dev.Name())
	}
	m.mu.Lock()
	if m.clients[dev] != nil {
		m.mu.Unlock()
		return Lease{}, fmt.Errorf("dhclient: %s: %w (dhclient -r %s releases its lease)", dev.Name(), ErrRunning, dev.Name())
	}
	if err := m.openLocked(); err != nil {
		m.mu.Unlock()
		return Lease{}, err
	}
	c := newClient(m, dev, m.sock, fg)
	m.clients[dev] = c
	m.mu.Unlock()
	go c.run()
	select {
	case err := <-c.result:
		c.log.Store(&m.cfg.Log)
		if err != nil {
			<-c.done
			return Lease{}, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.snapshot, nil
	case <-ctx.Done():
		c.halt(false, nil)
		return Lease{}, ctx.Err()
	}
}

// openLocked opens the shared socket and its reader if not open.
func (m *Manager) openLocked() error {
	if m.sock != nil {
		return nil
	}
	sock, err := m.stack.UDP.Listen(netip.AddrPortFrom(netip.IPv4Unspecified(), ClientPort))
	if err != nil {
		return fmt.Errorf("dhclient: port %d: %w (udp lists the sockets)", ClientPort, err)
	}
	m.sock = sock
	m.reading.Add(1)
	go m.read(sock)
	return nil
}

// halt stops the client, sending a DHCPRELEASE first if release is set,
// and waits for its goroutine.
func (c *Client) halt(release bool, log func(string)) {
	req := stopRequest{release: release, log: log, done: make(chan struct{})}
	select {
	case c.stopc <- req:
		<-req.done
	case <-c.done:
	}
	<-c.done
}

// Release gives dev's lease back (a DHCPRELEASE, then the address, routes
// and DNS servers removed) and stops its client; it prints through log.
func (m *Manager) Release(dev *netdev.NetDev, log func(string)) error {
	m.mu.Lock()
	c := m.clients[dev]
	m.mu.Unlock()
	if c == nil {
		return fmt.Errorf("dhclient: %s: no DHCP client runs on it (dhclient %s starts one)", dev.Name(), dev.Name())
	}
	c.halt(true, log)
	return nil
}

// Close releases every lease and closes the socket (the shell exiting).
func (m *Manager) Close(log func(string)) {
	for _, c := range m.all() {
		c.halt(true, log)
	}
	m.reading.Wait() // the last client closed the socket: its reader ends
}

// forget removes a stopped client; the last one closes the socket.
func (m *Manager) forget(c *Client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.clients[c.dev] == c {
		delete(m.clients, c.dev)
	}
	if len(m.clients) == 0 && m.sock != nil {
		m.sock.Close()
		m.sock = nil
	}
}

// Leases lists the clients' leases by device name. Clients whose device
// was removed are stopped first (they would notice at their next timer).
func (m *Manager) Leases() []Lease {
	for _, c := range m.all() {
		if !m.hasDevice(c.dev) {
			c.halt(false, nil)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Lease, 0, len(m.clients))
	for _, c := range m.clients {
		c.mu.Lock()
		l := c.snapshot
		c.mu.Unlock()
		if l.Dev == "" {
			l = Lease{Dev: c.dev.Name(), State: "SELECTING"}
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Lease) int { return cmpString(a.Dev, b.Dev) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *Manager) hasDevice(dev *netdev.NetDev) bool {
	return slices.Contains(m.stack.Devices(), dev)
}
