package stack

import (
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/tcp"
)

// traceTCP passes TCP's trace events to the stack's Tracer, on TCP's
// debug layer: segments in, out and dropped with their header and data;
// state changes and retransmissions as notes naming the connection.
// TCP calls it only while debug tcp is on (SetTraceGate).
func (s *Stack) traceTCP(e tcp.TraceEvent) {
	ev := netdev.TraceEvent{Layer: tcp.Layer, Data: e.Segment, Reason: e.Reason}
	switch e.Kind {
	case tcp.TraceIn:
		ev.Dir = netdev.TraceIn
	case tcp.TraceOut:
		ev.Dir = netdev.TraceOut
	case tcp.TraceDrop:
		ev.Dir = netdev.TraceDrop
	case tcp.TraceState:
		ev.Dir, ev.Reason = netdev.TraceNote, e.Local.String()+" > "+e.Remote.String()+": "+e.Reason
	case tcp.TraceRetransmit:
		ev.Dir, ev.Reason = netdev.TraceNote, e.Local.String()+" > "+e.Remote.String()+": retransmission ("+e.Reason+")"
	}
	s.Tracer.Emit(ev)
}
