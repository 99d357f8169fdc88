package ip

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// Resolver hands a datagram to the link: it finds nextHop's link-layer
// address on dev and transmits p, or queues p while it asks (ARP). It owns p.
type Resolver interface {
	Resolve(dev *netdev.NetDev, nextHop netip.Addr, p *netdev.Packet) error
}

// ProtocolHandler receives a datagram for us: p's data starts at the
// transport header, h is the IPv4 header. It owns p.
type ProtocolHandler func(p *netdev.Packet, h Header)

// Layer is one stack's IPv4 layer.
type Layer struct {
	Routes    Table
	Stats     Stats
	FragStats FragStats
	Reasm     *Reassembler

	// Now is the layer's clock (reassembly ages); the stack sets it.
	Now func() time.Time

	// Tracer, if set, sees datagrams in, out and dropped (debug ip).
	Tracer *netdev.Tracer

	// Forwarding makes the stack a router (ipfwd on; Linux ip_forward).
	// Off by default, as RFC 1122 requires of a host.
	Forwarding atomic.Bool

	pool     *netdev.Pool
	resolver Resolver
	handlers [256]ProtocolHandler

	reporter    ErrorReporter
	errHandlers [256]ErrorHandler
	nextID      atomic.Uint32

	devMu sync.Mutex
	devs  atomic.Pointer[[]*netdev.NetDev] // copy-on-write: input reads it lock-free
}

// NewLayer returns an IPv4 layer that sends through resolver.
func NewLayer(pool *netdev.Pool, resolver Resolver) *Layer {
	l := &Layer{pool: pool, resolver: resolver, Reasm: NewReassembler(ReasmConfig{}, pool), Now: time.Now}
	l.devs.Store(&[]*netdev.NetDev{})
	return l
}

// Register installs the handler for an IP protocol number (like Linux's
// inet_add_protocol). Call it while wiring the stack, before traffic flows.
func (l *Layer) Register(proto uint8, h ProtocolHandler) { l.handlers[proto] = h }

// AttachDevice makes dev one of the layer's interfaces.
func (l *Layer) AttachDevice(dev *netdev.NetDev) {
	l.devMu.Lock()
	defer l.devMu.Unlock()
	devs := append([]*netdev.NetDev(nil), *l.devs.Load()...)
	devs = append(devs, dev)
	l.devs.Store(&devs)
}

// DetachDevice removes dev and every route through it.
func (l *Layer) DetachDevice(dev *netdev.NetDev) {
	l.devMu.Lock()
	defer l.devMu.Unlock()
	var devs []*netdev.NetDev
	for _, d := range *l.devs.Load() {
		if d != dev {
			devs = append(devs, d)
		}
	}
	l.devs.Store(&devs)
	l.Routes.DeleteFunc(func(r Route) bool { return r.Dev == dev })
}

// Devices returns the attached devices, in the order attached.
func (l *Layer) Devices() []*netdev.NetDev { return *l.devs.Load() }

// SetAddress gives dev the address prefix and replaces its connected route.
// If the connected route cannot be added (another device has that subnet)
// nothing changes.
func (l *Layer) SetAddress(dev *netdev.NetDev, prefix netip.Prefix) error {
	var old []Route
	l.Routes.DeleteFunc(func(r Route) bool {
		if r.Dev == dev && r.Connected {
			old = append(old, r)
			return true
		}
		return false
	})
	if err := l.Routes.Add(Route{Prefix: prefix.Masked(), Dev: dev, Connected: true}); err != nil {
		for _, r := range old {
			l.Routes.Add(r) // put back what was there: it fitted before
		}
		return err
	}
	dev.SetAddr(prefix)
	return nil
}

// LocalDevice returns the device that owns addr, or nil if addr is not ours.
// Addresses in 127.0.0.0/8 belong to the loopback device.
func (l *Layer) LocalDevice(addr netip.Addr) *netdev.NetDev {
	for _, d := range *l.devs.Load() {
		a := d.Addr()
		if a.Addr() == addr || (d.IsLoopback() && a.Contains(addr)) {
			return d
		}
	}
	return nil
}

// loopback returns the loopback device, or nil.
func (l *Layer) loopback() *netdev.NetDev {
	for _, d := range *l.devs.Load() {
		if d.IsLoopback() {
			return d
		}
	}
	return nil
}

// NextID returns a fresh Identification value.
func (l *Layer) NextID() uint16 { return uint16(l.nextID.Add(1)) }

// IsBroadcast reports whether addr is the limited broadcast address or the
// directed broadcast address of dev's subnet.
func IsBroadcast(dev *netdev.NetDev, addr netip.Addr) bool {
	if addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return true
	}
	p := dev.Addr()
	return p.IsValid() && p.Bits() < 31 && addr == DirectedBroadcast(p)
}

// DirectedBroadcast is the highest address in p: its subnet's broadcast.
func DirectedBroadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	a[0] |= byte(host >> 24)
	a[1] |= byte(host >> 16)
	a[2] |= byte(host >> 8)
	a[3] |= byte(host)
	return netip.AddrFrom4(a)
}
