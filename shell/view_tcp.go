package shell

import (
	"fmt"
	"strings"
	"sync"

	"github.com/fatih/color"

	"github.com/gotapip/gotapip/internal/diagram"
	"github.com/gotapip/gotapip/tcp"
)

// debug tcp: each segment on one line as tcpdump prints it, sequence
// numbers relative to each side's initial one; debug -x: the RFC 9293
// header filled in (absolute numbers), its options and data noted.
func init() {
	registerLayerView(tcp.Layer, layerView{color: color.FgHiBlue, line: tcpLine, fields: tcpFields})
}

// tcpISNs remembers the initial sequence number of each direction of a
// connection, by ports, from its SYN, so that the one-line view prints
// sequence and acknowledgment numbers relative to it, as tcpdump does (a
// direction whose SYN was not seen is printed absolute). It is bounded:
// when full it starts afresh.
var tcpISNs = struct {
	sync.Mutex
	isn map[[2]uint16]uint32
}{isn: map[[2]uint16]uint32{}}

const maxTCPISNs = 1024

// relative returns seq relative to the ISN of the direction from port to
// port, and whether one was known.
func relative(from, to uint16, seq uint32) (uint32, bool) {
	tcpISNs.Lock()
	defer tcpISNs.Unlock()
	isn, ok := tcpISNs.isn[[2]uint16{from, to}]
	return seq - isn, ok
}

func learnISN(from, to uint16, isn uint32) {
	tcpISNs.Lock()
	defer tcpISNs.Unlock()
	if len(tcpISNs.isn) >= maxTCPISNs {
		clear(tcpISNs.isn)
	}
	tcpISNs.isn[[2]uint16{from, to}] = isn
}

// tcpLine prints a segment as tcpdump's TCP line: "TCP 41234 > 7: Flags
// [P.], seq 1:6, ack 1, win 502, options [TS val 9 ecr 7], length 5".
func tcpLine(data []byte) (string, bool) {
	h, err := tcp.Parse(data)
	if err != nil {
		return "", false
	}
	var o tcp.Options
	if err := o.Parse(h.RawOptions()); err != nil {
		return "", false
	}
	src, dst, flags := h.SrcPort(), h.DstPort(), h.Flags()
	if flags&tcp.FlagSYN != 0 {
		learnISN(src, dst, uint32(h.Seq()))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "TCP %d > %d: Flags [%s], seq ", src, dst, flags)
	seq, _ := relative(src, dst, uint32(h.Seq())) // unknown: relative to 0
	n := len(h.Payload())
	if n > 0 {
		fmt.Fprintf(&b, "%d:%d", seq, seq+uint32(n))
	} else {
		fmt.Fprint(&b, seq)
	}
	if flags&tcp.FlagACK != 0 {
		ack, _ := relative(dst, src, uint32(h.Ack()))
		fmt.Fprintf(&b, ", ack %d", ack)
	}
	fmt.Fprintf(&b, ", win %d", h.Window())
	if opts := tcpOptionsLine(&o, dst, src); opts != "" {
		fmt.Fprintf(&b, ", options [%s]", opts)
	}
	fmt.Fprintf(&b, ", length %d", n)
	return b.String(), true
}

// tcpOptionsLine prints the options as tcpdump does; SACK blocks name the
// peer's data, so they are relative to its ISN (the direction to > from).
func tcpOptionsLine(o *tcp.Options, to, from uint16) string {
	blocks := o.SACK[:o.NumSACK]
	plain := *o
	plain.NumSACK = 0
	s := plain.String()
	if len(blocks) == 0 {
		return s
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "sack %d ", len(blocks))
	for _, blk := range blocks {
		l, _ := relative(to, from, uint32(blk.Left))
		r, _ := relative(to, from, uint32(blk.Right))
		fmt.Fprintf(&sb, "{%d:%d}", l, r)
	}
	if s == "" {
		return sb.String()
	}
	return s + "," + sb.String()
}

// tcpFields: tcp/header.go (RFC 9293 3.1), with a row per 32-bit word of
// options; notes decode the options and count the data.
func tcpFields(b []byte) ([]diagram.Field, []string, error) {
	if len(b) < tcp.HeaderLen {
		return nil, nil, fmt.Errorf("tcp: %d bytes, shorter than the %d-byte header", len(b), tcp.HeaderLen)
	}
	h := tcp.Header(b[:tcp.HeaderLen]) // the fixed part; Parse checks the offset
	bit := func(f tcp.Flags) string { return map[bool]string{false: "0", true: "1"}[h.Flags()&f != 0] }
	fields := []diagram.Field{
		{Name: "Source Port", Bits: 16, Value: fmt.Sprint(h.SrcPort())},
		{Name: "Destination Port", Bits: 16, Value: fmt.Sprint(h.DstPort())},
		{Name: "Sequence Number", Bits: 32, Value: fmt.Sprint(uint32(h.Seq()))},
		{Name: "Acknowledgment Number", Bits: 32, Value: fmt.Sprint(uint32(h.Ack()))},
		{Name: "Data Offset", Bits: 4, Value: fmt.Sprint(b[12] >> 4), Short: "Off"},
		{Name: "Rsrvd", Bits: 4, Value: fmt.Sprint(b[12] & 0x0f)},
	}
	for _, f := range []tcp.Flags{tcp.FlagCWR, tcp.FlagECE, tcp.FlagURG, tcp.FlagACK, tcp.FlagPSH, tcp.FlagRST, tcp.FlagSYN, tcp.FlagFIN} {
		fields = append(fields, diagram.Field{Bits: 1, Value: bit(f)})
	}
	fields = append(fields,
		diagram.Field{Name: "Window", Bits: 16, Value: fmt.Sprint(h.Window())},
		diagram.Field{Name: "Checksum", Bits: 16, Value: fmt.Sprintf("0x%04x", h.Checksum())},
		diagram.Field{Name: "Urgent Pointer", Bits: 16, Value: fmt.Sprint(h.Urgent())})
	notes := []string{"flags C E U A P R S F (CWR ECE URG ACK PSH RST SYN FIN): [" + h.Flags().String() + "]"}
	full, err := tcp.Parse(b)
	if err != nil {
		return fields, append(notes, "options and data not drawn: "+err.Error()), nil
	}
	opts := full.RawOptions()
	for i := 0; i+4 <= len(opts); i += 4 {
		fields = append(fields, diagram.Field{Name: "Options", Bits: 32, Value: fmt.Sprintf("% x", opts[i:i+4])})
	}
	var o tcp.Options
	if err := o.Parse(opts); err != nil {
		notes = append(notes, "options: "+err.Error())
	} else if len(opts) > 0 {
		notes = append(notes, "options: "+o.String())
	}
	if n := len(full.Payload()); n > 0 {
		notes = append(notes, fmt.Sprintf("then %d bytes of data", n))
	}
	return fields, notes, nil
}
