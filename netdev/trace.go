package netdev

import "sync/atomic"

// Layer names where a trace event happens: the selectors of the shell's
// debug command (tapip: debug dev|l2|arp|ip|icmp|udp).
type Layer uint8

const (
	LayerDev  Layer = iota // whole frames at the driver
	LayerL2                // Ethernet
	LayerARP               //
	LayerIP                //
	LayerICMP              //
	LayerUDP               //
	NumLayers
)

var layerNames = [NumLayers]string{"dev", "l2", "arp", "ip", "icmp", "udp"}

func (l Layer) String() string {
	if l < NumLayers {
		return layerNames[l]
	}
	return "layer?"
}

// ParseLayer returns the layer a debug selector names.
func ParseLayer(s string) (Layer, bool) {
	for i, n := range layerNames {
		if n == s {
			return Layer(i), true
		}
	}
	return 0, false
}

// TraceDir is what happened to the packet at the layer.
type TraceDir uint8

const (
	TraceIn   TraceDir = iota // received and accepted by the layer
	TraceOut                  // sent by the layer
	TraceDrop                 // dropped, with a reason
)

// TraceEvent is one packet crossing (or dropped at) one layer. Data starts
// at the layer's header and is valid only during the call.
type TraceEvent struct {
	Layer  Layer
	Dir    TraceDir
	Dev    *NetDev
	Data   []byte
	Reason string // why it was dropped
}

// Tracer hands trace events to a sink for the layers switched on. It costs
// one atomic load per packet per layer when nobody is watching. All the
// layers of a stack share one Tracer; a nil *Tracer traces nothing.
type Tracer struct {
	mask atomic.Uint32
	sink atomic.Pointer[func(TraceEvent)]
}

// Enabled reports whether events of layer l are wanted.
func (t *Tracer) Enabled(l Layer) bool { return t != nil && t.mask.Load()&(1<<l) != 0 }

// Set switches tracing to the layers in mask (bit i for Layer i), handing
// events to sink; a zero mask or nil sink switches it off.
func (t *Tracer) Set(mask uint32, sink func(TraceEvent)) {
	if sink == nil || mask == 0 {
		t.mask.Store(0)
		t.sink.Store(nil)
		return
	}
	t.sink.Store(&sink)
	t.mask.Store(mask)
}

// Mask returns the layers switched on.
func (t *Tracer) Mask() uint32 { return t.mask.Load() }

// Emit hands e to the sink if its layer is on.
func (t *Tracer) Emit(e TraceEvent) {
	if !t.Enabled(e.Layer) {
		return
	}
	if s := t.sink.Load(); s != nil {
		(*s)(e)
	}
}

// Trace is shorthand for Emit of an accepted or sent packet.
func (t *Tracer) Trace(l Layer, dir TraceDir, dev *NetDev, data []byte) {
	if t.Enabled(l) {
		t.Emit(TraceEvent{Layer: l, Dir: dir, Dev: dev, Data: data})
	}
}

// Drop is shorthand for Emit of a dropped packet.
func (t *Tracer) Drop(l Layer, dev *NetDev, data []byte, reason string) {
	if t.Enabled(l) {
		t.Emit(TraceEvent{Layer: l, Dir: TraceDrop, Dev: dev, Data: data, Reason: reason})
	}
}

// Counter is what a drop counts under: an atomic.Uint64 of a Stats struct.
type Counter interface{ Add(uint64) uint64 }

// DropPacket is the receive path's exit for a packet a layer will not
// take: it counts it under counter (unless nil: already counted), tells
// the tracer why at layer l (p's data from the layer's header) and frees
// p. It does not allocate when l is not traced.
func (t *Tracer) DropPacket(l Layer, p *Packet, counter Counter, reason string) {
	if counter != nil {
		counter.Add(1)
	}
	t.Drop(l, p.Dev, p.Data(), reason)
	p.Free()
}
