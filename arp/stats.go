package arp

import (
	"sync/atomic"

	"github.com/gotapip/gotapip/internal/counters"
)

// Stats are ARP's counters.
type Stats struct {
	InRequests  atomic.Uint64
	InReplies   atomic.Uint64
	InErrors    atomic.Uint64 // malformed or unsupported packets
	InBadSender atomic.Uint64 // sender MAC broadcast/multicast or ours: ignored
	InConflicts atomic.Uint64 // sender address is ours (RFC 5227 conflict): ignored

	// InBadSenderIP: the sender IP is not a host of the device's subnet
	// (outside it, or its network or broadcast address): not learned, not
	// answered.
	InBadSenderIP atomic.Uint64

	OutRequests atomic.Uint64
	OutReplies  atomic.Uint64
	Failed      atomic.Uint64 // neighbours given up: unresolved after Retries requests, or silent after UnicastProbes probes
	QueueDrops  atomic.Uint64 // packets dropped from a full pending queue
	TableFull   atomic.Uint64 // new entries refused
	Evictions   atomic.Uint64
}

// Reset zeroes every counter.
func (s *Stats) Reset() { counters.Reset(s) }
