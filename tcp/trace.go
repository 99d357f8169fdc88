package tcp

import (
	"net/netip"

	"github.com/gotapip/gotapip/netdev"
)

// Layer is TCP's debug layer (debug tcp): the stack hands TraceEvents to
// the netdev Tracer under it.
var Layer = netdev.RegisterLayer("tcp")

// TraceKind is what a trace event reports.
type TraceKind uint8

const (
	TraceIn         TraceKind = iota // a segment accepted for processing
	TraceOut                         // a segment sent
	TraceDrop                        // a segment dropped (Reason says why)
	TraceState                       // a connection changed state (Reason: "SYN-SENT -> ESTABLISHED")
	TraceRetransmit                  // a retransmission (Reason: "RTO 2s", "3 duplicate ACKs", ...)
)

// TraceEvent is one thing TCP did. Segment is the TCP header and data,
// valid only during the call.
type TraceEvent struct {
	Kind     TraceKind
	Src, Dst netip.Addr
	Segment  Header
	Local    netip.AddrPort
	Remote   netip.AddrPort
	Reason   string
}

func (p *Protocol) trace(e TraceEvent) {
	if p.Trace != nil {
		p.Trace(e)
	}
}

func (c *Conn) traceEvent(kind TraceKind, reason string) {
	if c.p.Trace != nil {
		c.p.Trace(TraceEvent{Kind: kind, Local: c.local, Remote: c.remote, Reason: reason})
	}
}
