package shell

import (
	"encoding/binary"
	"encoding/hex"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/internal/diagram"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/tcp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Golden packets: what one ping over -dev sim put on the wire, and a few
// the ping does not show.
var (
	arpFrame = unhex(`ffffffffffff 02000a000001 0806
		0001 0800 06 04 0001 02000a000001 0a000001 000000000000 0a000002
		000000000000000000000000000000000000`)
	arpRequest  = arpFrame[netdev.EthernetHeaderLen:][:28]
	echoRequest = unhex(`0800 5354 0001 0001 18eac2ae4976d3d6
		101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
		303132333435363738393a3b3c3d3e3f`)
	// A SYN from 56648 to 7 with MSS, SACK-permitted, timestamps, NOP and
	// window scale.
	tcpSYN = unhex(`dd48 0007 2bc389a4 00000000 a002 ffff a21a 0000
		020405b4 0402080a 8f876fa4 00000000 01030307`)
	ipEcho = append(unhex(`4500 0054 0001 0000 4001 66a6 0a000001 0a000002`), echoRequest...)
	// Record route (RFC 791: type 7, length 7, pointer 4), room for one
	// address, padded with End of Option List: IHL 7.
	ipOptions = func() []byte {
		h := ip.Header(make([]byte, 28+8))
		h.Encode(ip.Fields{TotalLen: 36, ID: 0x1234, DF: true, TTL: 1, Protocol: ip.ProtoUDP,
			Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.1.2")})
		h[0] = 0x47
		copy(h[20:], []byte{7, 7, 4, 0, 0, 0, 0, 0})
		h.SetTotalLen(len(h))
		h.UpdateChecksum()
		return h
	}()
	// The middle fragment of a larger datagram: MF, offset 1480 bytes.
	ipFragment = func() []byte {
		h := ip.Header(make([]byte, 20+8))
		h.Encode(ip.Fields{TotalLen: 28, ID: 7, TTL: 64, Protocol: ip.ProtoICMP,
			Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")})
		h.SetFragment(1480, true)
		h.UpdateChecksum()
		return h
	}()
	udpDNS = unhex(`d431 0035 0008 0000`)
	// Fragmentation needed, quoting the IP header and UDP header of the
	// datagram that was too big.
	fragNeeded = func() []byte {
		b := make([]byte, icmp.HeaderLen+28)
		b[0], b[1] = icmp.TypeDestUnreach, icmp.CodeFragNeeded
		binary.BigEndian.PutUint16(b[6:], 1400)
		q := ip.Header(b[icmp.HeaderLen:])
		q.Encode(ip.Fields{TotalLen: 1500, ID: 7, DF: true, TTL: 63, Protocol: ip.ProtoUDP,
			Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.1.2")})
		copy(b[icmp.HeaderLen+20:], udpDNS)
		icmp.Header(b).SetChecksum()
		return b
	}()
	paramProblem = func() []byte {
		b := append([]byte(nil), fragNeeded...)
		b[0], b[1], b[4], b[6], b[7] = icmp.TypeParamProblem, 0, 20, 0, 0
		icmp.Header(b).SetChecksum()
		return b
	}()
)

var diagramCases = []struct {
	name  string
	layer netdev.Layer
	data  []byte
}{
	{"dev-frame", netdev.LayerDev, arpFrame},
	{"l2-arp", netdev.LayerL2, arpFrame},
	{"arp-request", netdev.LayerARP, arpRequest},
	{"arp-padded", netdev.LayerARP, arpFrame[netdev.EthernetHeaderLen:]},
	{"arp-ieee802", netdev.LayerARP, append([]byte{0, 6}, arpRequest[2:]...)},
	{"ip-echo", netdev.LayerIP, ipEcho},
	{"ip-options", netdev.LayerIP, ipOptions},
	{"ip-fragment", netdev.LayerIP, ipFragment},
	{"ip-ihl-too-long", netdev.LayerIP, append([]byte{0x4f}, ipEcho[1:24]...)},
	{"icmp-echo-request", netdev.LayerICMP, echoRequest},
	{"icmp-frag-needed", netdev.LayerICMP, fragNeeded},
	{"icmp-param-problem", netdev.LayerICMP, paramProblem},
	{"udp-dns-query", netdev.LayerUDP, append(udpDNS[:4:4], 0, 12, 0x12, 0x34, 'h', 'e', 'y', '!')},
	{"udp-header-only", netdev.LayerUDP, udpDNS[:8]},
	{"udp-length-lies", netdev.LayerUDP, append(udpDNS[:8:8], 1, 2, 3, 4)},
	{"runt-l2", netdev.LayerL2, arpFrame[:13]},
	{"runt-ip", netdev.LayerIP, ipEcho[:12]},
	{"runt-icmp", netdev.LayerICMP, echoRequest[:7]},
	{"runt-udp", netdev.LayerUDP, nil},
	{"long-hex", netdev.LayerDev, make([]byte, 200)},
}

// Each layer's diagram and hex dump, whole, against testdata/diagram.
func TestDiagramGolden(t *testing.T) {
	for _, c := range diagramCases {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(diagramLines(c.layer, c.data), "\n") + "\n"
			path := filepath.Join("testdata", "diagram", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s (-want +got):\n-%s\n+%s", c.name, strings.ReplaceAll(string(want), "\n", "\n-"),
					strings.ReplaceAll(got, "\n", "\n+"))
			}
			checkDrawing(t, c.layer, c.data)
		})
	}
}

// checkDrawing fails unless every line of the drawing is diagram.Width
// columns wide, and the hex dump stays within its bound.
func checkDrawing(t *testing.T, l netdev.Layer, data []byte) {
	t.Helper()
	if fields, _, err := headerFields(l, data); err == nil {
		for i, line := range diagram.Render(fields) {
			if n := utf8.RuneCountInString(line); n != diagram.Width {
				t.Errorf("%s: line %d is %d columns wide, want %d: %q", l, i, n, diagram.Width, line)
			}
		}
	}
	if n := len(diagram.HexDump(data, hexLimit)); n > hexLimit/16+1 {
		t.Errorf("%s: hex dump of %d lines", l, n)
	}
}

// FuzzDiagram draws arbitrary bytes as every layer's header: nothing may
// panic, and every line of a drawing has the same width.
func FuzzDiagram(f *testing.F) {
	for _, c := range diagramCases {
		f.Add(c.data)
	}
	f.Add([]byte{0x46, 0, 0, 24, 0, 0, 0xff, 0xff}) // IHL 6 in 8 bytes, every flag
	f.Add(make([]byte, 20))                         // IP version 0, IHL 0
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range netdev.Layers() {
			diagramLines(l, data)
			checkDrawing(t, l, data)
		}
	})
}

// The drawings keep the shape of the diagrams at the top of the wire
// files: the same borders, and "|" in the same columns.
func TestDiagramsMatchWireFiles(t *testing.T) {
	cases := []struct {
		file  string
		layer netdev.Layer
		data  []byte
		lines int // how many lines of the wire file's diagram to compare
	}{
		{"../netdev/ether.go", netdev.LayerL2, arpFrame, 9}, // then the payload is drawn open-ended
		{"../arp/header.go", netdev.LayerARP, arpRequest, 17},
		{"../ip/header.go", netdev.LayerIP, ipEcho, 13}, // then options, absent here
		{"../icmp/header.go", netdev.LayerICMP, echoRequest, 7},
		{"../tcp/header.go", tcp.Layer, tcpSYN, 10}, // then the flags' names, drawn in a note
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			src, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			want := wireDiagram(string(src))
			fields, _, err := headerFields(c.layer, c.data)
			if err != nil {
				t.Fatal(err)
			}
			got := diagram.Render(fields)
			if len(want) < c.lines || len(got) < c.lines {
				t.Fatalf("wire diagram has %d lines, ours %d; want %d of each", len(want), len(got), c.lines)
			}
			for i := range c.lines {
				if w, g := skeleton(want[i]), skeleton(got[i]); w != g {
					t.Errorf("line %d:\nwire file %q\n     ours %q", i, want[i], got[i])
				}
			}
		})
	}
}

// wireDiagram returns the RFC diagram in a Go file's comments: the lines
// from the bit ruler to the first blank comment line.
func wireDiagram(src string) []string {
	var out []string
	for _, line := range strings.Split(src, "\n") {
		s, ok := strings.CutPrefix(line, "//\t")
		if !ok || (len(out) == 0 && !strings.HasPrefix(s, " 0      ")) {
			if len(out) > 0 {
				break
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// skeleton keeps what a diagram's shape is made of: a border line whole, a
// row's "|" columns; both cut to the diagram's width.
func skeleton(line string) string {
	r := []rune(line)
	r = r[:min(len(r), diagram.Width)]
	if len(r) > 0 && r[0] == '+' {
		return strings.TrimRight(string(r), " ")
	}
	for i, c := range r {
		if c != '|' {
			r[i] = ' '
		}
	}
	return strings.TrimRight(string(r), " ")
}
