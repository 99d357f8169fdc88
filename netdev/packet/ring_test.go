//go:build linux

package packet

import (
	"bytes"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev/vnet"
	"github.com/gotapip/gotapip/netdev/vnet/vnettest"
)

// Tests of the ring logic over plain memory laid out as the kernel lays
// out a mapping; no root, no socket.

var udpFrames = vnettest.UDPFrames

// vnetHdr is a virtio_net_hdr.
func vnetHdr(flags, gsoType uint8, start, offset int) []byte {
	h := make(vnet.Header, vnet.HeaderLen)
	h.Set(flags, gsoType, uint16(start), uint16(offset))
	return h
}

func TestGeometry(t *testing.T) {
	for _, tc := range []struct {
		mtu, page                  int
		frameSize, perBlock        int
		rxFrames, txFrames, rxSize int
	}{
		// Two 2 KiB frames a page: 256 rx, 128 tx, 512 KiB of rx ring.
		{1500, 4096, 2048, 2, 256, 128, 512 << 10},
		// A jumbo frame takes three pages; the ring keeps its 64-frame floor.
		{9000, 4096, 12288, 1, 64, 32, 64 * 12288},
		// RFC 791's smallest MTU: 23 frames of 176 bytes a page, rounded up
		// to whole blocks (12 blocks, 276 frames).
		{68, 4096, 176, 23, 276, 138, 12 * 4096},
		// 64 KiB pages (arm64, ppc64): 40 frames of 1632 bytes a block.
		{1500, 65536, 1632, 40, 280, 160, 7 * 65536},
	} {
		t.Run(fmt.Sprintf("mtu%d-page%d", tc.mtu, tc.page), func(t *testing.T) {
			rx, tx, err := ringGeometries(tc.mtu, tc.page)
			if err != nil {
				t.Fatal(err)
			}
			got := []int{rx.frameSize, rx.perBlock, rx.frameNr, tx.frameNr, rx.size()}
			want := []int{tc.frameSize, tc.perBlock, tc.rxFrames, tc.txFrames, tc.rxSize}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("frameSize, perBlock, rx frames, tx frames, rx bytes = %v, want %v", got, want)
			}
		})
	}
}

// Every geometry satisfies packet_set_ring's checks and holds the largest
// frame behind the largest rx header (a virtio_net_hdr included).
func TestGeometryInvariants(t *testing.T) {
	for _, page := range []int{4096, 16384, 65536} {
		for mtu := 68; mtu <= 65535; mtu += 37 {
			g, err := newGeometry(mtu, page, 100)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case g.blockSize%page != 0:
				t.Fatalf("mtu %d: block %d not whole pages of %d", mtu, g.blockSize, page)
			case g.frameSize%tpacketAlignment != 0:
				t.Fatalf("mtu %d: frame size %d not TPACKET_ALIGNMENT-aligned", mtu, g.frameSize)
			case g.perBlock < 1 || g.perBlock*g.frameSize > g.blockSize:
				t.Fatalf("mtu %d: %d frames of %d in a %d-byte block", mtu, g.perBlock, g.frameSize, g.blockSize)
			case g.frameNr != g.perBlock*g.blockNr || g.frameNr < 100:
				t.Fatalf("mtu %d: %d frames, %d blocks of %d", mtu, g.frameNr, g.blockNr, g.perBlock)
			case g.frameSize < rxMacRoom+mtu+maxLinkHeader:
				t.Fatalf("mtu %d: frame %d bytes cannot hold an rx frame", mtu, g.frameSize)
			case g.frameSize-txData-vnetHdrLen < mtu+maxLinkHeader:
				t.Fatalf("mtu %d: frame %d bytes cannot hold a tx frame and its virtio_net_hdr", mtu, g.frameSize)
			}
		}
	}
}

func TestNewGeometryRejects(t *testing.T) {
	for _, args := range [][3]int{{67, 4096, 1}, {1500, 0, 1}, {1500, 4000, 1}, {1500, 4096, 0}} {
		if _, err := newGeometry(args[0], args[1], args[2]); err == nil {
			t.Errorf("newGeometry%v: no error", args)
		}
	}
}

// Frames never straddle a block, stay 16-aligned and do not overlap.
func TestOffsets(t *testing.T) {
	g, _ := newGeometry(68, 4096, 100) // 23 frames of 176 bytes a block
	prev := -g.frameSize
	for i := 0; i < g.frameNr; i++ {
		off := g.offset(i)
		if off%tpacketAlignment != 0 || off < prev+g.frameSize || off/g.blockSize != (off+g.frameSize-1)/g.blockSize {
			t.Fatalf("frame %d at %d (previous at %d, frame %d, block %d)", i, off, prev, g.frameSize, g.blockSize)
		}
		prev = off
	}
	if got := g.next(g.frameNr - 1); got != 0 {
		t.Errorf("next(last) = %d, want 0", got)
	}
}

// newTestRing is a ring of n frames at MTU 1500 over plain memory.
func newTestRing(t *testing.T, n int) ring {
	t.Helper()
	g, err := newGeometry(1500, 4096, n)
	if err != nil {
		t.Fatal(err)
	}
	return ring{mem: make([]byte, g.size()), g: g}
}

// layouts runs f for the ring layouts with and without a virtio_net_hdr.
func layouts(t *testing.T, f func(t *testing.T, vnet bool)) {
	for _, vnet := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "vnet-hdr"}[vnet], func(t *testing.T) { f(t, vnet) })
	}
}

// fill writes an rx frame into frame i as tpacket_rcv does, with a
// virtio_net_hdr asking for nothing if the ring has them.
func fill(r *rxRing, i int, data []byte, wireLen int, pkttype uint8, status uint32) {
	fillVnet(r, i, data, wireLen, pkttype, status, make([]byte, vnetHdrLen))
}

// fillVnet is fill with the virtio_net_hdr vh (ignored without them).
func fillVnet(r *rxRing, i int, data []byte, wireLen int, pkttype uint8, status uint32, vh []byte) {
	f := r.frame(i)
	mac := 66 // TPACKET_ALIGN(52 + 16) - 14
	if r.vnet {
		mac += vnetHdrLen
		copy(f[mac-vnetHdrLen:], vh)
	}
	copy(f[mac:], data)
	ne.PutUint32(f[hdrLen:], uint32(wireLen))
	ne.PutUint32(f[hdrSnaplen:], uint32(len(data)))
	ne.PutUint16(f[hdrMac:], uint16(mac))
	f[sllPkttype] = pkttype
	storeStatus(f, status)
}

func TestRxNext(t *testing.T) { layouts(t, testRxNext) }

func testRxNext(t *testing.T, vnet bool) {
	rx := &rxRing{ring: newTestRing(t, 4), vnet: vnet}
	buf := make([]byte, 2048)
	if _, v, _ := rx.next(buf, false); v != rxEmpty {
		t.Fatalf("empty ring: verdict %d", v)
	}
	a, b := bytes.Repeat([]byte{0xa1}, 60), bytes.Repeat([]byte{0xb2}, 1514)
	fill(rx, 0, a, 60, unix.PACKET_HOST, unix.TP_STATUS_USER)
	fill(rx, 1, b[:1000], 1514, unix.PACKET_HOST, unix.TP_STATUS_USER)                  // truncated
	fill(rx, 2, a, 60, unix.PACKET_OUTGOING, unix.TP_STATUS_USER|unix.TP_STATUS_LOSING) // ours
	fill(rx, 3, b, 1514, unix.PACKET_BROADCAST, unix.TP_STATUS_USER)
	for i, want := range []struct {
		n      int
		v      rxVerdict
		losing bool
	}{{60, rxFrame, false}, {0, rxTruncated, false}, {0, rxOutgoing, true}, {1514, rxFrame, false}, {0, rxEmpty, false}} {
		n, v, losing := rx.next(buf, true)
		if n != want.n || v != want.v || losing != want.losing {
			t.Fatalf("next #%d = %d, %d, %v; want %d, %d, %v", i, n, v, losing, want.n, want.v, want.losing)
		}
		if v == rxFrame && !bytes.Equal(buf[:n], map[int][]byte{60: a, 1514: b}[n]) {
			t.Fatalf("next #%d copied the wrong bytes", i)
		}
	}
	for i := range 4 {
		if st := loadStatus(rx.frame(i)); st != unix.TP_STATUS_KERNEL {
			t.Errorf("frame %d status %#x after reading, want TP_STATUS_KERNEL", i, st)
		}
	}
	// Wrapped to frame 0; an outgoing frame is returned when not filtered,
	// and buf shorter than the frame gets its head.
	fill(rx, 0, b, 1514, unix.PACKET_OUTGOING, unix.TP_STATUS_USER)
	if n, v, _ := rx.next(buf[:100], false); n != 100 || v != rxFrame {
		t.Errorf("after wrap: %d, %d; want 100 bytes of a frame", n, v)
	}
}

// With virtio_net_hdrs: a partial checksum is finished on the way out of
// the ring; a GSO super-frame is dropped as such even when it is also too
// long for the ring; a checksum placed beyond the frame is dropped.
func TestRxVnetHdr(t *testing.T) {
	rx := &rxRing{ring: newTestRing(t, 4), vnet: true}
	complete, partial, start, offset := udpFrames([]byte("a datagram of odd length"))
	gso := bytes.Repeat([]byte{0x45}, 1514)
	fillVnet(rx, 0, partial, len(partial), unix.PACKET_HOST, unix.TP_STATUS_USER|unix.TP_STATUS_CSUMNOTREADY,
		vnetHdr(vnet.FlagNeedsCsum, vnet.GSONone, start, offset))
	fillVnet(rx, 1, gso[:1000], 2962, unix.PACKET_HOST, unix.TP_STATUS_USER, vnetHdr(vnet.FlagNeedsCsum, 1, 34, 16)) // TCPV4
	fillVnet(rx, 2, partial, len(partial), unix.PACKET_HOST, unix.TP_STATUS_USER, vnetHdr(vnet.FlagNeedsCsum, vnet.GSONone, start, len(partial)))
	fillVnet(rx, 3, gso, len(gso), unix.PACKET_HOST, unix.TP_STATUS_USER, vnetHdr(0, 5, 0, 0)) // UDP_L4
	buf := make([]byte, 2048)
	for i, want := range []rxVerdict{rxFrame, rxGSO, rxBadCsum, rxGSO, rxEmpty} {
		n, v, _ := rx.next(buf, false)
		if v != want {
			t.Fatalf("next #%d: verdict %d, want %d", i, v, want)
		}
		if v == rxFrame && !bytes.Equal(buf[:n], complete) {
			t.Fatalf("next #%d: frame with checksum % x, want % x", i, buf[40:42], complete[40:42])
		}
	}
	for i := range 4 {
		if st := loadStatus(rx.frame(i)); st != unix.TP_STATUS_KERNEL {
			t.Errorf("frame %d status %#x after reading, want TP_STATUS_KERNEL", i, st)
		}
	}
}

// A header the kernel should never write is dropped, not followed.
func TestRxBadHeader(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mac, snap int
		vnet      bool
	}{
		{"mac inside the header", 8, 60, false},
		{"snaplen past the frame", 66, 2048, false},
		{"mac past the frame", 4000, 0, false},
		{"mac leaving no room for the virtio_net_hdr", 60, 60, true},
		{"snaplen past the frame, virtio_net_hdr", 76, 2048 - 75, true},
	} {
		rx := &rxRing{ring: newTestRing(t, 2), vnet: tc.vnet}
		f := rx.frame(0)
		ne.PutUint32(f[hdrLen:], uint32(tc.snap))
		ne.PutUint32(f[hdrSnaplen:], uint32(tc.snap))
		ne.PutUint16(f[hdrMac:], uint16(tc.mac))
		storeStatus(f, unix.TP_STATUS_USER)
		if _, v, _ := rx.next(make([]byte, 2048), false); v != rxBad {
			t.Errorf("%s: verdict %d, want rxBad", tc.name, v)
		}
	}
}

// fakeKernel plays tpacket_snd over a txRing's memory: from its own head
// it takes each TP_STATUS_SEND_REQUEST frame in order, and stops at the
// first other one, or at a frame refuse rejects (TP_STATUS_WRONG_FORMAT).
// With virtio_net_hdrs, tp_len counts the header too, and each must ask
// for nothing (all zeros) here.
type fakeKernel struct {
	head int
	sent [][]byte
}

func (k *fakeKernel) send(t *testing.T, tx *txRing, refuse func([]byte) bool) {
	for {
		f := tx.frame(k.head)
		if loadStatus(f) != unix.TP_STATUS_SEND_REQUEST {
			return
		}
		data := f[txData : txData+int(ne.Uint32(f[hdrLen:]))]
		if tx.vnet {
			if vh := data[:vnetHdrLen]; !bytes.Equal(vh, make([]byte, vnetHdrLen)) {
				t.Fatalf("frame with virtio_net_hdr % x, want zeros", vh)
			}
			data = data[vnetHdrLen:]
		}
		if refuse != nil && refuse(data) {
			storeStatus(f, unix.TP_STATUS_WRONG_FORMAT)
			return
		}
		k.sent = append(k.sent, append([]byte(nil), data...))
		storeStatus(f, unix.TP_STATUS_AVAILABLE)
		k.head = tx.g.next(k.head)
	}
}

func numbered(i, size int) []byte { return bytes.Repeat([]byte{byte(i)}, size) }

func TestTxQueueAndReap(t *testing.T) { layouts(t, testTxQueueAndReap) }

func testTxQueueAndReap(t *testing.T, vnet bool) {
	tx := &txRing{ring: newTestRing(t, 4), vnet: vnet}
	k := &fakeKernel{}
	for i := range 4 {
		if !tx.queue(numbered(i, 60+i), nil) {
			t.Fatalf("queue #%d refused on a ring with room", i)
		}
	}
	if tx.free() || tx.queue(numbered(9, 60), nil) {
		t.Fatal("a full ring took a fifth frame")
	}
	k.send(t, tx, nil)
	if taken, refused := tx.reap(); taken != 4 || refused || tx.pending != 0 || tx.head != k.head {
		t.Fatalf("reap = %d, %v; pending %d, head %d (kernel's %d)", taken, refused, tx.pending, tx.head, k.head)
	}
	// A frame still in flight (TP_STATUS_SENDING) keeps its slot.
	storeStatus(tx.frame(0), unix.TP_STATUS_SENDING)
	if tx.free() {
		t.Fatal("slot with a frame in flight reported free")
	}
	storeStatus(tx.frame(0), unix.TP_STATUS_AVAILABLE)
	for i := range 4 {
		if !bytes.Equal(k.sent[i], numbered(i, 60+i)) {
			t.Errorf("frame %d sent as % x...", i, k.sent[i][:4])
		}
	}
}

// A refused frame is dropped; the frames behind it move back a slot, so
// the kernel, whose head stays on the refused slot, sends them in order.
func TestTxDropRefused(t *testing.T) { layouts(t, testTxDropRefused) }

func testTxDropRefused(t *testing.T, vnet bool) {
	tx := &txRing{ring: newTestRing(t, 4), vnet: vnet}
	k := &fakeKernel{}
	tx.queue(numbered(0, 60), nil)
	k.send(t, tx, nil)
	tx.reap()
	for i := 1; i <= 4; i++ { // frames 1..4 fill slots 1, 2, 3, 0
		tx.queue(numbered(i, 60+i), nil)
	}
	refuse2 := func(f []byte) bool { return f[0] == 2 }
	k.send(t, tx, refuse2)
	taken, refused := tx.reap()
	if taken != 1 || !refused || tx.headLen() != 62 {
		t.Fatalf("reap = %d, %v (head frame %d bytes); want 1, true at the 62-byte frame", taken, refused, tx.headLen())
	}
	tx.dropHead()
	if tx.pending != 2 || !tx.free() || !tx.queue(numbered(5, 65), nil) {
		t.Fatalf("after dropping: %d pending, a slot free: %v", tx.pending, tx.free())
	}
	k.send(t, tx, refuse2)
	if taken, refused := tx.reap(); taken != 3 || refused || tx.pending != 0 || tx.head != k.head {
		t.Fatalf("reap = %d, %v; %d pending, head %d (kernel's %d)", taken, refused, tx.pending, tx.head, k.head)
	}
	var got []int
	for _, f := range k.sent {
		got = append(got, int(f[0]))
		if len(f) != 60+int(f[0]) {
			t.Errorf("frame %d sent with %d bytes", f[0], len(f))
		}
	}
	if fmt.Sprint(got) != "[0 1 3 4 5]" {
		t.Errorf("kernel sent frames %v, want [0 1 3 4 5]", got)
	}
}

// discard drops every queued frame and leaves the ring in step with a
// kernel that took none of them.
func TestTxDiscard(t *testing.T) { layouts(t, testTxDiscard) }

func testTxDiscard(t *testing.T, vnet bool) {
	tx := &txRing{ring: newTestRing(t, 4), vnet: vnet}
	k := &fakeKernel{}
	tx.queue(numbered(0, 60), nil)
	k.send(t, tx, nil)
	tx.reap()
	tx.queue(numbered(1, 60), nil)
	tx.queue(numbered(2, 60), nil)
	if n := tx.discard(); n != 2 || tx.pending != 0 || tx.cur != k.head {
		t.Fatalf("discard = %d; pending %d, cur %d (kernel head %d)", n, tx.pending, tx.cur, k.head)
	}
	tx.queue(numbered(3, 60), nil)
	k.send(t, tx, nil)
	if tx.reap(); len(k.sent) != 2 || k.sent[1][0] != 3 {
		t.Fatalf("after discard the kernel sent %d frames, last %d; want frame 3", len(k.sent), k.sent[len(k.sent)-1][0])
	}
}
