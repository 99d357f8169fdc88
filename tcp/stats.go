package tcp

import (
	"sync/atomic"

	"github.com/gotapip/gotapip/internal/counters"
)

// Stats are TCP's counters, named as the TCP-MIB (RFC 4022) and Linux's
// /proc/net/snmp and netstat (TcpExt) name them; the tags give the names
// nstat prints for Linux's extras (TcpExtTCPChallengeACK), and for the
// five drop reasons Linux has no counter for (NoConnection to
// NoBuffers), names of ours in the same group. CurrEstab is a gauge.
type Stats struct {
	ActiveOpens  atomic.Uint64 // CLOSED -> SYN-SENT
	PassiveOpens atomic.Uint64 // LISTEN -> SYN-RECEIVED
	AttemptFails atomic.Uint64 // SYN-SENT or SYN-RECEIVED -> CLOSED, SYN-RECEIVED -> LISTEN
	EstabResets  atomic.Uint64 // ESTABLISHED or CLOSE-WAIT -> CLOSED by RST
	CurrEstab    atomic.Uint64 `nstat:",gauge"` // now in ESTABLISHED or CLOSE-WAIT
	InSegs       atomic.Uint64 // received, errors included
	OutSegs      atomic.Uint64 // sent, retransmissions excluded
	RetransSegs  atomic.Uint64 // retransmitted
	InErrs       atomic.Uint64 // malformed or bad checksum
	OutRsts      atomic.Uint64 // RSTs sent
	InCsumErrors atomic.Uint64 // of InErrs: bad checksum

	SyncookiesSent    atomic.Uint64 `nstat:"TcpExtSyncookiesSent"`
	SyncookiesRecv    atomic.Uint64 `nstat:"TcpExtSyncookiesRecv"` // valid cookies that made a connection
	SyncookiesFailed  atomic.Uint64 `nstat:"TcpExtSyncookiesFailed"`
	ListenOverflows   atomic.Uint64 `nstat:"TcpExtListenOverflows"`      // handshakes that found the accept queue full
	ListenDrops       atomic.Uint64 `nstat:"TcpExtListenDrops"`          // SYNs and ACKs a listener dropped
	ChallengeACKs     atomic.Uint64 `nstat:"TcpExtTCPChallengeACK"`      // RFC 5961 challenge ACKs sent (TCPChallengeACK)
	PAWSEstab         atomic.Uint64 `nstat:"TcpExtPAWSEstab"`            // segments dropped by PAWS (PAWSEstabRejected)
	Timeouts          atomic.Uint64 `nstat:"TcpExtTCPTimeouts"`          // retransmission timer expiries (TCPTimeouts)
	FastRetrans       atomic.Uint64 `nstat:"TcpExtTCPFastRetrans"`       // retransmissions in fast recovery (TCPFastRetrans)
	RenoRecovery      atomic.Uint64 `nstat:"TcpExtTCPRenoRecovery"`      // NewReno recoveries begun, without SACK (TCPRenoRecovery)
	SackRecovery      atomic.Uint64 `nstat:"TcpExtTCPSackRecovery"`      // RFC 6675 recoveries begun (TCPSackRecovery)
	LostRetransmit    atomic.Uint64 `nstat:"TcpExtTCPLostRetransmit"`    // retransmissions found lost again (by SACK, or RACK) and sent again
	LossProbes        atomic.Uint64 `nstat:"TcpExtTCPLossProbes"`        // tail loss probes sent (RFC 8985 TLP)
	LossProbeRecovery atomic.Uint64 `nstat:"TcpExtTCPLossProbeRecovery"` // losses a probe repaired (cwnd reduced once)
	SACKReorder       atomic.Uint64 `nstat:"TcpExtTCPSACKReorder"`       // ACKs showing a segment delivered below one delivered before
	DSACKRecv         atomic.Uint64 `nstat:"TcpExtTCPDSACKRecv"`         // D-SACK blocks received (RFC 2883)
	DSACKOldSent      atomic.Uint64 `nstat:"TcpExtTCPDSACKOldSent"`      // D-SACKs asked for data below RCV.NXT
	DSACKOfoSent      atomic.Uint64 `nstat:"TcpExtTCPDSACKOfoSent"`      // D-SACKs asked for out-of-order data held already
	SendRecMerged     atomic.Uint64 `nstat:"TcpExtTCPSendRecMerged"`     // segments merged into the last send record: the ring was full
	OFOQueue          atomic.Uint64 `nstat:"TcpExtTCPOFOQueue"`          // segments kept out of order (TCPOFOQueue)
	OFODrop           atomic.Uint64 `nstat:"TcpExtTCPOFODrop"`           // out-of-order segments with no room (TCPOFODrop)
	AbortOnTimeout    atomic.Uint64 `nstat:"TcpExtTCPAbortOnTimeout"`    // connections given up after retries (TCPAbortOnTimeout)
	AbortOnClose      atomic.Uint64 `nstat:"TcpExtTCPAbortOnClose"`      // closed with unread data: RST sent (TCPAbortOnClose)
	RcvPruned         atomic.Uint64 `nstat:"TcpExtRcvPruned"`            // data beyond the receive buffer dropped
	NoConnection      atomic.Uint64 `nstat:"TcpExtNoConnection"`         // segments for no connection or listener (answered with RST)
	OutOfWindow       atomic.Uint64 `nstat:"TcpExtOutOfWindow"`          // segments outside the receive window
	BadACK            atomic.Uint64 `nstat:"TcpExtBadACK"`               // ACKs of data never sent, or too old (RFC 5961 5.2)
	ICMPIgnored       atomic.Uint64 `nstat:"TcpExtICMPIgnored"`          // ICMP errors for no connection, or failing RFC 5927 checks
	NoBuffers         atomic.Uint64 `nstat:"TcpExtNoBuffers"`            // connections refused by the per-stack bounds
	SpuriousRTOs      atomic.Uint64 `nstat:"TcpExtTCPSpuriousRTOs"`      // RTOs undone: the ACK echoed the original (RFC 3522)
	DSACKUndo         atomic.Uint64 `nstat:"TcpExtTCPDSACKUndo"`         // fast recoveries undone: D-SACKs reported every retransmission (RFC 3708)
	FullUndo          atomic.Uint64 `nstat:"TcpExtTCPFullUndo"`          // fast recoveries undone at their end: the ACK echoed an original
	PartialUndo       atomic.Uint64 `nstat:"TcpExtTCPPartialUndo"`       // fast recoveries undone early: a partial ACK echoed an original
}

// Reset zeroes every counter (not the gauge CurrEstab).
func (s *Stats) Reset() { counters.Reset(s) }
