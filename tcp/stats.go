package tcp

import (
	"sync/atomic"

	"github.com/gotapip/gotapip/internal/counters"
)

// Stats are TCP's counters, named as the TCP-MIB (RFC 4022) and Linux's
// /proc/net/snmp and netstat (TcpExt) name them. CurrEstab is a gauge.
type Stats struct {
	ActiveOpens  atomic.Uint64 // CLOSED -> SYN-SENT
	PassiveOpens atomic.Uint64 // LISTEN -> SYN-RECEIVED
	AttemptFails atomic.Uint64 // SYN-SENT or SYN-RECEIVED -> CLOSED, SYN-RECEIVED -> LISTEN
	EstabResets  atomic.Uint64 // ESTABLISHED or CLOSE-WAIT -> CLOSED by RST
	CurrEstab    atomic.Uint64 // now in ESTABLISHED or CLOSE-WAIT
	InSegs       atomic.Uint64 // received, errors included
	OutSegs      atomic.Uint64 // sent, retransmissions excluded
	RetransSegs  atomic.Uint64 // retransmitted
	InErrs       atomic.Uint64 // malformed or bad checksum
	OutRsts      atomic.Uint64 // RSTs sent
	InCsumErrors atomic.Uint64 // of InErrs: bad checksum

	SyncookiesSent   atomic.Uint64
	SyncookiesRecv   atomic.Uint64 // valid cookies that made a connection
	SyncookiesFailed atomic.Uint64
	ListenOverflows  atomic.Uint64 // handshakes that found the accept queue full
	ListenDrops      atomic.Uint64 // SYNs and ACKs a listener dropped
	ChallengeACKs    atomic.Uint64 // RFC 5961 challenge ACKs sent (TCPChallengeACK)
	PAWSEstab        atomic.Uint64 // segments dropped by PAWS (PAWSEstabRejected)
	Timeouts         atomic.Uint64 // retransmission timer expiries (TCPTimeouts)
	FastRetrans      atomic.Uint64 // fast retransmits (TCPFastRetrans)
	OFOQueue         atomic.Uint64 // segments kept out of order (TCPOFOQueue)
	OFODrop          atomic.Uint64 // out-of-order segments with no room (TCPOFODrop)
	AbortOnTimeout   atomic.Uint64 // connections given up after retries (TCPAbortOnTimeout)
	AbortOnClose     atomic.Uint64 // closed with unread data: RST sent (TCPAbortOnClose)
	RcvPruned        atomic.Uint64 // data beyond the receive buffer dropped
	NoConnection     atomic.Uint64 // segments for no connection or listener (answered with RST)
	OutOfWindow      atomic.Uint64 // segments outside the receive window
	BadACK           atomic.Uint64 // ACKs of data never sent, or too old (RFC 5961 5.2)
	ICMPIgnored      atomic.Uint64 // ICMP errors for no connection, or failing RFC 5927 checks
	NoBuffers        atomic.Uint64 // connections refused by the per-stack bounds
}

// Reset zeroes every counter (CurrEstab too).
func (s *Stats) Reset() { counters.Reset(s) }
