//go:build linux

package kerneltest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/shell"
	"github.com/gotapip/gotapip/udp"
)

// kernelUDP opens a kernel UDP socket inside the test's namespace: bound to
// laddr, or connected to raddr when raddr is not empty.
func kernelUDP(t *testing.T, h *tapHost, laddr, raddr string) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	nstest.Do(t, h.ns, func() {
		if raddr != "" {
			c, err = net.Dial("udp4", raddr)
			return
		}
		var pc net.PacketConn
		pc, err = net.ListenPacket("udp4", laddr)
		if err == nil {
			c = pc.(*net.UDPConn)
		}
	})
	if err != nil {
		t.Fatalf("kernel UDP socket in %s: %v", h.ns, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func stackListen(t *testing.T, h *tapHost, laddr string) *udp.Socket {
	t.Helper()
	s, err := h.stack.UDP.Listen(netip.MustParseAddrPort(laddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func stackRecv(t *testing.T, s *udp.Socket) ([]byte, netip.AddrPort) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	buf := make([]byte, udp.MaxPayload)
	n, from, err := s.RecvFrom(ctx, buf)
	if err != nil {
		t.Fatalf("stack RecvFrom on %v: %v", s.LocalAddr(), err)
	}
	return buf[:n], from
}

// shellLine runs a shell command in the background; wait returns its
// output once it has ended by itself.
func shellLine(t *testing.T, h *tapHost, line string, port uint16) (wait func() string) {
	t.Helper()
	var out, errOut bytes.Buffer
	sh := shell.New(h.stack, &out, &errOut)
	done := make(chan error, 1)
	go func() { done <- sh.Execute(context.Background(), line) }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		bound := false
		for _, s := range h.stack.UDP.Sockets() {
			bound = bound || s.Local.Port() == port
		}
		if bound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q bound no socket on port %d", line, port)
		}
	}
	return func() string {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v\n%s", line, err, errOut.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%q did not end", line)
		}
		return out.String()
	}
}

// A datagram from the stack arrives at a kernel socket with its payload
// and our address and port as the source.
func TestUDPStackToKernelSocket(t *testing.T) {
	h := newTapHost(t)
	k := kernelUDP(t, h, "10.0.0.2:9000", "").(*net.UDPConn)
	s, err := h.stack.UDP.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.SendTo([]byte("hello from gotapip"), netip.MustParseAddrPort("10.0.0.2:9000")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	n, from, err := k.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("kernel read: %v", err)
	}
	if string(buf[:n]) != "hello from gotapip" || from != netip.AddrPortFrom(stackAddr.Addr(), s.LocalAddr().Port()) {
		t.Errorf("kernel got %q from %v; want our datagram from 10.0.0.1:%d", buf[:n], from, s.LocalAddr().Port())
	}
}

// A kernel socket's datagram is printed by udp listen.
func TestUDPKernelToListenCommand(t *testing.T) {
	h := newTapHost(t)
	wait := shellLine(t, h, "udp listen -c 1 5000", 5000)
	k := kernelUDP(t, h, "10.0.0.2:0", "").(*net.UDPConn)
	if _, err := k.WriteToUDPAddrPort([]byte("hi from the kernel\n"), netip.MustParseAddrPort("10.0.0.1:5000")); err != nil {
		t.Fatal(err)
	}
	out := wait()
	want := `^10\.0\.0\.2:` + regexp.QuoteMeta(itoa(k.LocalAddr().(*net.UDPAddr).Port)) + ` length 19: hi from the kernel\n$`
	if !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("udp listen printed %q, want %s", out, want)
	}
}

// udp listen -e echoes to a kernel client.
func TestUDPListenEchoesToKernelClient(t *testing.T) {
	h := newTapHost(t)
	wait := shellLine(t, h, "udp listen -e -c 2 7", 7)
	k := kernelUDP(t, h, "", "10.0.0.1:7")
	buf := make([]byte, 2048)
	for _, msg := range []string{"echo me", "and me"} {
		if _, err := k.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		n, err := k.Read(buf)
		if err != nil || string(buf[:n]) != msg {
			t.Fatalf("kernel client read %q, %v; want %q echoed", buf[:n], err, msg)
		}
	}
	wait()
}

// A connected kernel socket sending to a closed port of ours reads
// ECONNREFUSED: we sent ICMP port unreachable.
func TestUDPKernelClientGetsConnectionRefused(t *testing.T) {
	h := newTapHost(t)
	k := kernelUDP(t, h, "", "10.0.0.1:9999")
	if _, err := k.Write([]byte("anyone?")); err != nil {
		t.Fatal(err)
	}
	_, err := k.Read(make([]byte, 100))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("kernel Read after sending to a closed port: %v, want connection refused", err)
	}
	if n := h.stack.UDP.Stats.NoPorts.Load(); n != 1 {
		t.Errorf("NoPorts = %d, want 1", n)
	}
}

// And the other way: our connected socket hears the kernel's port
// unreachable as connection refused.
func TestUDPStackClientGetsConnectionRefused(t *testing.T) {
	h := newTapHost(t)
	s, err := h.stack.UDP.Dial(netip.MustParseAddrPort("10.0.0.2:9999"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Send([]byte("anyone?"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Recv(ctx, make([]byte, 100)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Recv: %v, want connection refused", err)
	}
}

// udpDatagram builds an IPv4+UDP datagram from the kernel's side to us.
func udpDatagram(sport, dport uint16, payload string) []byte {
	d := make([]byte, ip.HeaderLen+udp.HeaderLen+len(payload))
	u := udp.Header(d[ip.HeaderLen:])
	copy(u.Payload(), payload)
	u.Encode(udp.Fields{SrcPort: sport, DstPort: dport, Src: kernelAddr.Addr(), Dst: stackAddr.Addr()})
	ip.Header(d[:ip.HeaderLen]).Encode(ip.Fields{TotalLen: len(d), TTL: 64, Protocol: ip.ProtoUDP,
		Src: kernelAddr.Addr(), Dst: stackAddr.Addr()})
	return d
}

// Crafted frames: a zero checksum (none computed) is accepted; a wrong one
// is dropped and counted; lengths that lie are dropped and counted.
func TestUDPChecksumsFromRawFrames(t *testing.T) {
	h := newTapHost(t)
	send := kernelSender(t, h)
	ours, theirs := h.dev.MAC(), h.kernelMAC(t)
	s := stackListen(t, h, "0.0.0.0:6000")
	st := &h.stack.UDP.Stats
	raw := func(d []byte) { send(frame(ours, theirs, netdev.EtherTypeIPv4, d)) }

	zero := udpDatagram(1111, 6000, "no checksum")
	zero[ip.HeaderLen+6], zero[ip.HeaderLen+7] = 0, 0
	raw(zero)
	if got, from := stackRecv(t, s); string(got) != "no checksum" || from != netip.MustParseAddrPort("10.0.0.2:1111") {
		t.Errorf("zero-checksum datagram: got %q from %v", got, from)
	}

	bad := udpDatagram(1111, 6000, "bad checksum")
	bad[ip.HeaderLen+6] ^= 0x5a
	long := udpDatagram(1111, 6000, "length too long")
	long[ip.HeaderLen+5] += 4 // UDP length beyond the IP payload
	short := udpDatagram(1111, 6000, "x")
	short[ip.HeaderLen+4], short[ip.HeaderLen+5] = 0, 7 // below the header's 8
	for _, d := range [][]byte{bad, long, short} {
		raw(d)
	}
	raw(udpDatagram(1111, 6000, "good")) // a barrier: frames arrive in order
	if got, _ := stackRecv(t, s); string(got) != "good" {
		t.Errorf("after the bad datagrams the socket read %q, want the good one", got)
	}
	if st.InCsumErrors.Load() != 1 || st.InErrors.Load() != 3 || st.InDatagrams.Load() != 2 {
		t.Errorf("InCsumErrors %d, InErrors %d, InDatagrams %d; want 1, 3, 2",
			st.InCsumErrors.Load(), st.InErrors.Load(), st.InDatagrams.Load())
	}
}

// The largest datagram that fits a 1500-byte MTU unfragmented (1472 bytes
// of data) crosses both ways.
func TestUDP1472BytesBothWays(t *testing.T) {
	h := newTapHost(t)
	if h.dev.MTU() != 1500 {
		t.Fatalf("MTU %d", h.dev.MTU())
	}
	payload := bytes.Repeat([]byte("gotapip!"), 184) // 1472
	k := kernelUDP(t, h, "10.0.0.2:9001", "").(*net.UDPConn)
	s := stackListen(t, h, "0.0.0.0:9002")
	if _, err := s.SendTo(payload, netip.MustParseAddrPort("10.0.0.2:9001")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, from, err := k.ReadFromUDPAddrPort(buf)
	if err != nil || !bytes.Equal(buf[:n], payload) {
		t.Fatalf("kernel read %d bytes (%v), want the 1472 sent", n, err)
	}
	if _, err := k.WriteToUDPAddrPort(payload, from); err != nil {
		t.Fatal(err)
	}
	if got, _ := stackRecv(t, s); !bytes.Equal(got, payload) {
		t.Errorf("stack read %d bytes, want the 1472 sent", len(got))
	}
}

// The kernel's subnet broadcast reaches our wildcard socket.
func TestUDPKernelBroadcast(t *testing.T) {
	h := newTapHost(t)
	s := stackListen(t, h, "0.0.0.0:5001")
	k := kernelUDP(t, h, "10.0.0.2:0", "").(*net.UDPConn)
	if _, err := k.WriteToUDPAddrPort([]byte("to all"), netip.MustParseAddrPort("10.0.0.255:5001")); err != nil {
		t.Fatal(err)
	}
	if got, _ := stackRecv(t, s); string(got) != "to all" {
		t.Errorf("broadcast: got %q", got)
	}
}

func itoa(n int) string {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(n)).String()[len("0.0.0.0:"):]
}
