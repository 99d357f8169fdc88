package ip

// Reassembly, RFC 791 section 3.2 ("Fragmentation and reassembly") with the
// hole bookkeeping of RFC 815 (see reasm_datagram.go).
//
// Fragments of one datagram share (source, destination, protocol,
// identification). Each carries payload bytes at
//
//	[Fragment Offset * 8, Fragment Offset * 8 + Total Length - IHL * 4)
//
// and the one with MF clear says where the datagram ends. The datagram is
// whole when every byte from 0 to that end is in; its header is the first
// fragment's (offset 0), with MF and offset cleared.
//
// Hostile input this refuses, as Linux and RFC 5722 (written for IPv6) do:
// overlapping fragments (teardrop; a fragment that is an exact duplicate of
// one we hold is ignored instead, since retransmissions happen), a datagram
// that would exceed 65535 bytes (ping of death), and conflicting ends. The
// whole datagram is discarded, not just the fragment: its contents would be
// ambiguous. Memory is bounded by HighThresh (what is really held: pages,
// span lists, per-datagram overhead) and the number of datagrams by
// MaxDatagrams; a datagram times out Timeout after its first fragment.

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// ReasmConfig bounds reassembly. Zero fields take the defaults.
type ReasmConfig struct {
	// Timeout is how long a datagram may take to complete, counted from its
	// first fragment to arrive. Default 30s (Linux ipfrag_time).
	Timeout time.Duration
	// HighThresh is the most memory (bytes) ever held. When a fragment
	// would pass it, the oldest datagrams are evicted until LowThresh
	// (Linux ipfrag_high_thresh/ipfrag_low_thresh before 4.17). Default 4
	// MiB; below about 100 KiB the largest datagrams can never complete.
	HighThresh int
	// LowThresh is where eviction stops. Default 3/4 of HighThresh.
	LowThresh int
	// MaxDatagrams caps concurrent datagrams. A new one beyond the cap
	// evicts the oldest: refusing new ones instead would let a flood of
	// never-completed datagrams block every real one for Timeout. Default 1024.
	MaxDatagrams int
}

// Defaults.
const (
	DefaultReasmTimeout      = 30 * time.Second
	DefaultReasmHighThresh   = 4 << 20
	DefaultReasmMaxDatagrams = 1024
)

func (c ReasmConfig) withDefaults() ReasmConfig {
	if c.Timeout <= 0 {
		c.Timeout = DefaultReasmTimeout
	}
	if c.HighThresh <= 0 {
		c.HighThresh = DefaultReasmHighThresh
	}
	if c.LowThresh <= 0 || c.LowThresh > c.HighThresh {
		c.LowThresh = c.HighThresh / 4 * 3
	}
	if c.MaxDatagrams <= 0 {
		c.MaxDatagrams = DefaultReasmMaxDatagrams
	}
	return c
}

// ReasmStats are the reassembly counters, named as the IP-MIB (RFC 4293)
// and Linux's /proc/net/snmp. Updated atomically.
type ReasmStats struct {
	ReasmReqds   atomic.Uint64 // fragments received
	ReasmOKs     atomic.Uint64 // datagrams reassembled
	ReasmFails   atomic.Uint64 // fragments refused and datagrams given up (incl. timeouts)
	ReasmTimeout atomic.Uint64 // datagrams given up for Timeout
}

// Reset zeroes every counter.
func (s *ReasmStats) Reset() {
	for _, c := range []*atomic.Uint64{&s.ReasmReqds, &s.ReasmOKs, &s.ReasmFails, &s.ReasmTimeout} {
		c.Store(0)
	}
}

// Reassembler puts fragmented datagrams back together. It starts no
// goroutine and reads no clock: the caller passes the time to Add and calls
// Expire from its timer. It is safe for concurrent use.
type Reassembler struct {
	Stats ReasmStats

	cfg   ReasmConfig
	pool  *netdev.Pool
	pages sync.Pool // *reasmPage
	dgram sync.Pool // *datagram, recycled with their span lists

	mu             sync.Mutex
	table          map[reasmKey]*datagram
	oldest, newest *datagram // by creation: eviction and expiry order
	held           int       // bytes held, never above cfg.HighThresh
}

// NewReassembler returns an empty reassembler that builds datagrams in
// packets from pool.
func NewReassembler(cfg ReasmConfig, pool *netdev.Pool) *Reassembler {
	r := &Reassembler{cfg: cfg.withDefaults(), pool: pool, table: make(map[reasmKey]*datagram)}
	r.pages.New = func() any { return new(reasmPage) }
	r.dgram.New = func() any { return new(datagram) }
	return r
}

// Config returns the configuration in use, defaults filled in.
func (r *Reassembler) Config() ReasmConfig {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// SetTimeout changes how long datagrams may take to complete from now on
// (sysctl net.ipv4.ipfrag_time).
func (r *Reassembler) SetTimeout(d time.Duration) {
	r.mu.Lock()
	r.cfg.Timeout = d
	r.mu.Unlock()
}

// Add takes the fragment p (data starting at its IP header h, as Parse
// returned it) and returns the reassembled datagram when p completes one, or
// nil. Add owns p and always frees it: payloads are copied, so no fragment's
// buffer is held. The datagram returned is a fresh packet owned by the
// caller: data starting at the IP header (MarkNetwork done), total length
// and checksum set, Dev and Type copied from p. Drops are counted in Stats.
func (r *Reassembler) Add(p *netdev.Packet, h Header, now time.Time) *netdev.Packet {
	defer p.Free()
	r.Stats.ReasmReqds.Add(1)
	f, ok := parseFragment(p, h)
	if !ok {
		r.Stats.ReasmFails.Add(1)
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.table[f.key]
	if f.start+f.totalLen > MaxDatagram { // ping of death
		if d != nil {
			r.remove(d)
		}
		r.Stats.ReasmFails.Add(1)
		return nil
	}
	if d == nil {
		if d = r.create(f.key, now); d == nil {
			r.Stats.ReasmFails.Add(1)
			return nil
		}
	}
	if !r.insert(d, f, p.Dev) {
		return nil
	}
	if !d.complete() {
		return nil
	}
	out := d.build(r.pool)
	r.remove(d)
	if out == nil {
		r.Stats.ReasmFails.Add(1)
		return nil
	}
	out.Dev, out.Type = p.Dev, p.Type
	r.Stats.ReasmOKs.Add(1)
	return out
}

// insert adds fragment f to d, or discards d if f conflicts with it. It
// reports whether f was added. r.mu is held.
func (r *Reassembler) insert(d *datagram, f fragmentInfo, dev *netdev.NetDev) bool {
	v, i := d.check(f.start, f.end, f.last)
	hdrLen := d.hdrLen
	if f.start == 0 {
		hdrLen = len(f.header)
	}
	if v == fragAdded && hdrLen+max(f.end, d.maxEnd) > MaxDatagram {
		v = fragBad // the first fragment's options make it too long
	}
	switch v {
	case fragDuplicate:
		return false
	case fragBad:
		r.remove(d)
		r.Stats.ReasmFails.Add(1)
		return false
	}
	if !r.reserve(d, d.pagesNeeded(f.start, f.end)*reasmPageSize+d.spansGrowth()) {
		r.remove(d)
		r.Stats.ReasmFails.Add(1)
		return false
	}
	d.insert(i, f.start, f.payload, f.last, r.newPage)
	if f.start == 0 {
		d.hdrLen = copy(d.header[:], f.header)
		d.firstLen = len(f.payload)
		d.firstDev = dev
	}
	return true
}

// create starts a datagram for key, making room under MaxDatagrams and
// HighThresh; nil if it cannot. r.mu is held.
func (r *Reassembler) create(key reasmKey, now time.Time) *datagram {
	if len(r.table) >= r.cfg.MaxDatagrams && r.oldest != nil {
		r.remove(r.oldest)
		r.Stats.ReasmFails.Add(1)
	}
	d := r.dgram.Get().(*datagram)
	d.reset(key, now)
	if !r.reserve(d, reasmDatagramCost+cap(d.spans)*reasmSpanCost) {
		r.dgram.Put(d)
		return nil
	}
	d.prev = r.newest
	if r.newest != nil {
		r.newest.next = d
	} else {
		r.oldest = d
	}
	r.newest = d
	r.table[key] = d
	return d
}

// reserve accounts cost more bytes to d. Past HighThresh it first evicts
// the oldest other datagrams until the total would be under LowThresh, so
// that eviction happens in batches, not on every fragment. It reports false,
// accounting nothing, if even that leaves no room. r.mu is held.
func (r *Reassembler) reserve(d *datagram, cost int) bool {
	if r.held+cost > r.cfg.HighThresh {
		for e := r.oldest; e != nil && r.held+cost > r.cfg.LowThresh; {
			next := e.next
			if e != d {
				r.remove(e)
				r.Stats.ReasmFails.Add(1)
			}
			e = next
		}
		if r.held+cost > r.cfg.HighThresh {
			return false
		}
	}
	r.held += cost
	d.cost += cost
	return true
}

// remove forgets d and releases what it holds. r.mu is held.
func (r *Reassembler) remove(d *datagram) {
	if d.prev != nil {
		d.prev.next = d.next
	} else if r.oldest == d {
		r.oldest = d.next
	}
	if d.next != nil {
		d.next.prev = d.prev
	} else if r.newest == d {
		r.newest = d.prev
	}
	delete(r.table, d.key)
	r.held -= d.cost
	d.releasePages(r.putPage)
	d.firstDev = nil
	d.prev, d.next = nil, nil
	if cap(d.spans) > reasmKeepSpans {
		d.spans = nil // a pathological datagram's list would make the next one look big
	}
	r.dgram.Put(d)
}

func (r *Reassembler) newPage() *reasmPage   { return r.pages.Get().(*reasmPage) }
func (r *Reassembler) putPage(pg *reasmPage) { r.pages.Put(pg) }

// Expire gives up the datagrams whose first fragment arrived Timeout or
// more before now. For each whose fragment zero had arrived it calls
// timedOut (if not nil) with a fresh packet holding that fragment as
// received (data from its IP header, MarkNetwork done, Dev set), for an
// ICMP time exceeded, code 1 (RFC 792; RFC 1122 3.3.2: none is sent without
// fragment zero). timedOut owns the packet: it sends it on or frees it.
// timedOut runs after the reassembler's lock is released, so it may send
// (even through loopback back into Add).
func (r *Reassembler) Expire(now time.Time, timedOut func(first *netdev.Packet)) {
	var firsts []*netdev.Packet
	r.mu.Lock()
	for d := r.oldest; d != nil && now.Sub(d.created) >= r.cfg.Timeout; d = r.oldest {
		if timedOut != nil {
			if f := d.buildFirst(r.pool); f != nil {
				firsts = append(firsts, f)
			}
		}
		r.remove(d)
		r.Stats.ReasmTimeout.Add(1)
		r.Stats.ReasmFails.Add(1)
	}
	r.mu.Unlock()
	for _, f := range firsts {
		timedOut(f)
	}
}

// Flush discards every datagram without counting it, as when the stack
// shuts down.
func (r *Reassembler) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.oldest != nil {
		r.remove(r.oldest)
	}
}

// BytesHeld is the memory the datagrams under reassembly hold.
func (r *Reassembler) BytesHeld() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held
}

// Datagrams is how many datagrams are under reassembly.
func (r *Reassembler) Datagrams() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.table)
}
