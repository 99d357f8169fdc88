package ip

import (
	"sync/atomic"

	"github.com/gotapip/gotapip/internal/counters"
)

// Stats are the IP layer's counters, named as the IP-MIB (RFC 4293) and
// Linux's /proc/net/snmp name them.
type Stats struct {
	InReceives      atomic.Uint64
	InHdrErrors     atomic.Uint64 // bad version, IHL, length or checksum
	InCsumErrors    atomic.Uint64 // of InHdrErrors: bad checksum
	InTruncatedPkts atomic.Uint64 // of InHdrErrors: shorter than its header says
	InAddrErrors    atomic.Uint64 // not for us and not forwarded, or a martian source
	InUnknownProtos atomic.Uint64
	InDiscards      atomic.Uint64 // dropped for lack of resources
	InDelivers      atomic.Uint64
	OutRequests     atomic.Uint64
	OutNoRoutes     atomic.Uint64
	OutDiscards     atomic.Uint64
	ForwDatagrams   atomic.Uint64
}

// Reset zeroes every counter.
func (s *Stats) Reset() { counters.Reset(s) }
