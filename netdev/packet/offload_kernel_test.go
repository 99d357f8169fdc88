//go:build linux

package packet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/udp"
)

// Kernel-peer tests of checksum offload: the peer's veth keeps its
// default tx offloads (checksumming on), so the kernel leaves UDP
// checksums for the "hardware" to finish.

// udpFrame checks that f is an Ethernet + IPv4 + UDP frame from src to
// dst and returns its UDP datagram, and whether the checksum verifies.
func udpFrame(f []byte, src, dst netip.Addr) (udp.Header, bool, error) {
	if len(f) < 14 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
		return nil, false, fmt.Errorf("not IPv4")
	}
	ih, err := ip.Parse(f[14:])
	if err != nil {
		return nil, false, err
	}
	if ih.Protocol() != ip.ProtoUDP || ih.Src() != src || ih.Dst() != dst {
		return nil, false, fmt.Errorf("IPv4 protocol %d from %v to %v", ih.Protocol(), ih.Src(), ih.Dst())
	}
	uh, err := udp.Parse(f[14+ih.IHL() : 14+ih.TotalLen()])
	if err != nil {
		return nil, false, err
	}
	return uh, uh.Verify(src, dst) == nil, nil
}

// nextUDP returns the next frame from frames that is a UDP datagram from
// src to dst, failing the test after 3 s.
func nextUDP(t *testing.T, frames <-chan []byte, src, dst netip.Addr) (udp.Header, bool) {
	t.Helper()
	deadline := time.After(3 * time.Second)
	for {
		select {
		case f := <-frames:
			if uh, ok, err := udpFrame(f, src, dst); err == nil {
				return uh, ok
			}
		case <-deadline:
			t.Fatal("no UDP datagram from the kernel within 3s")
		}
	}
}

// udpPeer is a kernelPeer whose kernel sends UDP to the driver.
type udpPeer struct {
	us       string        // our namespace
	p        *Packet       // the driver on veth0
	frames   <-chan []byte // what it reads
	conn     *net.UDPConn  // a kernel UDP socket on the peer, connected to port 9 of dst
	src, dst netip.Addr    // the peer's address and ours
}

// newUDPPeer makes a udpPeer on 10.77.subnet.0/24. Nobody answers the
// peer's ARP for us: it learns our MAC by hand.
func newUDPPeer(t *testing.T, subnet int) *udpPeer {
	t.Helper()
	peerAddr := netip.MustParsePrefix(fmt.Sprintf("10.77.%d.2/24", subnet))
	u := &udpPeer{src: peerAddr.Addr(), dst: netip.AddrFrom4([4]byte{10, 77, byte(subnet), 1})}
	var peer string
	u.us, peer, _ = kernelPeer(t, peerAddr)
	u.p = openIn(t, u.us, "veth0", defaultFeatures())
	u.frames = readFrames(u.p)
	nstest.Run(t, peer, "ip", "neigh", "replace", u.dst.String(), "lladdr", u.p.HardwareAddr().String(), "dev", "veth1")
	var c net.Conn
	var err error
	nstest.Do(t, peer, func() { c, err = net.Dial("udp4", netip.AddrPortFrom(u.dst, 9).String()) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	u.conn = c.(*net.UDPConn)
	return u
}

// segment sets the socket's UDP_SEGMENT size (0: off).
func (u *udpPeer) segment(t *testing.T, size int) {
	t.Helper()
	rc, err := u.conn.SyscallConn()
	if err == nil {
		rc.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_SEGMENT, size) })
	}
	if err != nil {
		t.Fatalf("UDP_SEGMENT %d: %v", size, err)
	}
}

// A kernel UDP socket's datagrams, small, odd-sized and as large as the
// MTU allows, reach the driver with their checksums finished, where a
// plain packet socket on the same interface sees them partial.
func TestKernelUDPChecksumFinished(t *testing.T) {
	if !kernelAtLeast(4, 6) {
		nstest.Unavailable(t, "needs Linux 4.6 (PACKET_VNET_HDR with rings)")
	}
	u := newUDPPeer(t, 10)
	plain := peerSocket(t, u.us, "veth0")          // no rings, no virtio_net_hdr: sees what the kernel hands over
	for _, size := range []int{1, 18, 333, 1472} { // 1472: a 1500-byte datagram
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = byte(size + 7*i)
		}
		if _, err := u.conn.Write(payload); err != nil {
			t.Fatal(err)
		}
		uh, ok := nextUDP(t, u.frames, u.src, u.dst)
		if !ok || uh.Checksum() == 0 || !bytes.Equal(uh.Payload(), payload) {
			t.Errorf("%d-byte datagram: checksum %#04x verifies %v, payload intact %v; want a verified checksum",
				size, uh.Checksum(), ok, bytes.Equal(uh.Payload(), payload))
		}
		// The same frame, as the kernel handed it to a plain socket.
		var raw udp.Header
		for _, f := range peerRecv(plain, 0x0800, 1, time.Second) {
			if h, ok, err := udpFrame(f, u.src, u.dst); err == nil && bytes.Equal(h.Payload(), payload) {
				if ok {
					t.Errorf("%d-byte datagram: complete already as the kernel sent it (veth1 tx checksum offload off?): this test shows nothing", size)
				}
				raw = h
			}
		}
		if raw == nil {
			t.Fatalf("%d-byte datagram: the plain socket did not see it", size)
		}
		t.Logf("%d-byte datagram: checksum %#04x as sent (partial), %#04x as read", size, raw.Checksum(), uh.Checksum())
	}
	st := u.p.Stats()
	if n := st.RxBadCsum.Load() + st.RxGSO.Load() + st.RxTruncated.Load(); n != 0 {
		t.Errorf("%d frames dropped (bad checksum header, GSO, truncated)", n)
	}
}

// A kernel UDP socket that asks for segmentation offload (UDP_SEGMENT):
// the peer's veth, with tx-udp-segmentation on by default, hands over one
// GSO super-frame for the three datagrams. The driver drops and counts it
// (RxGSO) rather than pass up one datagram where three were sent. Kernels
// that segment before the veth, or cannot describe UDP GSO in a
// virtio_net_hdr (then the kernel drops it, counted in RxRingDrops), are
// accepted too.
func TestKernelUDPGSODropped(t *testing.T) {
	if !kernelAtLeast(4, 18) {
		nstest.Unavailable(t, "needs Linux 4.18 (UDP_SEGMENT)")
	}
	u := newUDPPeer(t, 11)
	u.segment(t, 500)
	if _, err := u.conn.Write(make([]byte, 1200)); err != nil { // 500 + 500 + 200
		t.Fatal(err)
	}
	// Then one plain datagram, which must arrive whatever became of those.
	u.segment(t, 0)
	if _, err := u.conn.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for {
		uh, ok := nextUDP(t, u.frames, u.src, u.dst)
		if !ok {
			t.Fatalf("%d-byte datagram with a bad checksum", len(uh.Payload()))
		}
		if string(uh.Payload()) == "after" {
			break
		}
		sizes = append(sizes, len(uh.Payload()))
	}
	st := u.p.Stats()
	gso, kernelDrops := st.RxGSO.Load(), st.RxRingDrops.Load()
	switch {
	case gso == 1 && len(sizes) == 0:
		t.Log("the GSO super-frame was dropped and counted")
	case kernelDrops == 1 && len(sizes) == 0:
		t.Log("this kernel cannot describe UDP GSO in a virtio_net_hdr: it dropped the frame")
	case gso == 0 && fmt.Sprint(sizes) == "[500 500 200]":
		t.Log("this kernel segmented before the veth")
	default:
		t.Errorf("read datagrams of %v bytes; RxGSO %d, kernel drops %d", sizes, gso, kernelDrops)
	}
}
