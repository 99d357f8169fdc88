//go:build linux

package packet

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev/vnet"
)

// FuzzRxFrame: whatever a ring frame's header claims (lengths, the MAC
// offset, the virtio_net_hdr's flags and checksum position), next returns
// a verdict without a panic, never copies more than the frame holds, hands
// the frame back to the kernel, and moves on.
func FuzzRxFrame(f *testing.F) {
	f.Add(true, uint32(60), uint32(60), uint16(76), byte(0), byte(1), uint16(34), uint16(6), []byte("frame"))
	f.Add(false, uint32(1514), uint32(100), uint16(66), byte(0), byte(0), uint16(0), uint16(0), []byte{})
	f.Add(true, uint32(60), uint32(60), uint16(76), byte(1), byte(1), uint16(0xffff), uint16(0xffff), []byte("x"))
	f.Fuzz(func(t *testing.T, withVnet bool, length, snap uint32, mac uint16, gso, flags byte, csumStart, csumOffset uint16, data []byte) {
		rx := &rxRing{ring: newTestRing(t, 2), vnet: withVnet}
		fr := rx.frame(0)
		copy(fr[min(int(mac), len(fr)):], data)
		if vh := int(mac) - vnetHdrLen; withVnet && vh >= 0 && vh+vnetHdrLen <= len(fr) {
			vnet.Header(fr[vh:]).Set(flags, gso, csumStart, csumOffset)
		}
		// The ring header last: for a small tp_mac the data and the
		// virtio_net_hdr before it overlap tp_len, tp_snaplen and tp_mac,
		// and the checks below hold next to the values written here.
		ne.PutUint32(fr[hdrLen:], length)
		ne.PutUint32(fr[hdrSnaplen:], snap)
		ne.PutUint16(fr[hdrMac:], mac)
		storeStatus(fr, unix.TP_STATUS_USER)
		buf := make([]byte, 2048)
		n, v, _ := rx.next(buf, true)
		if n < 0 || n > len(buf) || n > len(fr) {
			t.Fatalf("copied %d bytes from a %d-byte frame", n, len(fr))
		}
		if v == rxFrame && uint32(n) != min(snap, uint32(len(buf))) {
			t.Fatalf("verdict frame with %d bytes, snaplen %d", n, snap)
		}
		if v != rxFrame && n != 0 {
			t.Fatalf("verdict %d but %d bytes copied", v, n)
		}
		if loadStatus(fr)&unix.TP_STATUS_USER != 0 {
			t.Fatal("frame not handed back to the kernel")
		}
		if _, v, _ := rx.next(buf, true); v != rxEmpty {
			t.Fatalf("the next frame, never filled, gave verdict %d", v)
		}
	})
}
