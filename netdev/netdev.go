package netdev

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/clock"
)

// Flags describe what a device is.
type Flags uint8

const (
	// FlagLoopback marks the lo device: frames it sends come straight back,
	// it needs no ARP, and it accepts any destination MAC.
	FlagLoopback Flags = 1 << iota
)

// Config is what a device is created with.
type Config struct {
	Name  string
	MAC   MAC
	MTU   int // 0 means 1500
	Flags Flags
}

// Direction says whether a sniffed frame was received or sent.
type Direction uint8

const (
	In Direction = iota
	Out
)

// Sniffer sees every frame a device receives or sends (debug, capture).
// It runs on the packet's goroutine and must not keep frame.
type Sniffer func(dir Direction, dev *NetDev, frame []byte)

// NetDev is the virtual NIC ("veth" in tapip): a name, a MAC, an IPv4 prefix,
// an MTU, an up/down state and counters, over a Driver.
type NetDev struct {
	name  string
	kind  string
	mac   MAC
	flags Flags
	drv   Driver
	demux *Demux
	pool  *Pool

	mtu     atomic.Int32
	up      atomic.Bool
	addr    atomic.Pointer[netip.Prefix]
	sniffer atomic.Pointer[Sniffer]
	netem   atomic.Pointer[Netem] // link faults on transmit (netem command), or nil
	tracer  *Tracer
	yield   atomic.Bool // a receive woke another goroutine: let it run

	offloads Offloads      // what the driver's kernel side agreed to (offload.go)
	vnetTx   OffloadDriver // writes frames behind a virtio_net_hdr, or nil
	vnetRx   VnetReader    // reads frames with their virtio_net_hdr, or nil

	Stats Stats

	onGone   func(*NetDev, error) // set before Start; see OnGone
	stopOnce sync.Once
	done     chan struct{}

	onBatchEnd func() // set before Start; see OnBatchEnd
	batch      batch  // the poller's current batch (batch.go)
	clock      clock.Clock
	emptyAt    time.Time // when the driver last had no frame ready (arrival.go)
}

// ErrMTU is wrapped by errors about MTU values and oversized frames.
var ErrMTU = errors.New("bad MTU")

// New makes a device over drv. Received frames are handed to the handlers in
// demux; buffers come from pool. The device starts down; call Start to run
// its poller and SetUp to bring it up.
func New(cfg Config, drv Driver, demux *Demux, pool *Pool) (*NetDev, error) {
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	if a, ok := drv.(HardwareAddresser); ok && cfg.MAC.IsZero() {
		cfg.MAC = a.HardwareAddr()
	}
	d := &NetDev{name: cfg.Name, kind: drv.Kind(), mac: cfg.MAC, flags: cfg.Flags,
		drv: drv, demux: demux, pool: pool, done: make(chan struct{})}
	if err := d.SetMTU(cfg.MTU); err != nil {
		return nil, err
	}
	if od, ok := drv.(OffloadDriver); ok {
		d.offloads = od.Offloads()
		if d.offloads.TxChecksum || d.offloads.TSO {
			d.vnetTx = od
		}
		if r, ok := drv.(VnetReader); ok && d.offloads.RxVnet {
			d.vnetRx = r
		}
	}
	return d, nil
}

// Offloads reports the offloads in force now. While netem is on, frames
// leave through it without a virtio_net_hdr: transmit offloads are off.
func (d *NetDev) Offloads() Offloads {
	o := d.offloads
	if d.netem.Load() != nil {
		o.TxChecksum, o.TSO, o.GSOMaxSize = false, false, 0
	}
	return o
}

func (d *NetDev) Name() string         { return d.name }
func (d *NetDev) Kind() string         { return d.kind }
func (d *NetDev) MAC() MAC             { return d.mac }
func (d *NetDev) MTU() int             { return int(d.mtu.Load()) }
func (d *NetDev) IsUp() bool           { return d.up.Load() }
func (d *NetDev) IsLoopback() bool     { return d.flags&FlagLoopback != 0 }
func (d *NetDev) SetUp(up bool)        { d.up.Store(up) }
func (d *NetDev) Driver() Driver       { return d.drv }
func (d *NetDev) String() string       { return d.name }
func (d *NetDev) SetSniffer(s Sniffer) { d.setSniffer(s) }

// YieldAfterReceive asks the poller to let other goroutines run before it
// reads the next frame: the receive handed data to a waiting reader (a
// socket). With few Ps that reader would otherwise wait until the poller
// slept, and the runtime noticed, which can take milliseconds. Receive
// paths that answer in place (ICMP echo) do not ask, and pay nothing.
func (d *NetDev) YieldAfterReceive() {
	if d != nil {
		d.yield.Store(true)
	}
}

// SetTracer makes the device report to t (debug dev and l2). Call it
// before Start.
func (d *NetDev) SetTracer(t *Tracer) { d.tracer = t }

func (d *NetDev) setSniffer(s Sniffer) {
	if s == nil {
		d.sniffer.Store(nil)
		return
	}
	d.sniffer.Store(&s)
}

// LoopbackMTU is lo's MTU: the largest IPv4 datagram.
const LoopbackMTU = 65535

// SetMTU sets the largest IP datagram the device sends, 68 (RFC 791's
// minimum) to EthernetMaxMTU (LoopbackMTU for lo).
func (d *NetDev) SetMTU(mtu int) error {
	limit := EthernetMaxMTU
	if d.IsLoopback() {
		limit = LoopbackMTU
	}
	if mtu < 68 || mtu > limit {
		return fmt.Errorf("%s: %w %d (give 68 to %d)", d.name, ErrMTU, mtu, limit)
	}
	d.mtu.Store(int32(mtu))
	return nil
}

// Addr returns the device's IPv4 prefix (address and mask), or the zero
// Prefix if none is set.
func (d *NetDev) Addr() netip.Prefix {
	if p := d.addr.Load(); p != nil {
		return *p
	}
	return netip.Prefix{}
}

// SetAddr sets the device's address. The stack calls it (with routes and
// gratuitous ARP); use stack.SetAddress rather than this directly.
func (d *NetDev) SetAddr(p netip.Prefix) { d.addr.Store(&p) }

// OnGone sets what the poller calls, once, when the driver reports the
// device gone (an error wrapping ErrGone): by then the device is down and
// the poller has stopped, so f may Close it. Call it before Start.
func (d *NetDev) OnGone(f func(d *NetDev, err error)) { d.onGone = f }

// Start runs the poller goroutine: the device's "interrupt" handler.
func (d *NetDev) Start() { go d.poll() }

// Close stops the poller and closes the driver. It waits for the poller to
// finish if it was started.
func (d *NetDev) Close(started bool) error {
	var err error
	d.stopOnce.Do(func() {
		d.up.Store(false)
		d.SetNetem(nil)
		err = d.drv.Close()
		if started {
			<-d.done
		}
	})
	return err
}
