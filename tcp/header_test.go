package tcp

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var (
	addrA = netip.MustParseAddr("10.0.0.1")
	addrB = netip.MustParseAddr("10.0.0.2")
)

// buildSegment encodes a header with options o and payload, as the output
// path does.
func buildSegment(f Fields, o *Options, payload []byte) Header {
	n := o.Len()
	b := bytes.Repeat([]byte{0xa5}, HeaderLen+n+len(payload)) // unset fields show as a5
	o.Encode(b[HeaderLen:])
	copy(b[HeaderLen+n:], payload)
	h := Header(b)
	h.Encode(f, n)
	return h
}

// A SYN with every option we send, encoded by us and decoded by gopacket.
func TestEncodeCrossCheckedWithGopacket(t *testing.T) {
	o := Options{HasMSS: true, MSS: 1460, SACKPermitted: true, HasTimestamp: true, TSVal: 7, TSEcr: 9, HasWScale: true, WScale: 7}
	h := buildSegment(Fields{SrcPort: 40000, DstPort: 80, Seq: 0xfffffff0, Ack: 5, Flags: FlagSYN | FlagACK, Window: 64240, Src: addrA, Dst: addrB}, &o, []byte("hi"))
	var g layers.TCP
	if err := g.DecodeFromBytes(h, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if g.SrcPort != 40000 || g.DstPort != 80 || g.Seq != 0xfffffff0 || g.Ack != 5 || !g.SYN || !g.ACK || g.FIN || g.Window != 64240 || string(g.Payload) != "hi" {
		t.Errorf("gopacket decoded %+v", g)
	}
	kinds := map[layers.TCPOptionKind][]byte{}
	for _, opt := range g.Options {
		kinds[opt.OptionType] = opt.OptionData
	}
	if !bytes.Equal(kinds[layers.TCPOptionKindMSS], []byte{0x05, 0xb4}) || !bytes.Equal(kinds[layers.TCPOptionKindWindowScale], []byte{7}) {
		t.Errorf("gopacket options %v", g.Options)
	}
	if _, ok := kinds[layers.TCPOptionKindSACKPermitted]; !ok {
		t.Errorf("no SACK-permitted in %v", g.Options)
	}
	if !bytes.Equal(kinds[layers.TCPOptionKindTimestamps], []byte{0, 0, 0, 7, 0, 0, 0, 9}) {
		t.Errorf("timestamps %x", kinds[layers.TCPOptionKindTimestamps])
	}
	// gopacket computes the same checksum over the same pseudo-header.
	ipl := layers.IPv4{SrcIP: addrA.AsSlice(), DstIP: addrB.AsSlice(), Protocol: layers.IPProtocolTCP, Version: 4, TTL: 64}
	g2 := g
	if err := g2.SetNetworkLayerForChecksum(&ipl); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, &g2, gopacket.Payload("hi")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), h) {
		t.Errorf("gopacket serialised\n%x\nwe encoded\n%x", buf.Bytes(), []byte(h))
	}
	if err := h.Verify(addrA, addrB); err != nil {
		t.Error(err)
	}
	if err := h.Verify(addrB, addrA.Next()); !errors.Is(err, ErrBadChecksum) {
		t.Errorf("Verify with other addresses: %v, want ErrBadChecksum", err)
	}
}

func TestDeconstructFields(t *testing.T) {
	o := Options{NumSACK: 2, SACK: [MaxSACKBlocks]SACKBlock{{100, 200}, {300, 400}}}
	h := buildSegment(Fields{SrcPort: 1, DstPort: 2, Seq: 3, Ack: 4, Flags: FlagACK | FlagFIN, Window: 5, Urgent: 6, Src: addrA, Dst: addrB}, &o, []byte("x"))
	p, err := Parse(h)
	if err != nil {
		t.Fatal(err)
	}
	if p.SrcPort() != 1 || p.DstPort() != 2 || p.Seq() != 3 || p.Ack() != 4 || p.Flags() != FlagACK|FlagFIN ||
		p.Window() != 5 || p.Urgent() != 6 || p.DataOffset() != 40 || string(p.Payload()) != "x" || p.SegLen() != 2 {
		t.Errorf("fields of %s", p)
	}
	var got Options
	if err := got.Parse(p.RawOptions()); err != nil {
		t.Fatal(err)
	}
	if got.NumSACK != 2 || got.SACK[1] != (SACKBlock{300, 400}) {
		t.Errorf("SACK blocks %+v", got)
	}
	want := "TCP 10.0.0.1.1 > 10.0.0.2.2: Flags [F.], seq 3, ack 4, win 5, options [sack 2 {100:200}{300:400}], length 1"
	if s := p.Format(addrA, addrB); s != want {
		t.Errorf("Format:\n got %s\nwant %s", s, want)
	}
}

func TestParseRejects(t *testing.T) {
	good := buildSegment(Fields{Src: addrA, Dst: addrB}, &Options{}, nil)
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"short", good[:19], ErrTruncated},
		{"offset below 5 words", append([]byte{}, good[:12]...), ErrTruncated},
		{"offset 4 words", withByte(good, offDataOff, 4<<4), ErrBadOffset},
		{"offset past the end", withByte(good, offDataOff, 6<<4), ErrBadOffset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("Parse: %v, want %v", err, tt.want)
			}
		})
	}
}

func withByte(b []byte, i int, v byte) []byte {
	c := append([]byte{}, b...)
	c[i] = v
	return c
}

func TestOptionsRejectLyingLengths(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"no length byte", []byte{optMSS}},
		{"length 0", []byte{99, 0, 1, 1}},
		{"length 1", []byte{99, 1, 1, 1}},
		{"length past the end", []byte{optTimestamp, 10, 0, 0, 0, 0}},
		{"MSS of 3 bytes", []byte{optMSS, 5, 1, 2, 3}},
		{"window scale of 2 bytes", []byte{optWScale, 4, 1, 2}},
		{"SACK-permitted with a value", []byte{optSACKPerm, 3, 1}},
		{"SACK of 7 bytes", []byte{optSACK, 9, 0, 0, 0, 0, 0, 0, 0}},
		{"SACK of 5 blocks", append([]byte{optSACK, 42}, make([]byte, 40)...)},
		{"timestamps of 4 bytes", []byte{optTimestamp, 6, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		var o Options
		if err := o.Parse(tt.b); !errors.Is(err, ErrBadOption) {
			t.Errorf("%s: Parse(%x) = %v, want ErrBadOption", tt.name, tt.b, err)
		}
	}
	var o Options // unknown options are skipped; EOL ends the list
	if err := o.Parse([]byte{optNOP, 99, 3, 0, optMSS, 4, 2, 0, optEOL, 0xff}); err != nil || !o.HasMSS || o.MSS != 512 {
		t.Errorf("unknown option then MSS: %v %+v", err, o)
	}
}

// The reference captures (Linux to Linux, offloads off) parse, and every
// segment's checksum verifies.
func TestReferenceCapturesParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.pcap")
	if len(files) < 4 {
		t.Fatalf("want the 4 reference captures in testdata, have %v", files)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcapgo.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		segs, withSACK := 0, 0
		for {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				break
			}
			pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.NoCopy)
			ipl, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			if ipl == nil || ipl.Protocol != layers.IPProtocolTCP {
				continue
			}
			h, err := Parse(ipl.Payload)
			if err != nil {
				t.Fatalf("%s: segment %d: %v", name, segs, err)
			}
			var o Options
			if err := o.Parse(h.RawOptions()); err != nil {
				t.Fatalf("%s: %s: %v", name, h, err)
			}
			src, _ := netip.AddrFromSlice(ipl.SrcIP)
			dst, _ := netip.AddrFromSlice(ipl.DstIP)
			if o.NumSACK > 0 {
				withSACK++
			}
			segs++
			if ci.CaptureLength < ci.Length {
				continue // headers only (the loss capture): the checksum covers bytes not kept
			}
			if err := h.Verify(src, dst); err != nil {
				t.Fatalf("%s: %s: %v", name, h.Format(src, dst), err)
			}
		}
		f.Close()
		if segs == 0 {
			t.Errorf("%s: no TCP segments", name)
		}
		if filepath.Base(name) == "linux-tcp-loss.pcap" && withSACK == 0 {
			t.Errorf("%s: no SACK blocks found in the loss capture", name)
		}
	}
}

func FuzzHeaderParse(f *testing.F) {
	o := Options{HasMSS: true, MSS: 1460, SACKPermitted: true, HasTimestamp: true, HasWScale: true, WScale: 7}
	f.Add([]byte(buildSegment(Fields{Flags: FlagSYN, Src: addrA, Dst: addrB}, &o, nil)))
	f.Add([]byte(buildSegment(Fields{Flags: FlagACK, Src: addrA, Dst: addrB}, &Options{}, []byte("data"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err != nil {
			return
		}
		_ = h.String()
		if h.DataOffset()+len(h.Payload()) != len(b) || h.SegLen() < len(h.Payload()) {
			t.Fatalf("lengths do not add up: %s", h)
		}
		_ = h.Verify(addrA, addrB)
	})
}

// FuzzOptions: any bytes parse or fail cleanly, and what parses encodes
// to bytes that parse back to the same options.
func FuzzOptions(f *testing.F) {
	f.Add([]byte{optMSS, 4, 5, 0xb4, optNOP, optWScale, 3, 7})
	f.Add([]byte{optSACK, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4})
	f.Add([]byte{optSACKPerm, 2, optTimestamp, 10, 0, 0, 0, 1, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		var o Options
		if o.Parse(b) != nil {
			return
		}
		if o.NumSACK > 3 && o.HasTimestamp {
			o.NumSACK, o.SACK[3] = 3, SACKBlock{} // what fits beside timestamps
		}
		if o.Len() > MaxOptionsLen {
			return
		}
		buf := make([]byte, o.Len())
		if n := o.Encode(buf); n != len(buf) || n%4 != 0 {
			t.Fatalf("Encode wrote %d of %d", n, len(buf))
		}
		var back Options
		if err := back.Parse(buf); err != nil || back != o {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, o, back)
		}
	})
}
