package netdev

import (
	"sync/atomic"

	"github.com/gotapip/gotapip/internal/counters"
)

// Stats are a device's counters, as ip -s link prints them, plus the reason
// behind every receive drop. All fields are updated atomically.
type Stats struct {
	RxPackets, RxBytes, RxErrors, RxDropped atomic.Uint64
	TxPackets, TxBytes, TxErrors, TxDropped atomic.Uint64

	// Offloads (offload.go). A super-frame counts once in Rx/TxPackets,
	// as the kernel's side of a TAP counts it; TCP's MIB counts pieces.
	TxGSO     atomic.Uint64 // TCP super-frames written for the kernel to cut (TSO)
	RxGRO     atomic.Uint64 // TCP super-frames read whole (the kernel's GRO or TSO)
	RxBadVnet atomic.Uint64 // a virtio_net_hdr the stack cannot take (error)

	// Receive drops by reason; each also counts in RxErrors or RxDropped.
	RxRunt        atomic.Uint64 // shorter than an Ethernet header (error)
	RxOtherHost   atomic.Uint64 // unicast to another MAC (dropped)
	RxUnknownType atomic.Uint64 // EtherType nobody registered (dropped)
	RxDown        atomic.Uint64 // arrived while the device was down (dropped)
}

// Reset zeroes every counter.
func (s *Stats) Reset() { counters.Reset(s) }
