//go:build linux

package kerneltest

import (
	"context"
	"encoding/binary"
	"net"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/shell"
)

// kernelSender writes raw frames into the kernel's side of the TAP (so they
// arrive at our stack) through an AF_PACKET socket opened in the namespace.
func kernelSender(t *testing.T, h *tapHost) func(frame []byte) {
	t.Helper()
	fd := kernelPacketSocket(t, h, 0) // protocol 0: it sends, and receives nothing
	return func(frame []byte) {
		if _, err := unix.Write(fd, frame); err != nil {
			t.Errorf("write raw frame of %d bytes: %v", len(frame), err) // Errorf: callers may be subtests
		}
	}
}

// kernelPacketSocket opens an AF_PACKET socket on the kernel's side of
// the TAP, in the namespace, receiving the frames of EtherType proto
// (ETH_P_ALL: all, both ways); it is closed when the test ends.
func kernelPacketSocket(t *testing.T, h *tapHost, proto uint16) int {
	t.Helper()
	var fd int
	var err error
	nstest.Do(t, h.ns, func() {
		var ifc *net.Interface
		if ifc, err = net.InterfaceByName(h.ifc); err != nil {
			return
		}
		if fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(proto))); err != nil {
			return
		}
		err = unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(proto), Ifindex: ifc.Index})
	})
	if err != nil {
		t.Fatalf("packet socket in %s: %v", h.ns, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// htons puts a 16-bit protocol number in network byte order, as
// AF_PACKET's socket and bind take it.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// frame builds an Ethernet frame to dst from the kernel's MAC.
func frame(dst, src netdev.MAC, etherType uint16, payload []byte) []byte {
	f := make([]byte, netdev.EthernetHeaderLen+len(payload))
	e := netdev.Ethernet(f)
	e.SetDst(dst)
	e.SetSrc(src)
	e.SetEtherType(etherType)
	copy(f[netdev.EthernetHeaderLen:], payload)
	return f
}

// echoRequest builds a valid IPv4 ICMP echo request from 10.0.0.2 to us.
func echoRequest() []byte {
	d := make([]byte, ip.HeaderLen+8+16)
	icmpMsg := d[ip.HeaderLen:]
	icmpMsg[0] = 8
	binary.BigEndian.PutUint16(icmpMsg[4:], 0x4242)
	binary.BigEndian.PutUint16(icmpMsg[2:], ip.Checksum(icmpMsg, 0))
	ip.Header(d).Encode(ip.Fields{TotalLen: len(d), TTL: 64, Protocol: ip.ProtoICMP,
		Src: kernelAddr.Addr(), Dst: stackAddr.Addr()})
	return d
}

// A burst of malformed frames of every kind: each is dropped and counted
// under its reason, nothing panics, and the stack still answers ping.
func TestMalformedBurstFromKernel(t *testing.T) {
	h := newTapHost(t)
	send := kernelSender(t, h)
	ours, theirs := h.dev.MAC(), h.kernelMAC(t)
	if got := h.ping(t, "10.0.0.2", 1); got != 1 { // resolve ARP first, so later counts are ours alone
		t.Fatalf("warm-up ping: %d replies", got)
	}
	const burst = 50
	cases := []struct {
		name    string
		frame   func() []byte
		counter func() uint64
	}{
		{"unknown ethertype", func() []byte { return frame(ours, theirs, 0x88b5, make([]byte, 46)) },
			h.dev.Stats.RxUnknownType.Load},
		{"other host's MAC", func() []byte { return frame(netdev.MAC{2, 9, 9, 9, 9, 9}, theirs, netdev.EtherTypeIPv4, echoRequest()) },
			h.dev.Stats.RxOtherHost.Load},
		{"IP header checksum", func() []byte { d := echoRequest(); d[10] ^= 0xff; return frame(ours, theirs, netdev.EtherTypeIPv4, d) },
			h.stack.IP.Stats.InCsumErrors.Load},
		{"IP total length beyond frame", func() []byte {
			d := echoRequest()
			hdr := ip.Header(d)
			hdr.SetTotalLen(1400)
			hdr.UpdateChecksum()
			return frame(ours, theirs, netdev.EtherTypeIPv4, d)
		}, h.stack.IP.Stats.InTruncatedPkts.Load},
		{"IP version 6 in an IPv4 frame", func() []byte { d := echoRequest(); d[0] = 0x65; return frame(ours, theirs, netdev.EtherTypeIPv4, d) },
			h.stack.IP.Stats.InHdrErrors.Load},
		{"ICMP checksum", func() []byte {
			d := echoRequest()
			d[ip.HeaderLen+2] ^= 0x55
			return frame(ours, theirs, netdev.EtherTypeIPv4, d)
		},
			h.stack.ICMP.Stats.InCsumErrors.Load},
		{"ARP with IPv6-sized addresses", func() []byte {
			a := make([]byte, 28)
			a[1], a[2], a[3], a[4], a[5], a[7] = 1, 0x08, 0x00, 6, 16, 1
			return frame(ours, theirs, netdev.EtherTypeARP, a)
		}, h.stack.ARP.Stats.InErrors.Load},
		{"ARP truncated", func() []byte { return frame(ours, theirs, netdev.EtherTypeARP, []byte{0, 1, 8, 0, 6, 4}) },
			h.stack.ARP.Stats.InErrors.Load},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := c.counter()
			for range burst {
				send(c.frame())
			}
			if got := h.ping(t, "10.0.0.2", 1); got != 1 { // also a barrier: the burst was read before the reply
				t.Fatalf("after the burst the stack answers no ping")
			}
			if got := c.counter() - before; got != burst {
				t.Errorf("counter moved by %d, want %d", got, burst)
			}
		})
	}
	out := nstest.Run(t, h.ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.0.1")
	if got := ipingReceived(t, out); !strings.HasPrefix(got, "3 packets transmitted, 3 received") {
		t.Errorf("kernel ping after the bursts: %s", got)
	}
}

// debug shows why a malformed frame was dropped.
func TestDebugShowsDropReason(t *testing.T) {
	h := newTapHost(t)
	send := kernelSender(t, h)
	var out syncbuf.Buffer
	sh := shell.New(h.stack, &out, &out)
	if err := sh.Execute(context.Background(), "debug -n ip icmp"); err != nil {
		t.Fatal(err)
	}
	d := echoRequest()
	d[10] ^= 0xff // break the IP header checksum
	send(frame(h.dev.MAC(), h.kernelMAC(t), netdev.EtherTypeIPv4, d))
	d = echoRequest()
	d[ip.HeaderLen+2] ^= 0x55 // break the ICMP checksum
	send(frame(h.dev.MAC(), h.kernelMAC(t), netdev.EtherTypeIPv4, d))
	if got := h.ping(t, "10.0.0.2", 1); got != 1 {
		t.Fatal("no ping reply after the bad frames")
	}
	sh.Execute(context.Background(), "debug -c")
	for _, re := range []string{
		`(?m)^ip   x  gtap0\s+IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP.*: dropped: ip: checksum 0x[0-9a-f]{4}: bad header checksum$`,
		`(?m)^icmp x  gtap0\s+.*: dropped: icmp: bad checksum 0x[0-9a-f]{4}$`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("debug output lacks %s:\n%s", re, out.String())
		}
	}
}
