package netdev

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// goldenEthernet is the header of a broadcast ARP request from
// 02:00:0a:00:00:01, as tcpdump -xx shows it.
var goldenEthernet = []byte{
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // dst
	0x02, 0x00, 0x0a, 0x00, 0x00, 0x01, // src
	0x08, 0x06, // ARP
}

var (
	macA = MAC{0x02, 0x00, 0x0a, 0x00, 0x00, 0x01}
	macB = MAC{0x02, 0x00, 0x0a, 0x00, 0x00, 0x02}
)

func TestEthernetDeconstruct(t *testing.T) {
	frame := append(append([]byte(nil), goldenEthernet...), make([]byte, 46)...)
	e, err := ParseEthernet(frame)
	if err != nil {
		t.Fatal(err)
	}
	if len(e) != EthernetHeaderLen {
		t.Errorf("len(header) = %d, want %d", len(e), EthernetHeaderLen)
	}
	if got := e.Dst(); got != BroadcastMAC {
		t.Errorf("Dst() = %v, want %v", got, BroadcastMAC)
	}
	if got := e.Src(); got != macA {
		t.Errorf("Src() = %v, want %v", got, macA)
	}
	if got := e.EtherType(); got != EtherTypeARP {
		t.Errorf("EtherType() = 0x%04x, want 0x%04x", got, EtherTypeARP)
	}
}

func TestEthernetConstruct(t *testing.T) {
	buf := bytes.Repeat([]byte{0xa5}, EthernetHeaderLen+2)
	e := Ethernet(buf[:EthernetHeaderLen])
	e.SetDst(BroadcastMAC)
	e.SetSrc(macA)
	e.SetEtherType(EtherTypeARP)
	if !bytes.Equal(buf[:EthernetHeaderLen], goldenEthernet) {
		t.Errorf("encoded header (-want +got):\n-% x\n+% x", goldenEthernet, buf[:EthernetHeaderLen])
	}
	if buf[EthernetHeaderLen] != 0xa5 || buf[EthernetHeaderLen+1] != 0xa5 {
		t.Errorf("setters wrote past the header: % x", buf[EthernetHeaderLen:])
	}
}

func TestParseEthernetErrors(t *testing.T) {
	for _, n := range []int{0, 1, 6, 12, 13} {
		if _, err := ParseEthernet(goldenEthernet[:n]); err == nil {
			t.Errorf("ParseEthernet(%d bytes): got nil error, want one", n)
		}
	}
	// Exactly a header is enough; the view never covers the payload.
	e, err := ParseEthernet(goldenEthernet)
	if err != nil || len(e) != EthernetHeaderLen {
		t.Errorf("ParseEthernet(14 bytes) = %d bytes, %v; want 14, nil", len(e), err)
	}
}

func TestEthernetString(t *testing.T) {
	tests := []struct {
		typ  uint16
		want string
	}{
		{EtherTypeARP, "02:00:0a:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)"},
		{EtherTypeIPv4, "02:00:0a:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype IPv4 (0x0800)"},
		{0x86dd, "02:00:0a:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype IPv6 (0x86dd)"},
		{0x88b5, "02:00:0a:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype 0x88b5"},
	}
	for _, tt := range tests {
		e := Ethernet(append([]byte(nil), goldenEthernet...))
		e.SetEtherType(tt.typ)
		if got := e.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// TestEthernetGopacket decodes headers we build with gopacket and compares
// every field.
func TestEthernetGopacket(t *testing.T) {
	tests := []struct {
		dst, src MAC
		typ      uint16
	}{
		{BroadcastMAC, macA, EtherTypeARP},
		{macB, macA, EtherTypeIPv4},
		{MAC{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}, macB, EtherTypeIPv4},
	}
	for _, tt := range tests {
		t.Run(tt.dst.String(), func(t *testing.T) {
			frame := bytes.Repeat([]byte{0xa5}, EthernetMinFrame)
			e := Ethernet(frame)
			e.SetDst(tt.dst)
			e.SetSrc(tt.src)
			e.SetEtherType(tt.typ)
			var eth layers.Ethernet
			if err := eth.DecodeFromBytes(frame, gopacket.NilDecodeFeedback); err != nil {
				t.Fatalf("gopacket: %v", err)
			}
			if !bytes.Equal(eth.DstMAC, tt.dst[:]) {
				t.Errorf("gopacket DstMAC = %v, want %v", eth.DstMAC, tt.dst)
			}
			if !bytes.Equal(eth.SrcMAC, tt.src[:]) {
				t.Errorf("gopacket SrcMAC = %v, want %v", eth.SrcMAC, tt.src)
			}
			if uint16(eth.EthernetType) != tt.typ {
				t.Errorf("gopacket EthernetType = 0x%04x, want 0x%04x", uint16(eth.EthernetType), tt.typ)
			}
			if len(eth.Payload) != EthernetMinFrame-EthernetHeaderLen {
				t.Errorf("gopacket payload = %d bytes, want %d", len(eth.Payload), EthernetMinFrame-EthernetHeaderLen)
			}
			// And the other way: gopacket's encoding parses to the same fields.
			buf := gopacket.NewSerializeBuffer()
			in := layers.Ethernet{DstMAC: net.HardwareAddr(tt.dst[:]), SrcMAC: net.HardwareAddr(tt.src[:]), EthernetType: layers.EthernetType(tt.typ)}
			if err := in.SerializeTo(buf, gopacket.SerializeOptions{}); err != nil {
				t.Fatal(err)
			}
			// gopacket pads a bare header to the 60-byte minimum frame.
			if got := buf.Bytes(); len(got) < EthernetHeaderLen || !bytes.Equal(got[:EthernetHeaderLen], frame[:EthernetHeaderLen]) {
				t.Errorf("gopacket encoding (-ours +gopacket):\n-% x\n+% x", frame[:EthernetHeaderLen], got)
			}
		})
	}
}

func TestEtherTypeName(t *testing.T) {
	for typ, want := range map[uint16]string{0x0800: "IPv4", 0x0806: "ARP", 0x88cc: "0x88cc"} {
		if got := EtherTypeName(typ); !strings.Contains(got, want) {
			t.Errorf("EtherTypeName(0x%04x) = %q, want it to contain %q", typ, got, want)
		}
	}
}
