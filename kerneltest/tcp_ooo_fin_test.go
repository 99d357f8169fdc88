//go:build linux

package kerneltest

import (
	"io"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/tcp"
)

// Linux, the reference for tcp/'s TestOutOfOrderFIN: a lone FIN past a
// hole gets a duplicate ACK at once, with a SACK block for the FIN's own
// sequence number; once the hole is filled the FIN is taken in order
// (the kernel's reader sees the data, then EOF). The segments are crafted
// on the 4-tuple of a connection our stack opened, sent through our IP
// layer; the kernel's answers are read off its side of the TAP.
func TestTCPKernelOutOfOrderFIN(t *testing.T) {
	h := newTapHost(t)
	sniff := kernelSniffer(t, h)
	ours, kc := stackDialKernel(t, h, kernelListen(t, h, "10.0.0.2:9300"))
	defer ours.Close()
	defer kc.Close()
	local := netip.MustParseAddrPort(ours.LocalAddr().String())

	ours.Write([]byte("x")) // its header gives the sequence numbers and timestamps in force
	x := sniff(t, "our one-byte segment", func(s tcp.Header) bool {
		return s.SrcPort() == local.Port() && len(s.Payload()) == 1
	})
	var xo tcp.Options
	if err := xo.Parse(x.RawOptions()); err != nil || !xo.HasTimestamp {
		t.Fatalf("our segment %s: options %v, %v; want timestamps", x, xo, err)
	}
	next := x.Seq().Add(1) // the kernel's RCV.NXT once "x" is in
	send := func(seq tcp.Seq, flags tcp.Flags, data []byte) {
		o := tcp.Options{HasTimestamp: true, TSVal: xo.TSVal, TSEcr: xo.TSEcr}
		sendCrafted(t, h, local, tcp.Fields{Seq: seq, Ack: x.Ack(), Flags: flags, Window: x.Window()}, &o, data)
	}

	send(next.Add(100), tcp.FlagFIN|tcp.FlagACK, nil) // 100 bytes missing before it
	dup := sniff(t, "the kernel's duplicate ACK with a SACK block", func(s tcp.Header) bool {
		var o tcp.Options
		return s.DstPort() == local.Port() && o.Parse(s.RawOptions()) == nil && o.NumSACK > 0
	})
	var o tcp.Options
	o.Parse(dup.RawOptions())
	want := tcp.SACKBlock{Left: next.Add(100), Right: next.Add(101)}
	if dup.Ack() != next || o.NumSACK != 1 || o.SACK[0] != want {
		t.Errorf("the kernel answered %s; want ack %d with the one SACK block %d:%d",
			dup, uint32(next), uint32(want.Left), uint32(want.Right))
	}

	send(next, tcp.FlagACK, make([]byte, 100)) // the hole filled: data, then the FIN in order
	kc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(kc)
	if err != nil || len(got) != 1+100 {
		t.Errorf("the kernel read %d bytes, then %v; want 101 then EOF", len(got), err)
	}
}

// sendCrafted sends one TCP segment from our stack's address, through its
// IP layer, with the fields given (ports filled in from local).
func sendCrafted(t *testing.T, h *tapHost, local netip.AddrPort, f tcp.Fields, o *tcp.Options, data []byte) {
	t.Helper()
	var raw [tcp.MaxOptionsLen]byte
	k := o.Encode(raw[:])
	pk := h.stack.Pool.Get(tcp.HeaderLen + k + len(data))
	b := pk.Append(tcp.HeaderLen + k + len(data))
	copy(b[tcp.HeaderLen:], raw[:k])
	copy(b[tcp.HeaderLen+k:], data)
	f.SrcPort, f.DstPort = local.Port(), 9300
	f.Src, f.Dst = local.Addr(), kernelAddr.Addr()
	tcp.Header(b).Encode(f, k)
	if err := h.stack.IP.Output(pk, f.Src, f.Dst, ip.ProtoTCP, ip.Options{}); err != nil {
		t.Fatal(err)
	}
}

// kernelSniffer reads the TCP segments crossing the kernel's side of the
// TAP (both ways) through an AF_PACKET socket in the namespace; the
// function it returns waits up to 10 s for one that match accepts.
func kernelSniffer(t *testing.T, h *tapHost) func(t *testing.T, what string, match func(tcp.Header) bool) tcp.Header {
	t.Helper()
	fd := kernelPacketSocket(t, h, unix.ETH_P_ALL)
	tv := unix.NsecToTimeval(int64(200 * time.Millisecond)) // a read returns to check the deadline
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T, what string, match func(tcp.Header) bool) tcp.Header {
		t.Helper()
		buf := make([]byte, 65536)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			n, err := unix.Read(fd, buf)
			if err != nil {
				continue // the read timeout: look at the clock again
			}
			if s, ok := tcpOf(buf[:n]); ok && match(s) {
				return s
			}
		}
		t.Fatalf("no %s within 10 s", what)
		return nil
	}
}

// tcpOf returns the TCP segment in an Ethernet frame, a copy, if it
// holds one.
func tcpOf(frame []byte) (tcp.Header, bool) {
	e, err := netdev.ParseEthernet(frame)
	if err != nil || e.EtherType() != netdev.EtherTypeIPv4 {
		return nil, false
	}
	d, err := ip.Parse(frame[netdev.EthernetHeaderLen:])
	if err != nil || d.Protocol() != ip.ProtoTCP {
		return nil, false
	}
	end := netdev.EthernetHeaderLen + min(d.TotalLen(), len(frame)-netdev.EthernetHeaderLen)
	s, err := tcp.Parse(frame[netdev.EthernetHeaderLen+d.IHL() : end])
	if err != nil {
		return nil, false
	}
	return append(tcp.Header(nil), s...), true
}
