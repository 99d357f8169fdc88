package arp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/internal/rcumap"
	"github.com/gotapip/gotapip/netdev"
)

// State is a neighbour entry's state: Linux's NUD states but DELAY, folded
// into PROBE, and FAILED, whose entries leave the cache at once (see
// doc/decisions.md).
type State uint8

const (
	Incomplete State = iota // asked by broadcast, no answer yet
	Reachable               // confirmed recently
	Stale                   // unconfirmed for ReachableTime: usable, probed at its next use
	Probing                 // used while stale: still used, asked by unicast until it answers or fails
	Permanent               // added by hand; never ages
)

func (s State) String() string {
	names := [...]string{"INCOMPLETE", "REACHABLE", "STALE", "PROBE", "PERMANENT"}
	if int(s) >= len(names) {
		return fmt.Sprintf("State(%d)", s)
	}
	return names[s]
}

// Config holds the cache's limits and timers; zero fields take defaults.
type Config struct {
	MaxEntries    int           // default 512 (Linux gc_thresh2)
	QueueLen      int           // packets held per unresolved entry; default 101 (Linux unres_qlen)
	QueueBytes    int           // and their buffers' bytes (Packet.Truesize); default 212992 (Linux unres_qlen_bytes)
	Retries       int           // broadcast requests before giving up; default 3 (Linux mcast_solicit)
	UnicastProbes int           // unicast requests to a stale neighbour in use before it fails; default 3 (Linux ucast_solicit)
	RetryInterval time.Duration // between requests, broadcast or unicast; default 1 s (tapip)
	ReachableTime time.Duration // reachable -> stale; default 30 s (Linux base_reachable_time)
	Lifetime      time.Duration // unconfirmed entries are removed after; default 600 s (tapip)
	Now           func() time.Time
}

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxEntries, 512)
	def(&c.QueueLen, 101)
	def(&c.QueueBytes, 212992)
	def(&c.Retries, 3)
	def(&c.UnicastProbes, 3)
	defDur(&c.RetryInterval, time.Second)
	defDur(&c.ReachableTime, 30*time.Second)
	defDur(&c.Lifetime, 600*time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Entry is a snapshot of a cache entry, for arpcache.
type Entry struct {
	IP    netip.Addr
	MAC   netdev.MAC
	Dev   *netdev.NetDev
	State State
	Age   time.Duration // since last confirmed
}

// Errors for callers.
var (
	ErrCacheFull = errors.New("arp cache full")
	ErrNotFound  = errors.New("no arp entry")
)

// Cache is the neighbour cache of one stack, safe for concurrent use.
type Cache struct {
	cfg   Config
	pool  *netdev.Pool
	Stats Stats

	// Tracer, if set, sees ARP packets in, out and dropped (debug arp).
	Tracer *netdev.Tracer

	// Unresolved, if set, receives each packet still queued when resolution
	// fails (for ICMP host unreachable); it owns the packet.
	Unresolved func(p *netdev.Packet)

	// mu serializes every change to the map and the entries but one: the
	// send path's move of a stale entry to PROBE (see entry). Resolve and
	// Lookup of a resolved entry take no lock.
	mu      sync.Mutex
	entries rcumap.Map[netip.Addr, *entry, addrHash]
	epoch   time.Time    // entry.nextProbe counts from here
	retry   atomic.Int64 // cfg.RetryInterval, for the send path
	probes  probes
}

// NewCache returns an empty cache.
func NewCache(cfg Config, pool *netdev.Pool) *Cache {
	cfg.setDefaults()
	c := &Cache{cfg: cfg, pool: pool, epoch: cfg.Now()}
	c.retry.Store(int64(cfg.RetryInterval))
	return c
}

// since is t as entry.nextProbe counts it: nanoseconds since c.epoch (on
// the monotonic clock when t has it).
func (c *Cache) since(t time.Time) int64 { return int64(t.Sub(c.epoch)) }

// Config returns the cache's current settings.
func (c *Cache) Config() Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg
}

// SetTimers changes the cache's timers, counts and queue bounds from now
// on (sysctl): those of t's ReachableTime, Lifetime, RetryInterval,
// Retries, UnicastProbes, QueueLen and QueueBytes that are above zero; the
// other fields of t are ignored. A queue already longer keeps its packets
// until its next one.
func (c *Cache) SetTimers(t Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.ReachableTime > 0 {
		c.cfg.ReachableTime = t.ReachableTime
	}
	if t.Lifetime > 0 {
		c.cfg.Lifetime = t.Lifetime
	}
	if t.RetryInterval > 0 {
		c.cfg.RetryInterval = t.RetryInterval
		c.retry.Store(int64(t.RetryInterval))
	}
	if t.Retries > 0 {
		c.cfg.Retries = t.Retries
	}
	if t.UnicastProbes > 0 {
		c.cfg.UnicastProbes = t.UnicastProbes
	}
	if t.QueueLen > 0 {
		c.cfg.QueueLen = t.QueueLen
	}
	if t.QueueBytes > 0 {
		c.cfg.QueueBytes = t.QueueBytes
	}
}

// Resolve transmits p to nextHop on dev if its MAC is known, or queues p and
// sends a request. *Cache is the stack's ip.Resolver. A stale entry is used,
// and its first use moves it to PROBE. To a resolved neighbour it takes no
// lock and does not allocate.
func (c *Cache) Resolve(dev *netdev.NetDev, nextHop netip.Addr, p *netdev.Packet) error {
	e, ok := c.entries.Load(nextHop)
	if !ok || e.state() == Incomplete {
		var err error
		if e, err = c.resolveLocked(dev, nextHop, p); e == nil {
			return err // p was queued, or freed with the error
		}
	}
	s, mac := e.load() // resolved, and a resolved entry stays so
	if s == Stale {
		c.startProbe(dev, e, mac)
	}
	return dev.Transmit(p, mac, netdev.EtherTypeIPv4) // in PROBE too, as Linux
}

// startProbe moves a stale entry in use to PROBE and sends it the first
// unicast probe. Of the senders that use the entry at once only one, the
// one whose CompareAndSwap changes the word, does; Tick sends the later
// probes, a RetryInterval apart from nextProbe on. A reply (update) may
// overwrite the word meanwhile: then this probe was one too many, no more.
func (c *Cache) startProbe(dev *netdev.NetDev, e *entry, mac netdev.MAC) {
	if !e.word.CompareAndSwap(pack(Stale, mac), pack(Probing, mac)) {
		return
	}
	e.nextProbe.Store(c.since(c.cfg.Now()) + c.retry.Load())
	c.sendProbe(dev, e.ip, mac)
}

// resolveLocked is Resolve for a neighbour that was not resolved when it
// looked. Under c.mu it looks again, since a reply may have resolved the
// entry, or Tick removed it, meanwhile. It returns the entry if it is
// resolved now; otherwise it queues p on it (creating it and sending the
// first request if there was none) and returns nil.
func (c *Cache) resolveLocked(dev *netdev.NetDev, nextHop netip.Addr, p *netdev.Packet) (*entry, error) {
	now := c.cfg.Now()
	c.mu.Lock()
	e, ok := c.entries.Load(nextHop)
	if ok && e.state() != Incomplete {
		c.mu.Unlock()
		return e, nil
	}
	if !ok {
		var err error
		if e, err = c.insert(nextHop, dev, now); err != nil {
			c.mu.Unlock()
			c.Stats.TableFull.Add(1)
			p.Free()
			return nil, err
		}
		e.tries = 1
		e.nextProbe.Store(c.since(now) + int64(c.cfg.RetryInterval))
		defer c.sendRequest(dev, nextHop)
	}
	c.enqueue(e, p)
	c.mu.Unlock()
	return nil, nil
}

// enqueue holds p until e resolves, dropping the oldest beyond QueueLen
// packets or QueueBytes bytes, as Linux's __neigh_event_send: each packet
// queued is one its sender hears about (host unreachable) if ARP fails,
// so the queue is as long as Linux's, and a dropped one is counted.
func (c *Cache) enqueue(e *entry, p *netdev.Packet) {
	for len(e.queue) > 0 && (len(e.queue) >= c.cfg.QueueLen || e.queueBytes+p.Truesize() > c.cfg.QueueBytes) {
		old := e.queue[0]
		c.Tracer.Drop(netdev.LayerARP, e.dev, old.Data(), "queue full: oldest packet waiting for "+e.ip.String()+" dropped")
		e.queueBytes -= old.Truesize()
		old.Free()
		e.queue = slices.Delete(e.queue, 0, 1)
		c.Stats.QueueDrops.Add(1)
	}
	e.queue = append(e.queue, p)
	e.queueBytes += p.Truesize()
}

// insert makes a new, incomplete entry, evicting the least recently
// confirmed dynamic entry if the cache is full. Call with c.mu held.
func (c *Cache) insert(addr netip.Addr, dev *netdev.NetDev, now time.Time) (*entry, error) {
	if c.entries.Len() >= c.cfg.MaxEntries && !c.evictOldest() {
		return nil, fmt.Errorf("arp: %v: %w (%d entries, all in use or permanent)", addr, ErrCacheFull, c.cfg.MaxEntries)
	}
	e := &entry{ip: addr, dev: dev, confirmed: now}
	e.nextProbe.Store(never)
	c.entries.Store(addr, e)
	return e, nil
}

// evictOldest removes the least recently confirmed resolved, dynamic
// entry. Such an entry has no queue, so nothing is lost; a sender that
// looked it up just before sends to its MAC once more.
func (c *Cache) evictOldest() bool {
	var victim *entry
	for _, e := range c.entries.All() {
		if s := e.state(); s == Reachable || s == Stale || s == Probing {
			if victim == nil || e.confirmed.Before(victim.confirmed) {
				victim = e
			}
		}
	}
	if victim == nil {
		return false
	}
	c.entries.Delete(victim.ip)
	c.Stats.Evictions.Add(1)
	return true
}

// update records that addr is at mac (a reply, or a request that proves it)
// and sends whatever waited for it. create says whether to make a new entry
// (RFC 826: only when the packet was aimed at us).
func (c *Cache) update(dev *netdev.NetDev, addr netip.Addr, mac netdev.MAC, create bool) {
	now := c.cfg.Now()
	c.mu.Lock()
	e, ok := c.entries.Load(addr)
	if !ok {
		if !create {
			c.mu.Unlock()
			return
		}
		var err error
		if e, err = c.insert(addr, dev, now); err != nil {
			c.mu.Unlock()
			c.Stats.TableFull.Add(1)
			return
		}
	}
	if e.state() == Permanent {
		c.mu.Unlock()
		return
	}
	e.dev, e.confirmed, e.tries = dev, now, 0
	e.nextProbe.Store(never) // until a sender starts probing it, once stale
	e.set(Reachable, mac)    // from here senders use mac, and nothing more is queued
	queue := e.takeQueue()
	c.mu.Unlock()
	for _, p := range queue {
		dev.Transmit(p, mac, netdev.EtherTypeIPv4)
	}
}
