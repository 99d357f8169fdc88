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

// SetTrace makes f see each segment in, out and dropped, each state
// change and each retransmission (debug tcp); nil stops it. f runs under
// the connection's lock: it must not call back into the connection.
// Safe while traffic flows.
func (p *Protocol) SetTrace(f func(TraceEvent)) {
	if f == nil {
		p.trace.Store(nil)
		return
	}
	p.trace.Store(&f)
}

// SetTraceGate makes TCP build trace events only while t traces Layer
// (debug tcp), so a hook installed for good costs one atomic load per
// segment while nobody watches. Call it while wiring, before traffic.
func (p *Protocol) SetTraceGate(t *netdev.Tracer) { p.gate = t }

// tracing reports whether anyone listens: callers build events only then.
func (p *Protocol) tracing() bool {
	return p.trace.Load() != nil && (p.gate == nil || p.gate.Enabled(Layer))
}

func (p *Protocol) emit(e TraceEvent) {
	if f := p.trace.Load(); f != nil {
		(*f)(e)
	}
}

func (c *Conn) traceEvent(kind TraceKind, reason string) {
	if c.p.tracing() {
		c.p.emit(TraceEvent{Kind: kind, Local: c.local, Remote: c.remote, Reason: reason})
	}
}
