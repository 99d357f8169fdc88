package arp

import (
	"errors"
	"net/netip"
	"sync"

	"github.com/gotapip/gotapip/netdev"
)

// MaxProbes bounds the arping runs at once.
const MaxProbes = 64

// ErrTooManyProbes is returned when MaxProbes are already running.
var ErrTooManyProbes = errors.New("arp: too many arping runs")

// Answer is an ARP packet heard from a probed address: its sender MAC and
// whether it was sent to us alone (unicast) or broadcast.
type Answer struct {
	MAC       netdev.MAC
	Broadcast bool
}

// Probe listens for ARP packets from one address (arping).
type Probe struct {
	c        *Cache
	target   netip.Addr
	answers  chan Answer
	conflict bool           // NewConflictProbe: hears any host using target
	dev      *netdev.NetDev // NewConflictProbe: on this device only
}

// probes is the table of running probes, keyed by target address.
type probes struct {
	mu   sync.Mutex
	byIP map[netip.Addr][]*Probe
	n    int
}

// NewProbe starts listening for ARP packets from target. Close it when done.
func (c *Cache) NewProbe(target netip.Addr) (*Probe, error) { return c.newProbe(target, nil) }

// NewConflictProbe starts listening on dev for another host using target,
// as RFC 5227 2.1.1 has an address prober do: any ARP packet whose sender
// IP is target, or another host's probe for target (sender IP 0.0.0.0),
// whatever address it was sent to. Send probes with SendProbe; Close it
// when done.
func (c *Cache) NewConflictProbe(dev *netdev.NetDev, target netip.Addr) (*Probe, error) {
	return c.newProbe(target, dev)
}

// newProbe adds a probe: arping's if dev is nil, else a conflict probe.
func (c *Cache) newProbe(target netip.Addr, dev *netdev.NetDev) (*Probe, error) {
	c.probes.mu.Lock()
	defer c.probes.mu.Unlock()
	if c.probes.n >= MaxProbes {
		return nil, ErrTooManyProbes
	}
	if c.probes.byIP == nil {
		c.probes.byIP = map[netip.Addr][]*Probe{}
	}
	p := &Probe{c: c, target: target, answers: make(chan Answer, 16), conflict: dev != nil, dev: dev}
	c.probes.byIP[target] = append(c.probes.byIP[target], p)
	c.probes.n++
	return p, nil
}

// Answers delivers what target sends; answers are dropped if not read.
func (p *Probe) Answers() <-chan Answer { return p.answers }

// Request broadcasts one ARP request for the probed address from dev.
func (p *Probe) Request(dev *netdev.NetDev) { p.c.sendRequest(dev, p.target) }

// SendProbe broadcasts an RFC 5227 ARP probe for the probed address from
// dev: a request with sender IP 0.0.0.0, so no neighbour learns anything
// from it, whatever address dev has.
func (p *Probe) SendProbe(dev *netdev.NetDev) {
	p.c.send(dev, netdev.BroadcastMAC, Fields{Op: OpRequest, SenderMAC: dev.MAC(), TargetIP: p.target})
}

// Close stops listening.
func (p *Probe) Close() {
	t := &p.c.probes
	t.mu.Lock()
	defer t.mu.Unlock()
	list := t.byIP[p.target]
	for i, q := range list {
		if q == p {
			t.byIP[p.target] = append(list[:i:i], list[i+1:]...)
			t.n--
			break
		}
	}
	if len(t.byIP[p.target]) == 0 {
		delete(t.byIP, p.target)
	}
}

// notify hands an ARP packet from spa to the probes listening for it:
// arping's (conflict false) hear what is sent to us, conflict probes
// whatever uses their address on their device.
func (t *probes) notify(dev *netdev.NetDev, spa netip.Addr, a Answer, conflict bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.byIP[spa] {
		if p.conflict != conflict || (conflict && p.dev != dev) {
			continue
		}
		select {
		case p.answers <- a:
		default:
		}
	}
}
