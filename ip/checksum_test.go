package ip

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The checksum itself is tested in internal/checksum; here, that real
// IPv4 headers verify through ip's entry points.
func TestChecksumGoldenHeaders(t *testing.T) {
	for name, h := range map[string][]byte{"IPv4 header": goldenUDP, "IPv4 header with options": goldenFragOpts} {
		if got := Checksum(h, 0); got != 0 {
			t.Errorf("%s sums to %#04x, want 0", name, got)
		}
	}
}

func BenchmarkChecksum20(b *testing.B) {
	b.SetBytes(int64(len(goldenUDP)))
	b.ReportAllocs()
	for b.Loop() {
		Checksum(goldenUDP, 0)
	}
}

// A UDP datagram and a TCP segment checksummed by gopacket verify against
// PseudoSum: the one pseudo-header of both transports.
func TestPseudoSumAgainstGopacket(t *testing.T) {
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	ipl := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	payload := gopacket.Payload("hello, pseudo-header") // even and odd lengths below
	tests := []struct {
		name  string
		proto uint8
		layer interface {
			gopacket.SerializableLayer
			SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
		}
		data gopacket.Payload
	}{
		{"udp", ProtoUDP, &layers.UDP{SrcPort: 5000, DstPort: 7}, payload},
		{"tcp", ProtoTCP, &layers.TCP{SrcPort: 49152, DstPort: 80, Seq: 1, Ack: 2, ACK: true, PSH: true, Window: 512}, payload[:19]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ipl.Protocol = layers.IPProtocol(tt.proto)
			if err := tt.layer.SetNetworkLayerForChecksum(ipl); err != nil {
				t.Fatal(err)
			}
			buf := gopacket.NewSerializeBuffer()
			opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
			if err := gopacket.SerializeLayers(buf, opts, tt.layer, tt.data); err != nil {
				t.Fatal(err)
			}
			seg := buf.Bytes()
			if got := Checksum(seg, PseudoSum(src, dst, tt.proto, len(seg))); got != 0 {
				t.Errorf("%d-byte %s segment sums to %#04x over PseudoSum, want 0", len(seg), tt.name, got)
			}
			if got := Checksum(seg, PseudoSum(dst, src, tt.proto, len(seg)+1)); got == 0 {
				t.Errorf("a wrong length still sums to 0")
			}
		})
	}
}
