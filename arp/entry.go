package arp

import (
	"encoding/binary"
	"math"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

// entry is one neighbour. The send path (Resolve and Lookup on a resolved
// entry) takes no lock: it reads ip, which never changes, the state and MAC,
// which are one atomic word, and, to start probing a stale entry, swaps the
// word from STALE to PROBE with a CompareAndSwap and stores nextProbe.
// Every other access, and every other write, is under Cache.mu.
//
// An entry is created Incomplete (its word zero) and, once resolved, never
// goes back to Incomplete: a failed or removed entry leaves the map, and the
// next packet makes a new one. So a reader that sees a resolved state may
// use the MAC beside it, and packets are queued only under the mutex, on an
// entry found in the map and found Incomplete there.
//
// An entry's states (as arpcache names them), and what moves it:
//
//	(none)     -> INCOMPLETE  Resolve of a packet to an unknown neighbour (under mu)
//	INCOMPLETE -> (removed)   Tick, after Retries broadcast requests; the queue goes to Unresolved
//	REACHABLE  -> STALE       Tick, ReachableTime after the last confirmation
//	STALE      -> PROBE       the first sender to use it (CompareAndSwap), which sends the first probe
//	PROBE      -> PROBE       Tick, each RetryInterval: the next probe, until UnicastProbes are sent
//	PROBE      -> (removed)   Tick, a RetryInterval after the last probe: failed
//	STALE      -> (removed)   Tick, Lifetime after the last confirmation
//	not PERMANENT -> REACHABLE  update: an ARP packet from the neighbour, at the MAC it gives
//	any        -> PERMANENT   AddPermanent; and evicted, Delete, Flush: removed
type entry struct {
	ip         netip.Addr
	word       atomic.Uint64 // state and MAC: see pack
	nextProbe  atomic.Int64  // when to send the next request, as Cache.since; never: not probing
	dev        *netdev.NetDev
	confirmed  time.Time // last reply or request that proved the MAC (or creation)
	tries      int       // broadcast requests sent while incomplete; unicast probes sent by Tick while probing
	queue      []*netdev.Packet
	queueBytes int // the queue's Truesize, bounded by Config.QueueBytes
}

// takeQueue empties the queue and returns what was on it. Call with
// Cache.mu held.
func (e *entry) takeQueue() []*netdev.Packet {
	q := e.queue
	e.queue, e.queueBytes = nil, 0
	return q
}

// never is the nextProbe of an entry with no request due: a resolved entry
// not probing, or one a sender has just moved to PROBE and not yet timed.
const never = math.MaxInt64

// pack puts a state and a MAC in one word, so that a reader without the lock
// sees the two together: never a resolved state beside a zero MAC.
func pack(s State, m netdev.MAC) uint64 {
	return uint64(s)<<48 | uint64(m[0])<<40 | uint64(m[1])<<32 | uint64(m[2])<<24 |
		uint64(m[3])<<16 | uint64(m[4])<<8 | uint64(m[5])
}

func (e *entry) load() (State, netdev.MAC) {
	w := e.word.Load()
	return State(w >> 48), netdev.MAC{byte(w >> 40), byte(w >> 32), byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w)}
}

func (e *entry) state() State { return State(e.word.Load() >> 48) }

// set changes the state and MAC. Call with Cache.mu held. It overwrites a
// sender's STALE -> PROBE swap that came just before.
func (e *entry) set(s State, m netdev.MAC) { e.word.Store(pack(s, m)) }

// addrHash hashes addresses for the cache's map.
type addrHash struct{}

func (addrHash) Hash(a netip.Addr) uint64 {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]) ^ binary.BigEndian.Uint64(b[8:])
}
