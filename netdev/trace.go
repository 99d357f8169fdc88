package netdev

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Layer names where a trace event happens: the selectors of the shell's
// debug command (tapip: debug dev|l2|arp|ip|icmp|udp). The layers below
// are built in; a protocol package registers its own (RegisterLayer), so
// adding one does not touch this file.
type Layer uint8

const (
	LayerDev  Layer = iota // whole frames at the driver
	LayerL2                // Ethernet
	LayerARP               //
	LayerIP                //
	LayerICMP              //
	LayerUDP               //
)

// MaxLayers bounds the layers, built in and registered: a Tracer's mask
// has one bit for each.
const MaxLayers = 32

// layerRegistry holds the layers' names, in registration order (the
// built-in ones first). Registration happens in package initialisation;
// the lock is for a late one racing a lookup.
var layerRegistry = struct {
	mu    sync.RWMutex
	names []string
}{names: []string{"dev", "l2", "arp", "ip", "icmp", "udp"}}

// RegisterLayer adds a debug layer called name (a protocol's package does
// it in a package-level var: var Layer = netdev.RegisterLayer("tcp")) and
// returns it. A name registered twice, or a layer past MaxLayers, is a
// programming error: it panics, at start-up.
func RegisterLayer(name string) Layer {
	r := &layerRegistry
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.names, name) || len(r.names) >= MaxLayers || name == "" || name == "all" {
		panic(fmt.Sprintf("netdev: RegisterLayer(%q): taken, reserved, or more than %d layers", name, MaxLayers))
	}
	r.names = append(r.names, name)
	return Layer(len(r.names) - 1)
}

// Layers lists every layer, built-in first, then in registration order.
func Layers() []Layer {
	r := &layerRegistry
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Layer, len(r.names))
	for i := range out {
		out[i] = Layer(i)
	}
	return out
}

// AllLayers is the mask of every layer (debug all).
func AllLayers() uint32 {
	r := &layerRegistry
	r.mu.RLock()
	defer r.mu.RUnlock()
	return uint32(1)<<len(r.names) - 1
}

func (l Layer) String() string {
	r := &layerRegistry
	r.mu.RLock()
	defer r.mu.RUnlock()
	if int(l) < len(r.names) {
		return r.names[l]
	}
	return "layer?"
}

// ParseLayer returns the layer a debug selector names.
func ParseLayer(s string) (Layer, bool) {
	r := &layerRegistry
	r.mu.RLock()
	defer r.mu.RUnlock()
	i := slices.Index(r.names, s)
	return Layer(i), i >= 0
}

// TraceDir is what happened to the packet at the layer.
type TraceDir uint8

const (
	TraceIn   TraceDir = iota // received and accepted by the layer
	TraceOut                  // sent by the layer
	TraceDrop                 // dropped, with a reason
	TraceNote                 // not a packet: what a protocol did (a state change, a retransmission), in Reason
)

// TraceEvent is one packet crossing (or dropped at) one layer. Data starts
// at the layer's header and is valid only during the call.
type TraceEvent struct {
	Layer  Layer
	Dir    TraceDir
	Dev    *NetDev
	Data   []byte
	Reason string // why it was dropped; for a packet in or out, a note ("GSO 44×1448") or ""
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
