package icmp

import (
	"sync/atomic"

	"github.com/gotapip/gotapip/internal/counters"
)

// Stats are ICMP's counters (ICMP-MIB, RFC 4293), with messages by type.
type Stats struct {
	InMsgs       atomic.Uint64
	InErrors     atomic.Uint64 // malformed: too short or bad checksum
	InCsumErrors atomic.Uint64
	OutMsgs      atomic.Uint64
	OutErrors    atomic.Uint64 // could not be sent

	OutErrorsSuppressed atomic.Uint64 // errors RFC 1122 forbids (about errors, broadcasts, fragments)
	OutRateLimited      atomic.Uint64 // errors held back by the rate limit

	InEchoBroadcastIgnored atomic.Uint64
	InEchoReplyNoPing      atomic.Uint64 // no ping with that identifier
	InEchoReplyQueueFull   atomic.Uint64 // the ping was not reading fast enough

	InType  [256]atomic.Uint64 // by message type
	OutType [256]atomic.Uint64
}

// Reset zeroes every counter.
func (s *Stats) Reset() {
	counters.Reset(s)
	for i := range s.InType {
		s.InType[i].Store(0)
		s.OutType[i].Store(0)
	}
}
