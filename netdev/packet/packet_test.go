//go:build linux

package packet

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/netdev"
)

// kernelPeer makes two namespaces joined by a veth pair: "us" holds veth0,
// unaddressed, for the driver; "peer" holds veth1 with peerAddr, the kernel
// that answers. It returns the namespaces and veth1's MAC.
func kernelPeer(t testing.TB, peerAddr netip.Prefix) (us, peer string, peerMAC netdev.MAC) {
	t.Helper()
	nstest.RequireRoot(t)
	us = nstest.NewNetns(t, "pkt-us")
	peer = nstest.NewNetns(t, "pkt-peer")
	nstest.Run(t, us, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", peer)
	// No IPv6 on either end: nothing but the test's frames crosses the link.
	nstest.Exec(us, "sysctl", "-qw", "net.ipv6.conf.veth0.disable_ipv6=1")
	nstest.Run(t, us, "ip", "link", "set", "veth0", "up")
	nstest.Exec(peer, "sysctl", "-qw", "net.ipv6.conf.veth1.disable_ipv6=1")
	nstest.Run(t, peer, "ip", "addr", "add", peerAddr.String(), "dev", "veth1")
	nstest.Run(t, peer, "ip", "link", "set", "veth1", "up")
	out := nstest.Run(t, peer, "cat", "/sys/class/net/veth1/address")
	mac, err := netdev.ParseMAC(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	return us, peer, mac
}

// openIn opens the driver on iface from inside namespace ns, using the
// kernel features f.
func openIn(t testing.TB, ns, iface string, f features) *Packet {
	t.Helper()
	var p *Packet
	var err error
	nstest.Do(t, ns, func() { p, err = open(iface, f) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// arpRequest builds a broadcast Ethernet + ARP request (RFC 826) from
// (mac, ip) asking for target.
func arpRequest(mac netdev.MAC, ip, target netip.Addr) []byte {
	f := make([]byte, 42)
	copy(f[0:6], netdev.BroadcastMAC[:])
	copy(f[6:12], mac[:])
	binary.BigEndian.PutUint16(f[12:], 0x0806)
	binary.BigEndian.PutUint16(f[14:], 1)      // htype Ethernet
	binary.BigEndian.PutUint16(f[16:], 0x0800) // ptype IPv4
	f[18], f[19] = 6, 4
	binary.BigEndian.PutUint16(f[20:], 1) // request
	copy(f[22:28], mac[:])
	copy(f[28:32], ip.AsSlice())
	copy(f[38:42], target.AsSlice())
	return f
}

// isARPReply reports whether f is an ARP reply from (mac, ip) to us.
func isARPReply(f []byte, mac netdev.MAC, ip netip.Addr, us netdev.MAC) bool {
	return len(f) >= 42 && bytes.Equal(f[0:6], us[:]) &&
		binary.BigEndian.Uint16(f[12:]) == 0x0806 &&
		binary.BigEndian.Uint16(f[20:]) == 2 &&
		bytes.Equal(f[22:28], mac[:]) && bytes.Equal(f[28:32], ip.AsSlice())
}

// readFrames runs ReadFrame on a goroutine and delivers copies of frames;
// the channel closes when the driver is closed.
func readFrames(p *Packet) <-chan []byte {
	c := make(chan []byte, 64)
	go func() {
		defer close(c)
		buf := make([]byte, 2048)
		for {
			n, err := p.ReadFrame(buf)
			if err != nil {
				return
			}
			c <- append([]byte(nil), buf[:n]...)
		}
	}()
	return c
}

func TestKernelARP(t *testing.T) {
	all := defaultFeatures()
	for _, tc := range []struct {
		name string
		f    features
	}{
		{"PACKET_IGNORE_OUTGOING", all},
		{"ring-pkttype-filter", features{ignoreOutgoing: false, vnetHdr: all.vnetHdr}},
		{"no-vnet-hdr", features{ignoreOutgoing: all.ignoreOutgoing, vnetHdr: false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peerAddr := netip.MustParsePrefix("10.77.0.2/24")
			ourIP := netip.MustParseAddr("10.77.0.1")
			us, _, peerMAC := kernelPeer(t, peerAddr)
			p := openIn(t, us, "veth0", tc.f)
			if got := p.Kind(); got != "packet" {
				t.Errorf("Kind() = %q, want packet", got)
			}
			if tc.f.ignoreOutgoing && p.filterOutgoing {
				t.Logf("kernel lacks PACKET_IGNORE_OUTGOING; filtering by pkttype")
			}
			mac := p.HardwareAddr()
			if mac.IsZero() || mac.IsMulticast() {
				t.Fatalf("HardwareAddr() = %v, want veth0's unicast MAC", mac)
			}
			frames := readFrames(p)

			// The kernel never loops a packet socket's frames back to that
			// same socket, but it does hand every other outgoing frame of the
			// interface (the host's, another socket's) to all ETH_P_ALL
			// sockets marked PACKET_OUTGOING. A second socket sends a frame
			// of a local experimental EtherType before our ARP request: were
			// outgoing frames not dropped, it would arrive before the reply.
			other := openIn(t, us, "veth0", defaultFeatures())
			marker := make([]byte, 60)
			copy(marker, netdev.BroadcastMAC[:])
			copy(marker[6:], mac[:])
			binary.BigEndian.PutUint16(marker[12:], 0x88b5)
			copy(marker[14:], "gotapip loop check")
			if err := other.WriteFrame(marker); err != nil {
				t.Fatal(err)
			}
			req := arpRequest(mac, ourIP, peerAddr.Addr())
			if err := p.WriteFrame(req); err != nil {
				t.Fatal(err)
			}

			deadline := time.After(5 * time.Second)
			for {
				select {
				case f, ok := <-frames:
					if !ok {
						t.Fatal("driver closed before the kernel's ARP reply arrived")
					}
					if bytes.Equal(f, marker) || bytes.Equal(f, req) {
						t.Fatalf("read back an outgoing frame % x", f[:min(len(f), 24)])
					}
					if isARPReply(f, peerMAC, peerAddr.Addr(), mac) {
						return
					}
				case <-deadline:
					t.Fatal("no ARP reply from the kernel within 5s")
				}
			}
		})
	}
}

func TestOpenMissingInterface(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.NewNetns(t, "pkt-none")
	var err error
	nstest.Do(t, ns, func() { _, err = Open("nosuch0") })
	if err == nil || !strings.Contains(err.Error(), "no such interface") {
		t.Fatalf("Open(nosuch0) = %v, want a 'no such interface' error", err)
	}
	nstest.Do(t, ns, func() { _, err = Open("lo") })
	if err == nil || !strings.Contains(err.Error(), "not an Ethernet interface") {
		t.Fatalf("Open(lo) = %v, want a 'not an Ethernet interface' error", err)
	}
}
