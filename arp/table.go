package arp

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// Tick runs the cache's timers: retries of unanswered broadcast requests,
// giving up after Config.Retries; reachable entries going stale; probes of
// entries in PROBE, failing them after Config.UnicastProbes; and stale
// entries expiring. The stack's net timer calls it; tests call it with a
// fake time.
func (c *Cache) Tick(now time.Time) {
	type probe struct {
		dev *netdev.NetDev
		ip  netip.Addr
		mac netdev.MAC // zero: broadcast
	}
	var probes []probe
	var failed []*netdev.Packet
	var gone []netip.Addr
	t := c.since(now)
	c.mu.Lock()
	for addr, e := range c.entries.All() {
		switch s, mac := e.load(); {
		case s == Incomplete && t >= e.nextProbe.Load():
			if e.tries >= c.cfg.Retries {
				failed = append(failed, e.queue...)
				gone = append(gone, addr)
				c.Stats.Failed.Add(1)
				continue
			}
			e.tries++
			e.nextProbe.Store(t + int64(c.cfg.RetryInterval))
			probes = append(probes, probe{e.dev, addr, netdev.MAC{}})
		case s == Probing && t >= e.nextProbe.Load():
			if 1+e.tries >= c.cfg.UnicastProbes { // the sender sent the first
				gone = append(gone, addr) // resolved: no queue
				c.Stats.Failed.Add(1)
				continue
			}
			e.tries++
			e.nextProbe.Store(t + int64(c.cfg.RetryInterval))
			probes = append(probes, probe{e.dev, addr, mac})
		case s == Reachable && now.Sub(e.confirmed) >= c.cfg.ReachableTime:
			e.set(Stale, mac)
		case s == Stale && now.Sub(e.confirmed) >= c.cfg.Lifetime:
			gone = append(gone, addr)
		}
	}
	for _, addr := range gone {
		c.entries.Delete(addr)
	}
	c.mu.Unlock()
	for _, pr := range probes {
		if pr.mac.IsZero() {
			c.sendRequest(pr.dev, pr.ip)
		} else {
			c.sendProbe(pr.dev, pr.ip, pr.mac)
		}
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
	for _, e := range c.entries.All() {
		n += len(e.queue)
	}
	return n
}

// Lookup returns the MAC of addr if the entry is resolved. It takes no lock
// and does not allocate.
func (c *Cache) Lookup(addr netip.Addr) (netdev.MAC, bool) {
	e, ok := c.entries.Load(addr)
	if !ok {
		return netdev.MAC{}, false
	}
	s, mac := e.load()
	return mac, s != Incomplete
}

// List returns a snapshot of every entry, sorted by address.
func (c *Cache) List() []Entry {
	now := c.cfg.Now()
	c.mu.Lock()
	out := make([]Entry, 0, c.entries.Len())
	for _, e := range c.entries.All() {
		s, mac := e.load()
		out = append(out, Entry{IP: e.ip, MAC: mac, Dev: e.dev, State: s, Age: now.Sub(e.confirmed)})
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
	e, ok := c.entries.Load(addr)
	if !ok {
		var err error
		if e, err = c.insert(addr, dev, now); err != nil {
			c.mu.Unlock()
			return err
		}
	}
	e.dev, e.confirmed, e.tries = dev, now, 0
	e.nextProbe.Store(never)
	e.set(Permanent, mac) // a sender that read the old MAC uses it once more
	queue := e.takeQueue()
	c.mu.Unlock()
	for _, p := range queue {
		dev.Transmit(p, mac, netdev.EtherTypeIPv4)
	}
	return nil
}

// Delete removes addr's entry and frees what waited on it.
func (c *Cache) Delete(addr netip.Addr) error {
	c.mu.Lock()
	e, ok := c.entries.Delete(addr)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("arp: %v: %w", addr, ErrNotFound)
	}
	freeAll(e.queue) // no longer in the map: nothing more is queued on it
	return nil
}

// Flush removes every dynamic entry (permanent ones stay, as ip neigh flush).
// If dev is non-nil only its entries go.
func (c *Cache) Flush(dev *netdev.NetDev) int {
	var queued []*netdev.Packet
	var gone []netip.Addr
	c.mu.Lock()
	for addr, e := range c.entries.All() {
		if e.state() != Permanent && (dev == nil || e.dev == dev) {
			queued = append(queued, e.queue...)
			gone = append(gone, addr)
		}
	}
	for _, addr := range gone {
		c.entries.Delete(addr)
	}
	c.mu.Unlock()
	freeAll(queued)
	return len(gone)
}

func freeAll(ps []*netdev.Packet) {
	for _, p := range ps {
		p.Free()
	}
}
