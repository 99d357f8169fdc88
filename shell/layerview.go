package shell

import (
	"fmt"
	"sync"

	"github.com/fatih/color"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/internal/diagram"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/udp"
)

// layerView is how debug shows the packets of one layer: the colour of
// its lines, the header on one line (describe), and the header's fields
// for the RFC diagram (debug -x). A protocol's view is registered here
// (registerLayerView, from an init in the file that draws it), so debug,
// describe and the diagrams never list the protocols.
type layerView struct {
	color color.Attribute
	// line prints data as the layer's header; false: too short or
	// malformed for it.
	line func(data []byte) (string, bool)
	// fields lists the header's fields and notes about what the diagram
	// does not show; nil: the layer has no header (dev: hex dump alone).
	fields func(data []byte) ([]diagram.Field, []string, error)
}

var layerViews = struct {
	mu    sync.RWMutex
	views map[netdev.Layer]layerView
}{views: map[netdev.Layer]layerView{}}

// registerLayerView sets how debug shows layer l.
func registerLayerView(l netdev.Layer, v layerView) {
	layerViews.mu.Lock()
	defer layerViews.mu.Unlock()
	layerViews.views[l] = v
}

// viewOf returns layer l's view; a layer registered without one is drawn
// white, as bytes.
func viewOf(l netdev.Layer) (layerView, bool) {
	layerViews.mu.RLock()
	defer layerViews.mu.RUnlock()
	v, ok := layerViews.views[l]
	if !ok {
		v.color = color.FgWhite
	}
	return v, ok
}

// layerColor gives each layer's lines their colour; drops are red.
func layerColor(l netdev.Layer) color.Attribute {
	v, _ := viewOf(l)
	return v.color
}

// The views of the layers netdev builds in.
func init() {
	registerLayerView(netdev.LayerDev, layerView{color: color.FgWhite, line: frameLine})
	registerLayerView(netdev.LayerL2, layerView{color: color.FgBlue, line: ethernetLine, fields: ethernetFields})
	registerLayerView(netdev.LayerARP, layerView{color: color.FgYellow, line: arpLine, fields: arpFields})
	registerLayerView(netdev.LayerIP, layerView{color: color.FgGreen, line: ipLine, fields: ipFields})
	registerLayerView(netdev.LayerICMP, layerView{color: color.FgCyan, line: icmpLine, fields: icmpFields})
	registerLayerView(netdev.LayerUDP, layerView{color: color.FgMagenta, line: udpLine, fields: udpFields})
}

// frameLine is a whole frame at the driver (debug dev).
func frameLine(data []byte) (string, bool) { return fmt.Sprintf("frame, %d bytes", len(data)), true }

func ethernetLine(data []byte) (string, bool) {
	e, err := netdev.ParseEthernet(data)
	if err != nil {
		return "", false
	}
	return e.String(), true
}

func arpLine(data []byte) (string, bool) {
	h, err := arp.Parse(data)
	if err != nil {
		return "", false
	}
	return h.String(), true
}

func ipLine(data []byte) (string, bool) {
	h, err := ip.View(data)
	if err != nil {
		return "", false
	}
	return h.String(), true
}

func icmpLine(data []byte) (string, bool) {
	if len(data) < icmp.HeaderLen {
		return "", false
	}
	return icmp.Header(data).String(), true
}

func udpLine(data []byte) (string, bool) {
	if len(data) < udp.HeaderLen {
		return "", false
	}
	return udp.Header(data).String(), true
}
