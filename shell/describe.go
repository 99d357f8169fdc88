package shell

import (
	"fmt"

	"github.com/gotapip/gotapip/netdev"
)

// describe prints one trace event on one line: layer, direction, device,
// the header as tcpdump would print it, and the reason of a drop (or a
// note, as "(GSO 44×1448)" on a super-frame); or
// layer, *, and the text of a note (a state change, a retransmission). Data of
// a dropped packet may be malformed: every view is parsed before use.
func describe(e netdev.TraceEvent) string {
	if e.Dir == netdev.TraceNote { // a protocol's note: its text alone
		return fmt.Sprintf("%-4s *  %-6s %s", e.Layer, "-", e.Reason)
	}
	arrow := map[netdev.TraceDir]string{netdev.TraceIn: "<-", netdev.TraceOut: "->", netdev.TraceDrop: "x "}[e.Dir]
	dev := "-"
	if e.Dev != nil {
		dev = e.Dev.Name()
	}
	line := fmt.Sprintf("%-4s %s %-6s %s", e.Layer, arrow, dev, headerLine(e.Layer, e.Data))
	switch {
	case e.Dir == netdev.TraceDrop:
		line += ": dropped: " + e.Reason
	case e.Reason != "": // a note on the packet: a super-frame's pieces
		line += " (" + e.Reason + ")"
	}
	return line
}

// headerLine prints data as the header of layer l.
func headerLine(l netdev.Layer, data []byte) string {
	if v, ok := viewOf(l); ok && v.line != nil {
		if line, ok := v.line(data); ok {
			return line
		}
	}
	return fmt.Sprintf("malformed, %d bytes: % x", len(data), data[:min(len(data), 16)])
}
