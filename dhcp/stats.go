package dhcp

import (
	"sync/atomic"

	"github.com/gotapip/gotapip/internal/counters"
)

// Stats are the DHCP client's counters (stat prints them as Dhcp...).
// Every message from a server that is not used is counted under one
// reason.
type Stats struct {
	InMessages     atomic.Uint64 // received on port 68
	InMalformed    atomic.Uint64 // too short, no cookie, bad options, no type
	InNotReply     atomic.Uint64 // op is not BOOTREPLY
	InOtherClient  atomic.Uint64 // for a hardware address no client of ours has
	InWrongXID     atomic.Uint64 // not the transaction the client is in
	InUnexpected   atomic.Uint64 // a type, server or address the state does not take
	InOffers       atomic.Uint64
	InAcks         atomic.Uint64
	InNaks         atomic.Uint64
	InQueueFull    atomic.Uint64 // the client had too many messages waiting
	OutDiscovers   atomic.Uint64
	OutRequests    atomic.Uint64
	OutDeclines    atomic.Uint64
	OutReleases    atomic.Uint64
	OutErrors      atomic.Uint64 // a send failed (no route, device gone)
	ProbeConflicts atomic.Uint64 // the ARP probe found the address in use
}

// Reset zeroes every counter.
func (s *Stats) Reset() { counters.Reset(s) }
