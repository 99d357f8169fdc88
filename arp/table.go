package arp

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// Tick runs the cache's timers: retries of unanswered requests, giving up
// after Config.Retries, reachable entries going stale and old ones expiring.
// The stack's net timer calls it; tests call it with a fake time.
func (c *Cache) Tick(now time.Time) {
	type probe struct {
		dev *netdev.NetDev
		ip  netip.Addr
	}
	var probes []probe
	var failed []*netdev.Packet
	c.mu.Lock()
	for addr, e := range c.entries {
		switch {
		case e.state == Incomplete && !now.Before(e.nextProbe):
			if e.tries >= c.cfg.Retries {
				failed = append(failed, e.queue...)
				delete(c.entries, addr)
				c.Stats.Failed.Add(1)
				continue
			}
			e.tries++
			e.nextProbe = now.Add(c.cfg.RetryInterval)
			probes = append(probes, probe{e.dev, addr})
		case e.state == Reachable && now.Sub(e.confirmed) >= c.cfg.ReachableTime:
			e.state = Stale
		case e.state == Stale && now.Sub(e.confirmed) >= c.cfg.Lifetime:
			delete(c.entries, addr)
		}
	}
	c.mu.Unlock()
	for _, pr := range probes {
		c.sendRequest(pr.dev, pr.ip)
	}
	for _, p := range failed {
		c.Tracer.Drop(netdev.LayerARP, p.Dev, p.Data(), "no ARP reply after all retries: host unreachable")
		if c.Unresolved != nil {
			c.Unresolved(p)
		} else {
			p.Free()
		}
	}
}

// Queued is how many packets wait for resolution, over all entries.
func (c *Cache) Queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.entries {
		n += len(e.queue)
	}
	return n
}

// Lookup returns the MAC of addr if the entry is resolved.
func (c *Cache) Lookup(addr netip.Addr) (netdev.MAC, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[addr]
	if e == nil || e.state == Incomplete {
		return netdev.MAC{}, false
	}
	return e.mac, true
}

// List returns a snapshot of every entry, sorted by address.
func (c *Cache) List() []Entry {
	now := c.cfg.Now()
	c.mu.Lock()
	out := make([]Entry, 0, len(c.entries))
	for _, e := range c.entries {
		out = append(out, Entry{IP: e.ip, MAC: e.mac, Dev: e.dev, State: e.state, Age: now.Sub(e.confirmed)})
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b Entry) int { return a.IP.Compare(b.IP) })
	return out
}

// AddPermanent adds or replaces a static entry (arpcache add).
func (c *Cache) AddPermanent(dev *netdev.NetDev, addr netip.Addr, mac netdev.MAC) error {
	if !addr.Is4() || mac.IsMulticast() || mac.IsZero() {
		return fmt.Errorf("arp: %v at %v: need an IPv4 address and a unicast MAC", addr, mac)
	}
	now := c.cfg.Now()
	c.mu.Lock()
	e := c.entries[addr]
	if e == nil {
		var err error
		if e, err = c.insert(addr, dev, now); err != nil {
			c.mu.Unlock()
			return err
		}
	}
	e.mac, e.dev, e.state, e.confirmed = mac, dev, Permanent, now
	queue := e.queue
	e.queue = nil
	c.mu.Unlock()
	for _, p := range queue {
		dev.Transmit(p, mac, netdev.EtherTypeIPv4)
	}
	return nil
}

// Delete removes addr's entry and frees what waited on it.
func (c *Cache) Delete(addr netip.Addr) error {
	c.mu.Lock()
	e := c.entries[addr]
	delete(c.entries, addr)
	c.mu.Unlock()
	if e == nil {
		return fmt.Errorf("arp: %v: %w", addr, ErrNotFound)
	}
	freeAll(e.queue)
	return nil
}

// Flush removes every dynamic entry (permanent ones stay, as ip neigh flush).
// If dev is non-nil only its entries go.
func (c *Cache) Flush(dev *netdev.NetDev) int {
	var queued []*netdev.Packet
	n := 0
	c.mu.Lock()
	for addr, e := range c.entries {
		if e.state != Permanent && (dev == nil || e.dev == dev) {
			queued = append(queued, e.queue...)
			delete(c.entries, addr)
			n++
		}
	}
	c.mu.Unlock()
	freeAll(queued)
	return n
}

func freeAll(ps []*netdev.Packet) {
	for _, p := range ps {
		p.Free()
	}
}
