package udp

import (
	"sync/atomic"

	"github.com/gotapip/gotapip/internal/counters"
)

// Stats are UDP's counters, named as the UDP-MIB (RFC 4113) and Linux's
// /proc/net/snmp name them. As in Linux, InErrors includes InCsumErrors and
// RcvbufErrors.
type Stats struct {
	InDatagrams  atomic.Uint64 // delivered to a socket's queue
	NoPorts      atomic.Uint64 // unicast to a port with no socket
	InErrors     atomic.Uint64 // not delivered for any other reason
	OutDatagrams atomic.Uint64 // sent
	RcvbufErrors atomic.Uint64 // of InErrors: the socket's queue was full
	InCsumErrors atomic.Uint64 // of InErrors: bad checksum
	IgnoredMulti atomic.Uint64 // broadcast or multicast with no socket (Linux's name)
}

// Reset zeroes every counter.
func (s *Stats) Reset() { counters.Reset(s) }
