package dhcp

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gotapip/gotapip/netdev"
)

var testMAC = netdev.MAC{0x02, 0x00, 0x0a, 0x00, 0x00, 0x01}

// offerBytes is an OFFER written out by hand from RFC 2131's figure 1 and
// RFC 2132's option formats.
func offerBytes() []byte {
	b := make([]byte, HeaderLen)
	b[0], b[1], b[2] = 2, 1, 6                  // op BOOTREPLY, htype Ethernet, hlen 6
	copy(b[4:], []byte{0xde, 0xad, 0xbe, 0xef}) // xid
	copy(b[10:], []byte{0x80, 0x00})            // flags: broadcast
	copy(b[16:], []byte{10, 0, 0, 50})          // yiaddr
	copy(b[28:], testMAC[:])                    // chaddr
	copy(b[236:], []byte{99, 130, 83, 99})      // magic cookie
	b = append(b,
		53, 1, 2, // DHCPOFFER
		54, 4, 10, 0, 0, 254, // server identifier
		51, 4, 0, 0, 0x0e, 0x10, // lease 3600 s
		1, 4, 255, 255, 255, 0, // subnet mask
		3, 4, 10, 0, 0, 254, // router
		6, 8, 10, 0, 0, 254, 10, 0, 0, 253, // DNS servers
		0, 0, // pad
		121, 6, 8, 10, 10, 0, 0, 1, // 10.0.0.0/8 via 10.0.0.1
		255)
	return b
}

func TestParseOffer(t *testing.T) {
	m, o, err := Parse(offerBytes())
	if err != nil {
		t.Fatal(err)
	}
	if m.Op() != OpReply || m.XID() != 0xdeadbeef || m.Flags() != FlagBroadcast || m.ClientMAC() != testMAC {
		t.Errorf("fixed fields: %v", m)
	}
	if m.YourIP() != netip.MustParseAddr("10.0.0.50") || m.ClientIP() != netip.IPv4Unspecified() {
		t.Errorf("addresses: %v", m)
	}
	want := Options{Type: Offer, ServerID: netip.MustParseAddr("10.0.0.254"), Lease: time.Hour, MaskBits: 24,
		Routers: []netip.Addr{netip.MustParseAddr("10.0.0.254")},
		DNS:     []netip.Addr{netip.MustParseAddr("10.0.0.254"), netip.MustParseAddr("10.0.0.253")},
		Routes:  []Route{{Dst: netip.MustParsePrefix("10.0.0.0/8"), Gateway: netip.MustParseAddr("10.0.0.1")}}}
	if !reflect.DeepEqual(want, o) {
		t.Errorf("options (-want +got):\n-%+v\n+%+v", want, o)
	}
}

// TestAppendMatchesGolden builds the same OFFER with Append and Builder.
func TestAppendMatchesGolden(t *testing.T) {
	var b Builder
	b.AddType(Offer)
	b.AddAddrs(OptServerID, netip.MustParseAddr("10.0.0.254"))
	b.AddSeconds(OptLeaseTime, time.Hour)
	b.AddMask(24)
	b.AddAddrs(OptRouter, netip.MustParseAddr("10.0.0.254"))
	b.AddAddrs(OptDNS, netip.MustParseAddr("10.0.0.254"), netip.MustParseAddr("10.0.0.253"))
	b = append(b, 0, 0)
	b.Add(OptClasslessRoute, AppendRoutes(nil, []Route{{Dst: netip.MustParsePrefix("10.0.0.0/8"), Gateway: netip.MustParseAddr("10.0.0.1")}}))
	prefix := bytes.Repeat([]byte{0xa5}, 3) // Append must set every byte of its own
	got := Append(prefix, Fields{Op: OpReply, XID: 0xdeadbeef, Flags: FlagBroadcast,
		YourIP: netip.MustParseAddr("10.0.0.50"), ClientMAC: testMAC}, b)
	want := offerBytes()
	want = append(want, make([]byte, MinLen-len(want))...) // padded with Pad (0)
	if !bytes.Equal(want, got[3:]) {
		t.Errorf("(-want +got):\n-% x\n+% x", want, got[3:])
	}
}

// TestGopacketReadsOurs cross-checks a DISCOVER with gopacket's decoder.
func TestGopacketReadsOurs(t *testing.T) {
	var b Builder
	b.AddType(Discover)
	b.Add(OptParamList, paramList)
	msg := Append(nil, Fields{Op: OpRequest, XID: 42, Secs: 3, Flags: FlagBroadcast, ClientMAC: testMAC}, b)
	var d layers.DHCPv4
	if err := d.DecodeFromBytes(msg, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if d.Operation != layers.DHCPOpRequest || d.Xid != 42 || d.Secs != 3 || d.Flags != FlagBroadcast ||
		!bytes.Equal(d.ClientHWAddr, testMAC[:]) {
		t.Errorf("gopacket read %+v", d)
	}
	var gotType layers.DHCPMsgType
	var gotParams []byte
	for _, o := range d.Options {
		switch o.Type {
		case layers.DHCPOptMessageType:
			gotType = layers.DHCPMsgType(o.Data[0])
		case layers.DHCPOptParamsRequest:
			gotParams = o.Data
		}
	}
	if gotType != layers.DHCPMsgTypeDiscover || !bytes.Equal(gotParams, paramList) {
		t.Errorf("options: type %v params %v", gotType, gotParams)
	}
	if len(msg) != MinLen {
		t.Errorf("length %d, want the BOOTP minimum %d", len(msg), MinLen)
	}
}

// TestParseRejects: each broken message is an error naming what is wrong.
func TestParseRejects(t *testing.T) {
	withOptions := func(opts ...byte) []byte { return append(offerBytes()[:HeaderLen], opts...) }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"short", offerBytes()[:100], ErrTruncated},
		{"no cookie", append(offerBytes()[:236], 1, 2, 3, 4), ErrNotDHCP},
		{"not ethernet", func() []byte { b := offerBytes(); b[1] = 6; return b }(), ErrHardware},
		{"length past the end", withOptions(53, 1, 2, 3, 200, 10, 0, 0, 254), ErrOption},
		{"length byte missing", withOptions(53, 1, 2, 3), ErrOption},
		{"router of 5 bytes", withOptions(53, 1, 2, 3, 5, 10, 0, 0, 254, 1, 255), ErrOption},
		{"type out of range", withOptions(53, 1, 9, 255), ErrOption},
		{"type of 2 bytes", withOptions(53, 2, 2, 2, 255), ErrOption},
		{"mask with holes", withOptions(1, 4, 255, 0, 255, 0, 255), ErrOption},
		{"lease of 3 bytes", withOptions(51, 3, 0, 0, 1, 255), ErrOption},
		{"route cut short", withOptions(121, 3, 24, 10, 0, 255), ErrOption},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Parse(c.b)
			if !errors.Is(err, c.want) {
				t.Fatalf("Parse: %v, want %v", err, c.want)
			}
		})
	}
}

// TestOptionsConcatenate: an option split in two is one value (RFC 3396).
func TestOptionsConcatenate(t *testing.T) {
	_, o, err := Parse(append(offerBytes()[:HeaderLen], 53, 1, 5, 6, 4, 10, 0, 0, 1, 6, 4, 10, 0, 0, 2, 255))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}
	if !reflect.DeepEqual(o.DNS, want) {
		t.Errorf("DNS %v, want %v", o.DNS, want)
	}
	var b Builder
	b.Add(OptDomainName, bytes.Repeat([]byte("a"), 300)) // split at 255
	if len(b) != 2+255+2+45 || b[0] != OptDomainName || b[257] != OptDomainName {
		t.Errorf("a 300-byte option built as %d bytes", len(b))
	}
}
