// Package rcumap is a hash map for data read on every packet and written
// rarely (routes, neighbours): a lookup takes no lock and writes nothing
// shared, so readers on different CPUs never contend for a cache line, and
// writers, serialized by a mutex of the caller's, change the map in place,
// read-copy-update style.
//
// The map is a power-of-two array of buckets, each a singly linked chain of
// nodes. Every pointer a reader follows (the array, a bucket's head, a node's
// next) is an atomic.Pointer, and a node's key and value never change once it
// is linked in, so a reader sees every node whole. A writer links a new node
// in at the head of its chain after filling it in; unlinks one by pointing its
// predecessor past it, leaving the unlinked node's own next as it was, so a
// reader standing on it walks on to the rest of the chain; and replaces a
// value by linking a new node in the old one's place. The garbage collector
// frees a node once no reader holds it: that is the grace period RCU waits
// for. When there are more nodes than buckets the writer builds an array
// twice the size, of new nodes, and publishes it with one store (and a
// quarter the size when it is an eighth full); readers already in the old
// array finish there, and the old array is never written again.
//
// A lookup that overlaps a write sees the map as it was before that write or
// as it is after it. Two lookups may see two different states.
package rcumap

import (
	"iter"
	"math/rand/v2"
	"sync/atomic"
)

// Hasher hashes keys. It need not be seeded or well mixed: the map mixes the
// result with a random seed of its own. Equal keys must hash equal.
type Hasher[K any] interface {
	Hash(K) uint64
}

// Map maps K to V. The zero Map is empty and ready to use. Load may be called
// from any goroutine at any time; Store, Delete, Len and All must be called
// by one goroutine at a time (the caller holds a mutex), and All must not
// overlap a Store or Delete.
type Map[K comparable, V any, H Hasher[K]] struct {
	tab atomic.Pointer[table[K, V]]
	n   int // nodes; writers only
}

type table[K comparable, V any] struct {
	seed    uint64
	mask    uint64
	buckets []atomic.Pointer[node[K, V]]
}

type node[K comparable, V any] struct {
	key  K
	val  V
	next atomic.Pointer[node[K, V]]
}

const minBuckets = 8

// Load returns the value stored for k. It takes no lock and does not
// allocate.
func (m *Map[K, V, H]) Load(k K) (V, bool) {
	if t := m.tab.Load(); t != nil {
		for n := t.bucket(hash[K, H](k)).Load(); n != nil; n = n.next.Load() {
			if n.key == k {
				return n.val, true
			}
		}
	}
	var zero V
	return zero, false
}

// Store sets the value for k. Writers only.
func (m *Map[K, V, H]) Store(k K, v V) {
	t := m.tab.Load()
	if t == nil {
		t = newTable[K, V](minBuckets)
		m.tab.Store(t)
	}
	head := t.bucket(hash[K, H](k))
	for link := head; link.Load() != nil; link = &link.Load().next {
		if old := link.Load(); old.key == k {
			n := &node[K, V]{key: k, val: v}
			n.next.Store(old.next.Load())
			link.Store(n) // a reader on old walks on to the same rest
			return
		}
	}
	n := &node[K, V]{key: k, val: v}
	n.next.Store(head.Load())
	head.Store(n)
	m.n++
	if m.n > len(t.buckets) {
		m.resize(t, 2*len(t.buckets))
	}
}

// Delete removes k and returns the value it had. Writers only.
func (m *Map[K, V, H]) Delete(k K) (V, bool) {
	var zero V
	t := m.tab.Load()
	if t == nil {
		return zero, false
	}
	for link := t.bucket(hash[K, H](k)); link.Load() != nil; link = &link.Load().next {
		if n := link.Load(); n.key == k {
			link.Store(n.next.Load()) // n.next stays: a reader on n walks on
			m.n--
			if len(t.buckets) > minBuckets && m.n < len(t.buckets)/8 {
				m.resize(t, len(t.buckets)/4)
			}
			return n.val, true
		}
	}
	return zero, false
}

// Len is the number of keys. Writers only.
func (m *Map[K, V, H]) Len() int { return m.n }

// All yields every key and value, in no particular order. Writers only, and
// not across a Store or Delete: collect first, then change.
func (m *Map[K, V, H]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		t := m.tab.Load()
		if t == nil {
			return
		}
		for i := range t.buckets {
			for n := t.buckets[i].Load(); n != nil; n = n.next.Load() {
				if !yield(n.key, n.val) {
					return
				}
			}
		}
	}
}

// resize publishes a table of size buckets holding new copies of t's nodes.
func (m *Map[K, V, H]) resize(t *table[K, V], size int) {
	nt := newTable[K, V](max(size, minBuckets))
	for i := range t.buckets {
		for n := t.buckets[i].Load(); n != nil; n = n.next.Load() {
			link := nt.bucket(hash[K, H](n.key))
			c := &node[K, V]{key: n.key, val: n.val}
			c.next.Store(link.Load())
			link.Store(c)
		}
	}
	m.tab.Store(nt)
}

func newTable[K comparable, V any](size int) *table[K, V] {
	return &table[K, V]{seed: rand.Uint64(), mask: uint64(size - 1), buckets: make([]atomic.Pointer[node[K, V]], size)}
}

func hash[K any, H Hasher[K]](k K) uint64 {
	var h H
	return h.Hash(k)
}

// bucket is the head of the chain for keys whose Hasher gives h.
func (t *table[K, V]) bucket(h uint64) *atomic.Pointer[node[K, V]] {
	// murmur3's 64-bit finalizer over the seeded hash
	h ^= t.seed
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return &t.buckets[h&t.mask]
}
