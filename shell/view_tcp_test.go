package shell

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/tcp"
)

// segment builds a TCP segment from port from to port to.
func segment(from, to uint16, seq, ack uint32, flags tcp.Flags, o *tcp.Options, data string) []byte {
	optLen := 0
	if o != nil {
		optLen = (o.Len() + 3) &^ 3
	}
	b := make([]byte, tcp.HeaderLen+optLen+len(data))
	if o != nil {
		o.Encode(b[tcp.HeaderLen:])
	}
	copy(b[tcp.HeaderLen+optLen:], data)
	tcp.Header(b).Encode(tcp.Fields{SrcPort: from, DstPort: to, Seq: tcp.Seq(seq), Ack: tcp.Seq(ack), Flags: flags, Window: 502,
		Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")}, optLen)
	return b
}

// debug tcp's line is tcpdump's: sequence and acknowledgment numbers, and
// SACK blocks, relative to each side's ISN once its SYN was seen; ack only
// with the ACK flag; seq FIRST:LAST with data.
func TestTCPLine(t *testing.T) {
	sack := &tcp.Options{NumSACK: 1}
	sack.SACK[0] = tcp.SACKBlock{Left: 7001 + 1448, Right: 7001 + 2896}
	cases := []struct {
		seg  []byte
		want string
	}{
		{segment(40001, 7, 1000, 0, tcp.FlagSYN, &tcp.Options{HasMSS: true, MSS: 1460, SACKPermitted: true}, ""),
			"TCP 40001 > 7: Flags [S], seq 0, win 502, options [mss 1460,sackOK], length 0"},
		{segment(7, 40001, 7000, 1001, tcp.FlagSYN|tcp.FlagACK, nil, ""), "TCP 7 > 40001: Flags [S.], seq 0, ack 1, win 502, length 0"},
		{segment(40001, 7, 1001, 7001, tcp.FlagACK|tcp.FlagPSH, nil, "hello"), "TCP 40001 > 7: Flags [P.], seq 1:6, ack 1, win 502, length 5"},
		{segment(40001, 7, 1006, 7001, tcp.FlagACK, sack, ""), "TCP 40001 > 7: Flags [.], seq 6, ack 1, win 502, options [sack 1 {1449:2897}], length 0"},
		{segment(9, 40002, 5, 0, tcp.FlagRST, nil, ""), "TCP 9 > 40002: Flags [R], seq 5, win 502, length 0"}, // no SYN seen: absolute
	}
	for _, c := range cases {
		if got, ok := tcpLine(c.seg); !ok || got != c.want {
			t.Errorf("got  %q (%v)\nwant %q", got, ok, c.want)
		}
	}
	if _, ok := tcpLine(make([]byte, 19)); ok {
		t.Error("a 19-byte segment printed as a header")
	}
	bad := segment(1, 2, 0, 0, tcp.FlagACK, nil, "")
	bad[12] = 0xf0 // data offset 60 bytes, in 20
	if _, ok := tcpLine(bad); ok {
		t.Error("a data offset beyond the segment printed as a header")
	}
}

// A note (a state change, a retransmission) is its text on the layer's
// line, and debug -x draws nothing under it.
func TestDescribeNote(t *testing.T) {
	e := netdev.TraceEvent{Layer: tcp.Layer, Dir: netdev.TraceNote, Reason: "10.0.0.1:40001 > 10.0.0.2:7: SYN-SENT -> ESTABLISHED"}
	if got, want := describe(e), "tcp  *  -      10.0.0.1:40001 > 10.0.0.2:7: SYN-SENT -> ESTABLISHED"; got != want {
		t.Errorf("describe: %q, want %q", got, want)
	}
}

// debug -x tcp notes the flags by name, the options decoded and the data.
func TestTCPFieldsNotes(t *testing.T) {
	seg := segment(40001, 7, 1001, 7001, tcp.FlagACK|tcp.FlagPSH, &tcp.Options{HasTimestamp: true, TSVal: 9, TSEcr: 7}, "hello")
	lines := strings.Join(diagramLines(tcp.Layer, seg), "\n")
	for _, want := range []string{"Sequence Number=1001", "Acknowledgment Number=7001", "Window=502",
		"flags C E U A P R S F (CWR ECE URG ACK PSH RST SYN FIN): [P.]", "options: TS val 9 ecr 7", "then 5 bytes of data"} {
		if !strings.Contains(lines, want) {
			t.Errorf("no %q in\n%s", want, lines)
		}
	}
}

// A super-frame's segment carries its note after the header, as debug
// prints it: "(GSO 44×1448)".
func TestDescribeGSONote(t *testing.T) {
	seg := segment(40001, 7, 1001, 7001, tcp.FlagACK, nil, strings.Repeat("x", 44*1448))
	e := netdev.TraceEvent{Layer: tcp.Layer, Dir: netdev.TraceOut, Data: seg, Reason: "GSO 44×1448"}
	if got := describe(e); !strings.HasSuffix(got, "length 63712 (GSO 44×1448)") {
		t.Errorf("describe: %q, want the header line ending in %q", got, "length 63712 (GSO 44×1448)")
	}
}
