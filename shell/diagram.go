package shell

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gotapip/gotapip/arp"
	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/internal/diagram"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// debug -x draws each traced packet as the RFC diagram of its layer's
// header, values filled in, then dumps its bytes. The field lists are
// built here from the wire views' accessors, so the wire packages stay
// free of presentation; the widths restate their diagrams, and
// TestDiagramsMatchWireFiles holds the two together.

// hexLimit bounds the bytes dumped per packet per layer.
const hexLimit = 128

// diagramIndent puts the drawing under the arrow of the summary line.
const diagramIndent = "     "

// explain returns the summary line of e followed by its diagram and hex
// dump, as one multi-line string (one entry in the printer's queue).
func explain(e netdev.TraceEvent, summary string) string {
	var b strings.Builder
	b.WriteString(summary)
	for _, l := range diagramLines(e.Layer, e.Data) {
		b.WriteString("\n" + diagramIndent + l)
	}
	return b.String()
}

// diagramLines draws data as the header of layer l, with notes, then its
// first hexLimit bytes in hex. Data that cannot hold the header (a dropped
// packet may be anything) gets the hex dump alone, with a note saying why.
func diagramLines(l netdev.Layer, data []byte) []string {
	var lines []string
	if v, ok := viewOf(l); !ok || v.fields != nil {
		fields, notes, err := headerFields(l, data)
		if err != nil {
			lines = append(lines, "no diagram: "+err.Error())
		} else {
			lines = append(lines, diagram.Render(fields)...)
			lines = append(lines, notes...)
		}
	}
	return append(lines, diagram.HexDump(data, hexLimit)...)
}

// headerFields lists the fields of data read as the header of layer l, and
// notes about what the diagram does not show.
func headerFields(l netdev.Layer, data []byte) ([]diagram.Field, []string, error) {
	if v, ok := viewOf(l); ok && v.fields != nil {
		return v.fields(data)
	}
	return nil, nil, fmt.Errorf("layer %s has no header", l)
}

// ethernetFields: netdev/ether.go.
func ethernetFields(b []byte) ([]diagram.Field, []string, error) {
	e, err := netdev.ParseEthernet(b)
	if err != nil {
		return nil, nil, err
	}
	return []diagram.Field{
		{Name: "Destination", Bits: 48, Value: e.Dst().String()},
		{Name: "Source", Bits: 48, Value: e.Src().String()},
		{Name: "EtherType", Bits: 16, Value: netdev.EtherTypeName(e.EtherType())},
		{Name: "Payload", Bits: 16, Value: fmt.Sprintf("%d bytes ...", len(b)-netdev.EthernetHeaderLen)},
	}, nil, nil
}

// arpFields: arp/header.go. The packet is drawn as Ethernet/IPv4 whatever
// its type and length fields say; a note says when they say otherwise.
func arpFields(b []byte) ([]diagram.Field, []string, error) {
	if len(b) < arp.HeaderLen {
		return nil, nil, fmt.Errorf("arp: %d bytes, shorter than the %d-byte Ethernet/IPv4 packet", len(b), arp.HeaderLen)
	}
	h := arp.Header(b[:arp.HeaderLen])
	// The type and length fields have no accessors (Parse checks them).
	htype, ptype := binary.BigEndian.Uint16(b[0:]), binary.BigEndian.Uint16(b[2:])
	fields := []diagram.Field{
		{Name: "Hardware Type", Bits: 16, Value: named(uint64(htype), "%d", map[uint64]string{1: "Ethernet"})},
		{Name: "Protocol Type", Bits: 16, Value: named(uint64(ptype), "0x%04x", map[uint64]string{uint64(netdev.EtherTypeIPv4): "IPv4"})},
		{Name: "HW Len", Bits: 8, Value: fmt.Sprint(b[4])},
		{Name: "Proto Len", Bits: 8, Value: fmt.Sprint(b[5])},
		{Name: "Opcode", Bits: 16, Value: named(uint64(h.Op()), "%d", map[uint64]string{1: "request", 2: "reply"})},
		{Name: "Sender MAC", Bits: 48, Value: h.SenderMAC().String()},
		{Name: "Sender IP", Bits: 32, Value: h.SenderIP().String()},
		{Name: "Target MAC", Bits: 48, Value: h.TargetMAC().String()},
		{Name: "Target IP", Bits: 32, Value: h.TargetIP().String()},
	}
	var notes []string
	if _, err := arp.Parse(b); err != nil {
		notes = append(notes, "not a packet this stack accepts: "+err.Error())
	}
	if n := len(b) - arp.HeaderLen; n > 0 {
		notes = append(notes, fmt.Sprintf("then %d bytes of padding (Ethernet's 60-byte minimum frame)", n))
	}
	return fields, notes, nil
}

// ipFields: ip/header.go, with a row per 32-bit word of options.
func ipFields(b []byte) ([]diagram.Field, []string, error) {
	if len(b) < ip.HeaderLen {
		return nil, nil, fmt.Errorf("ip: %d bytes, shorter than the %d-byte header", len(b), ip.HeaderLen)
	}
	h := ip.Header(b[:ip.HeaderLen]) // the fixed part; ip.View checks the options
	frag := fmt.Sprint(h.FragOffset() / 8)
	if h.FragOffset() != 0 {
		frag += fmt.Sprintf(" (%d bytes)", h.FragOffset())
	}
	var flags []string
	if b[6]&0x80 != 0 { // the reserved bit has no accessor
		flags = append(flags, "R")
	}
	if h.DF() {
		flags = append(flags, "DF")
	}
	if h.MF() {
		flags = append(flags, "MF")
	}
	if len(flags) == 0 {
		flags = []string{"0"}
	}
	full, verr := ip.View(b)
	sum := fmt.Sprintf("0x%04x", h.Checksum())
	if verr == nil {
		sum += map[bool]string{true: " (ok)", false: " (bad)"}[ip.Checksum(full, 0) == 0]
	}
	fields := []diagram.Field{
		{Name: "Ver", Bits: 4, Value: fmt.Sprint(b[0] >> 4)}, // no accessor: ip.Parse checks it
		{Name: "IHL", Bits: 4, Value: fmt.Sprint(h.IHL() / 4)},
		{Name: "TOS", Bits: 8, Value: fmt.Sprintf("0x%02x", h.TOS())},
		{Name: "Total Length", Bits: 16, Value: fmt.Sprint(h.TotalLen())},
		{Name: "Identification", Bits: 16, Value: fmt.Sprint(h.ID())},
		{Name: "F", Bits: 3, Value: strings.Join(flags, ",")},
		{Name: "Fragment Offset", Bits: 13, Value: frag, Short: "Offset"},
		{Name: "TTL", Bits: 8, Value: fmt.Sprint(h.TTL())},
		{Name: "Proto", Bits: 8, Value: protoName(h.Protocol())},
		{Name: "Header Checksum", Bits: 16, Value: sum},
		{Name: "Source Address", Bits: 32, Value: h.Src().String()},
		{Name: "Destination Address", Bits: 32, Value: h.Dst().String()},
	}
	if verr != nil {
		return fields, []string{"options not drawn: " + verr.Error()}, nil
	}
	opts := full.Options()
	for i := 0; i < len(opts); i += 4 {
		fields = append(fields, diagram.Field{Name: "Options", Bits: 32, Value: fmt.Sprintf("% x", opts[i:i+4])})
	}
	return fields, nil, nil
}

func protoName(p uint8) string {
	switch p {
	case ip.ProtoICMP, ip.ProtoTCP, ip.ProtoUDP:
		return fmt.Sprintf("%d (%s)", p, ip.ProtocolName(p))
	}
	return fmt.Sprint(p)
}

// icmpFields: icmp/header.go. The second row depends on the type; an error
// quotes the header of the datagram that caused it.
func icmpFields(b []byte) ([]diagram.Field, []string, error) {
	if len(b) < icmp.HeaderLen {
		return nil, nil, fmt.Errorf("icmp: %d bytes, shorter than the %d-byte header", len(b), icmp.HeaderLen)
	}
	h := icmp.Header(b)
	sum := fmt.Sprintf("0x%04x", h.Checksum())
	sum += map[bool]string{true: " (ok)", false: " (bad)"}[ip.Checksum(b, 0) == 0]
	fields := []diagram.Field{
		{Name: "Type", Bits: 8, Value: fmt.Sprint(h.Type())},
		{Name: "Code", Bits: 8, Value: fmt.Sprint(h.Code())},
		{Name: "Checksum", Bits: 16, Value: sum},
	}
	rest := binary.BigEndian.Uint32(b[4:]) // the second word, when no accessor names it
	isError := false
	switch t := h.Type(); t {
	case icmp.TypeEchoReply, icmp.TypeEchoRequest, 13, 14, 15, 16: // echo, timestamp, information
		fields = append(fields, diagram.Field{Name: "Identifier", Bits: 16, Value: fmt.Sprint(h.ID())},
			diagram.Field{Name: "Sequence Number", Bits: 16, Value: fmt.Sprint(h.Seq())})
	case icmp.TypeDestUnreach:
		isError = true
		if h.Code() == icmp.CodeFragNeeded {
			fields = append(fields, diagram.Field{Name: "unused", Bits: 16, Value: fmt.Sprint(rest >> 16)},
				diagram.Field{Name: "Next-Hop MTU", Bits: 16, Value: fmt.Sprint(h.NextHopMTU())})
		} else {
			fields = append(fields, diagram.Field{Name: "unused", Bits: 32, Value: fmt.Sprint(rest)})
		}
	case icmp.TypeTimeExceeded, 4: // and source quench
		isError = true
		fields = append(fields, diagram.Field{Name: "unused", Bits: 32, Value: fmt.Sprint(rest)})
	case 5: // redirect
		isError = true
		fields = append(fields, diagram.Field{Name: "Gateway Internet Address", Bits: 32, Value: netip.AddrFrom4([4]byte(b[4:8])).String()})
	case icmp.TypeParamProblem:
		isError = true
		fields = append(fields, diagram.Field{Name: "Pointer", Bits: 8, Value: fmt.Sprint(b[4])},
			diagram.Field{Name: "unused", Bits: 24, Value: fmt.Sprint(rest & 0xffffff)})
	default:
		fields = append(fields, diagram.Field{Name: "Rest of Header", Bits: 32, Value: fmt.Sprintf("0x%08x", rest)})
	}
	data := h.Payload()
	if len(data) == 0 {
		return fields, nil, nil
	}
	if !isError {
		return append(fields, diagram.Field{Name: "Data", Bits: 32, Value: fmt.Sprintf("%d bytes ...", len(data))}), nil, nil
	}
	q, err := ip.View(data)
	if err != nil {
		return append(fields, diagram.Field{Name: "Quoted", Bits: 32, Value: fmt.Sprintf("%d bytes, no IPv4 header", len(data))}), nil, nil
	}
	fields = append(fields, diagram.Field{Name: "Quoted", Bits: 32, Value: q.String()})
	return fields, []string{fmt.Sprintf("quoted: the %d-byte IP header of the datagram in error, and %d bytes of its data",
		len(q), len(data)-len(q))}, nil
}

// udpFields: RFC 768, read from the bytes (the udp package's view is not
// needed to draw 8 bytes):
//
//	 0      7 8     15 16    23 24    31
//	+--------+--------+--------+--------+
//	|     Source      |   Destination   |
//	|      Port       |      Port       |
//	+--------+--------+--------+--------+
//	|                 |                 |
//	|     Length      |    Checksum     |
//	+--------+--------+--------+--------+
func udpFields(b []byte) ([]diagram.Field, []string, error) {
	const udpHeaderLen = 8
	if len(b) < udpHeaderLen {
		return nil, nil, fmt.Errorf("udp: %d bytes, shorter than the %d-byte header", len(b), udpHeaderLen)
	}
	length, sum := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:])
	sumText := fmt.Sprintf("0x%04x", sum)
	if sum == 0 {
		sumText += " (none)" // RFC 768: zero means the sender computed none
	}
	fields := []diagram.Field{
		{Name: "Source Port", Bits: 16, Value: fmt.Sprint(binary.BigEndian.Uint16(b[0:]))},
		{Name: "Destination Port", Bits: 16, Value: fmt.Sprint(binary.BigEndian.Uint16(b[2:]))},
		{Name: "Length", Bits: 16, Value: fmt.Sprint(length)},
		{Name: "Checksum", Bits: 16, Value: sumText},
	}
	if n := len(b) - udpHeaderLen; n > 0 {
		fields = append(fields, diagram.Field{Name: "Data", Bits: 32, Value: fmt.Sprintf("%d bytes ...", n)})
	}
	var notes []string
	if int(length) != len(b) {
		notes = append(notes, fmt.Sprintf("Length says %d bytes; %d are here", length, len(b)))
	}
	return fields, notes, nil
}

// named prints v with format, and its name if it has one: "1 (Ethernet)".
func named(v uint64, format string, names map[uint64]string) string {
	s := fmt.Sprintf(format, v)
	if n, ok := names[v]; ok {
		s += " (" + n + ")"
	}
	return s
}
