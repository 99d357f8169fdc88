package stack

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/gotapip/gotapip/netdev"
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

// ErrNoTAP is wrapped when no TAP can be had here at all: the process lacks
// the privilege (CAP_NET_ADMIN) or the host lacks /dev/net/tun. Only then
// may tapip fall back to the simulated LAN; a TAP that is busy or refuses
// the settings is an error the user must see.
var ErrNoTAP = errors.New("no TAP here")

// ParseDeviceSpec parses a -dev value.
func ParseDeviceSpec(s string) (DeviceSpec, error) {
	kind, iface, _ := strings.Cut(s, ":")
	switch kind {
	case "tap", "packet", "macvtap", "netmap":
		if iface == "" || len(iface) > 15 || strings.ContainsAny(iface, "/ \t") {
			return DeviceSpec{}, fmt.Errorf("%s: bad interface name (give %s:IFACE, IFACE of 1 to 15 characters)", s, kind)
		}
		return DeviceSpec{Kind: kind, Iface: iface}, nil
	case "sim":
		if iface != "" {
			return DeviceSpec{}, fmt.Errorf("%s: sim takes no interface (give sim)", s)
		}
		return DeviceSpec{Kind: kind}, nil
	}
	return DeviceSpec{}, fmt.Errorf("%s: %w (give tap:NAME, packet:IFACE, macvtap:IFACE, netmap:IFACE or sim)", s, ErrUnsupported)
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
	// frame before sleeping in poll(2) (tapip -poll auto, busy).
	BusyPoll time.Duration
	// NoOffload opens a TAP without checksum and segmentation offloads
	// (tapip -offload=false): plain MSS-sized frames both ways.
	NoOffload bool
}

// DefaultBusyPoll is how long -poll busy keeps spinning after the last
// frame: long enough to span a burst's gaps, short enough that an idle
// stack soon stops burning its CPU.
const DefaultBusyPoll = 10 * time.Millisecond

// AutoBusyPoll is how long tapip's default, -poll auto, spins after the
// last frame: longer than a round trip to the kernel and back, so a
// request/response exchange finds its next request without a wake-up
// (TCP_RR p50 46 -> 34 µs), and short enough that an idle stack sleeps
// again at once (Linux suggests 50 µs for net.core.busy_poll).
const AutoBusyPoll = 50 * time.Microsecond

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

// tapError says why the TAP name could not be opened, in the words of
// strerror(3), with what to do. It wraps err, and ErrNoTAP when no TAP can
// be had here at all (no privilege, no /dev/net/tun).
func tapError(name string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	e := &openError{err: err}
	switch errno {
	case syscall.EPERM, syscall.EACCES:
		e.msg, e.noTAP = fmt.Sprintf("%s: %s (run as root or with CAP_NET_ADMIN)", name, strerror(errno)), true
	case syscall.ENOENT, syscall.ENODEV, syscall.ENXIO:
		e.msg, e.noTAP = fmt.Sprintf("/dev/net/tun: %s (load the tun module: modprobe tun)", strerror(errno)), true
	case syscall.EBUSY:
		e.msg = fmt.Sprintf("%s: %s (another program has it open: end it, or give -dev tap:OTHER)", name, strerror(errno))
	default:
		e.msg = fmt.Sprintf("%s: %s", name, strerror(errno))
	}
	return e
}

// unsupportedOn is the error for spec on an operating system other than
// Linux: the drivers that reach a kernel interface (TAP, AF_PACKET,
// macvtap, netmap) are Linux's, and the simulated LAN runs anywhere. A
// TAP's wraps ErrNoTAP, so tapip started without -dev falls back to it.
func unsupportedOn(spec DeviceSpec, goos string) error {
	return &openError{
		msg:   fmt.Sprintf("%s: not supported on %s (use -dev sim, the simulated LAN)", spec.Kind, goos),
		noTAP: spec.Kind == "tap",
		err:   ErrUnsupported,
	}
}

// openError is a device that would not open: msg says it for a person; it
// wraps the driver's error, and ErrNoTAP if noTAP.
type openError struct {
	msg   string
	noTAP bool
	err   error
}

func (e *openError) Error() string { return e.msg }

func (e *openError) Unwrap() []error {
	if e.noTAP {
		return []error{ErrNoTAP, e.err}
	}
	return []error{e.err}
}

// strerror prints errno as C's strerror does: "Device or resource busy".
func strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
