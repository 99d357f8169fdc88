//go:build linux

package packet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
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

// A kernel UDP socket's datagrams, small, odd-sized and as large as the
// MTU allows, reach the driver with their checksums finished, where a
// plain packet socket on the same interface sees them partial.
func TestKernelUDPChecksumFinished(t *testing.T) {
	if !kernelAtLeast(4, 6) {
		t.Skip("PACKET_VNET_HDR with rings needs Linux 4.6")
	}
	peerAddr := netip.MustParsePrefix("10.77.10.2/24")
	ourIP := netip.MustParseAddr("10.77.10.1")
	us, peer, _ := kernelPeer(t, peerAddr)
	p := openIn(t, us, "veth0", defaultFeatures())
	plain := peerSocket(t, us, "veth0") // no rings, no virtio_net_hdr: sees what the kernel hands over
	frames := readFrames(p)
	// Nobody answers ARP for us: the peer learns our MAC by hand.
	nstest.Run(t, peer, "ip", "neigh", "replace", ourIP.String(), "lladdr", p.HardwareAddr().String(), "dev", "veth1")
	var conn net.Conn
	var err error
	nstest.Do(t, peer, func() { conn, err = net.Dial("udp4", netip.AddrPortFrom(ourIP, 9).String()) })
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	for _, size := range []int{1, 18, 333, 1472} { // 1472: a 1500-byte datagram
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = byte(size + 7*i)
		}
		if _, err := conn.Write(payload); err != nil {
			t.Fatal(err)
		}
		uh, ok := nextUDP(t, frames, peerAddr.Addr(), ourIP)
		if !ok || uh.Checksum() == 0 || !bytes.Equal(uh.Payload(), payload) {
			t.Errorf("%d-byte datagram: checksum %#04x verifies %v, payload intact %v; want a verified checksum",
				size, uh.Checksum(), ok, bytes.Equal(uh.Payload(), payload))
		}
		// The same frame, as the kernel handed it to a plain socket.
		var raw udp.Header
		for _, f := range peerRecv(plain, 0x0800, 1, time.Second) {
			if h, ok, err := udpFrame(f, peerAddr.Addr(), ourIP); err == nil && bytes.Equal(h.Payload(), payload) {
				if ok {
					t.Errorf("%d-byte datagram: complete already as the kernel sent it (veth1 tx checksum offload off?): this test shows nothing", size)
				}
				raw = h
				break
			}
		}
		if raw == nil {
			t.Fatalf("%d-byte datagram: the plain socket did not see it", size)
		}
		t.Logf("%d-byte datagram: checksum %#04x as sent (partial), %#04x as read", size, raw.Checksum(), uh.Checksum())
	}
	st := p.Stats()
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
		t.Skip("UDP_SEGMENT needs Linux 4.18")
	}
	peerAddr := netip.MustParsePrefix("10.77.11.2/24")
	ourIP := netip.MustParseAddr("10.77.11.1")
	us, peer, _ := kernelPeer(t, peerAddr)
	p := openIn(t, us, "veth0", defaultFeatures())
	frames := readFrames(p)
	nstest.Run(t, peer, "ip", "neigh", "replace", ourIP.String(), "lladdr", p.HardwareAddr().String(), "dev", "veth1")
	var conn net.Conn
	var err error
	nstest.Do(t, peer, func() {
		if conn, err = net.Dial("udp4", netip.AddrPortFrom(ourIP, 9).String()); err != nil {
			return
		}
		var rc syscall.RawConn
		if rc, err = conn.(*net.UDPConn).SyscallConn(); err != nil {
			return
		}
		rc.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_SEGMENT, 500) })
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(make([]byte, 1200)); err != nil { // 500 + 500 + 200
		t.Fatal(err)
	}
	// Then one plain datagram, which must arrive whatever became of those.
	nstest.Do(t, peer, func() {
		rc, _ := conn.(*net.UDPConn).SyscallConn()
		rc.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_SEGMENT, 0) })
	})
	if _, err := conn.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for {
		uh, ok := nextUDP(t, frames, peerAddr.Addr(), ourIP)
		if !ok {
			t.Fatalf("%d-byte datagram with a bad checksum", len(uh.Payload()))
		}
		if string(uh.Payload()) == "after" {
			break
		}
		sizes = append(sizes, len(uh.Payload()))
	}
	st := p.Stats()
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
