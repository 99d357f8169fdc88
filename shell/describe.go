package shell

import (
	"fmt"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/udp"
)

// describe prints one trace event on one line: layer, direction, device,
// the header as tcpdump would print it, and the reason of a drop. Data of
// a dropped packet may be malformed: every view is parsed before use.
func describe(e netdev.TraceEvent) string {
	arrow := map[netdev.TraceDir]string{netdev.TraceIn: "<-", netdev.TraceOut: "->", netdev.TraceDrop: "x "}[e.Dir]
	dev := "-"
	if e.Dev != nil {
		dev = e.Dev.Name()
	}
	line := fmt.Sprintf("%-4s %s %-6s %s", e.Layer, arrow, dev, headerLine(e.Layer, e.Data))
	if e.Dir == netdev.TraceDrop {
		line += ": dropped: " + e.Reason
	}
	return line
}

// headerLine prints data as the header of layer l.
func headerLine(l netdev.Layer, data []byte) string {
	switch l {
	case netdev.LayerDev:
		return fmt.Sprintf("frame, %d bytes", len(data))
	case netdev.LayerL2:
		if e, err := netdev.ParseEthernet(data); err == nil {
			return e.String()
		}
	case netdev.LayerARP:
		if h, err := arp.Parse(data); err == nil {
			return h.String()
		}
	case netdev.LayerIP:
		if h, err := ip.View(data); err == nil {
			return h.String()
		}
	case netdev.LayerICMP:
		if len(data) >= icmp.HeaderLen {
			return icmp.Header(data).String()
		}
	case netdev.LayerUDP:
		if len(data) >= udp.HeaderLen {
			return udp.Header(data).String()
		}
	}
	return fmt.Sprintf("malformed, %d bytes: % x", len(data), data[:min(len(data), 16)])
}
