package stack

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// MaxDevices bounds the devices of one stack.
const MaxDevices = 64

// ErrNoDevice is wrapped when a device name is unknown.
var ErrNoDevice = errors.New("no such device")

// AddDevice makes a device over drv, attaches it to IP, starts its poller,
// brings it up and, if addr is valid, gives it that address.
func (s *Stack) AddDevice(drv netdev.Driver, cfg netdev.Config, addr netip.Prefix) (*netdev.NetDev, error) {
	s.mu.Lock()
	if len(s.devs) >= MaxDevices {
		s.mu.Unlock()
		return nil, fmt.Errorf("%s: too many devices (%d)", cfg.Name, MaxDevices)
	}
	for _, d := range s.devs {
		if d.Name() == cfg.Name {
			s.mu.Unlock()
			return nil, fmt.Errorf("%s: device exists", cfg.Name)
		}
	}
	dev, err := netdev.New(cfg, drv, &s.demux, s.Pool)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.devs = append(s.devs, dev)
	s.mu.Unlock()
	dev.SetTracer(s.Tracer)
	dev.OnGone(s.deviceGone)
	dev.OnBatchEnd(s.endBatch)
	dev.SetClock(s.clock)

	s.IP.AttachDevice(dev)
	dev.Start()
	dev.SetUp(true)
	if addr.IsValid() {
		if err := s.SetAddress(dev, addr); err != nil {
			s.RemoveDevice(dev)
			return nil, err
		}
	}
	return dev, nil
}

// RemoveDevice stops dev, closes its driver and forgets its routes and
// neighbours.
func (s *Stack) RemoveDevice(dev *netdev.NetDev) {
	s.mu.Lock()
	for i, d := range s.devs {
		if d == dev {
			s.devs = append(s.devs[:i:i], s.devs[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	s.IP.DetachDevice(dev)
	s.ARP.Flush(dev)
	dev.Close(true)
}

// Devices lists the devices in the order they were added (lo first).
func (s *Stack) Devices() []*netdev.NetDev {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*netdev.NetDev(nil), s.devs...)
}

// Device finds a device by name.
func (s *Stack) Device(name string) (*netdev.NetDev, error) {
	for _, d := range s.Devices() {
		if d.Name() == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%s: %w (ifconfig lists them)", name, ErrNoDevice)
}

// SetAddress gives dev an IPv4 address and prefix, replaces its connected
// route and announces the address with a gratuitous ARP.
func (s *Stack) SetAddress(dev *netdev.NetDev, addr netip.Prefix) error {
	if !addr.Addr().Is4() {
		return errf(dev.Name(), "%v is not an IPv4 prefix", addr)
	}
	if err := s.IP.SetAddress(dev, addr); err != nil {
		return err
	}
	if dev.IsUp() {
		s.ARP.Announce(dev)
	}
	return nil
}

// AddDefaultRoute routes 0.0.0.0/0 via gw on dev (the -gw flag).
func (s *Stack) AddDefaultRoute(dev *netdev.NetDev, gw netip.Addr) error {
	return s.AddRoute(ip.Route{Prefix: netip.MustParsePrefix("0.0.0.0/0"), Gateway: gw, Dev: dev})
}

// AddRoute adds r after the checks "ip route add" makes (ip.CheckRoute):
// no host bits in the prefix, a gateway on the device's subnet.
func (s *Stack) AddRoute(r ip.Route) error {
	if err := ip.CheckRoute(r); err != nil {
		return err
	}
	return s.IP.Routes.Add(r)
}
