package stack

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/macvtap"
	"github.com/gotapip/gotapip/netdev/netmap"
	"github.com/gotapip/gotapip/netdev/packet"
	"github.com/gotapip/gotapip/netdev/tap"
)

// DeviceSpec says which driver to open: "tap:NAME", "packet:IFACE",
// "macvtap:IFACE", "netmap:IFACE" or "sim" (the -dev flag and the netdev
// add command).
type DeviceSpec struct {
	Kind  string // tap, packet, macvtap, netmap, sim
	Iface string // the kernel interface (empty for sim)
}

func (s DeviceSpec) String() string {
	if s.Iface == "" {
		return s.Kind
	}
	return s.Kind + ":" + s.Iface
}

// ErrUnsupported is wrapped when a device kind is not available here.
var ErrUnsupported = errors.New("unsupported device kind")

// ParseDeviceSpec parses a -dev value.
func ParseDeviceSpec(s string) (DeviceSpec, error) {
	kind, iface, _ := strings.Cut(s, ":")
	switch kind {
	case "tap", "packet", "macvtap", "netmap":
		if iface == "" || len(iface) > 15 || strings.ContainsAny(iface, "/ \t") {
			return DeviceSpec{}, fmt.Errorf("device %q: want %s:IFACE with an interface name of 1-15 characters", s, kind)
		}
		return DeviceSpec{Kind: kind, Iface: iface}, nil
	case "sim":
		if iface != "" {
			return DeviceSpec{}, fmt.Errorf("device %q: sim takes no interface", s)
		}
		return DeviceSpec{Kind: kind}, nil
	}
	return DeviceSpec{}, fmt.Errorf("device %q: %w: use tap:NAME, packet:IFACE, macvtap:IFACE, netmap:IFACE or sim", s, ErrUnsupported)
}

// DeviceOptions configure a device opened from a spec.
type DeviceOptions struct {
	Addr netip.Prefix // the stack's address on it
	// Peer is the address given to the kernel's end of a TAP (tapip's TOP2);
	// the zero Prefix leaves it unaddressed (bridged TOP1). Other kinds
	// have no kernel end of their own, and refuse one.
	Peer netip.Prefix
	MAC  netdev.MAC // zero: derived from Addr (02:00 + the IPv4 address)
	MTU  int
	// BusyPoll, if non-zero, makes a TAP spin this long after its last
	// frame before sleeping in poll(2) (tapip -poll busy).
	BusyPoll time.Duration
}

// DefaultBusyPoll is how long -poll busy keeps spinning after the last
// frame: long enough to span a burst's gaps, short enough that an idle
// stack soon stops burning its CPU.
const DefaultBusyPoll = 10 * time.Millisecond

// OpenDevice opens the driver spec names, configures the kernel side for a
// TAP, and adds the device to the stack.
// The device is named after the kernel interface the driver works on (for
// a macvtap tapip makes, the new macvtap's name).
func (s *Stack) OpenDevice(spec DeviceSpec, opt DeviceOptions) (*netdev.NetDev, error) {
	if opt.Peer.IsValid() && spec.Kind != "tap" {
		return nil, fmt.Errorf("device %v: peer %v does not apply: only a TAP has a kernel side to address (leave it out, or give it as none)", spec, opt.Peer)
	}
	drv, err := openDriver(spec, opt)
	if err != nil {
		return nil, err
	}
	name := spec.Iface
	if n, ok := drv.(interface{ Name() string }); ok {
		name = n.Name()
	}
	return s.OpenDriver(drv, name, opt)
}

// OpenDriver adds a device named name over an already open driver (one
// opened inside another network namespace, say), as OpenDevice does.
func (s *Stack) OpenDriver(drv netdev.Driver, name string, opt DeviceOptions) (*netdev.NetDev, error) {
	if _, own := drv.(netdev.HardwareAddresser); opt.MAC.IsZero() && !own {
		opt.MAC = MACFor(opt.Addr.Addr()) // a NIC taken over keeps its own MAC
	}
	dev, err := s.AddDevice(drv, netdev.Config{Name: name, MAC: opt.MAC, MTU: opt.MTU}, opt.Addr)
	if err != nil {
		drv.Close()
		return nil, err
	}
	return dev, nil
}

func openDriver(spec DeviceSpec, opt DeviceOptions) (netdev.Driver, error) {
	switch spec.Kind {
	case "tap":
		t, err := tap.Open(spec.Iface)
		if err != nil {
			return nil, err
		}
		if err := tap.ConfigureKernelSide(t.Name(), opt.Peer); err != nil {
			t.Close()
			return nil, err
		}
		t.SetBusyPoll(opt.BusyPoll)
		return t, nil
	case "packet":
		return packet.Open(spec.Iface)
	case "macvtap":
		return macvtap.Open(spec.Iface, macvtap.Options{MAC: opt.MAC, Default: MACFor(opt.Addr.Addr())})
	case "netmap":
		return netmap.Open(spec.Iface)
	}
	return nil, fmt.Errorf("device %v: %w here (sim is started by tapip -dev sim)", spec, ErrUnsupported)
}

// MACFor derives a locally administered MAC from an IPv4 address,
// 02:00:a.b.c.d, so each stack on a LAN gets a distinct, readable one.
// Without an address it is random (still locally administered, unicast).
func MACFor(a netip.Addr) netdev.MAC {
	if !a.Is4() {
		var m netdev.MAC
		rand.Read(m[:])
		m[0] = m[0]&^1 | 2
		return m
	}
	v := a.As4()
	return netdev.MAC{0x02, 0x00, v[0], v[1], v[2], v[3]}
}
