//go:build linux

package packet

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/netdev"
)

// benchType is a local experimental EtherType (IEEE 802 "local
// experimental 1") that nothing else on the test's veth sends.
const benchType = 0x88b5

// peerSocket opens a plain raw packet socket (no rings) on iface inside
// ns: the kernel-side end of a test. It blocks in receive for at most 50 ms
// (then EAGAIN) and buffers 4 MiB of frames. Tests send and receive on it
// with sendmsg/recvmsg, so a syscall count (strace -c) tells its calls
// from the driver's.
func peerSocket(tb testing.TB, ns, iface string) int {
	tb.Helper()
	var fd int
	var err error
	nstest.Do(tb, ns, func() {
		var s socket
		s, err = openSocket(iface, true)
		fd = s.fd
		if err == nil {
			err = errors.Join(unix.SetNonblock(fd, false),
				unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20),
				unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 50000}))
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { unix.Close(fd) })
	return fd
}

// peerSend sends f from the peer socket.
func peerSend(tb testing.TB, fd int, f []byte) {
	tb.Helper()
	for {
		err := unix.Sendmsg(fd, f, nil, nil, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		return
	}
}

// echoLoop is the driver's side of the echo: the poller's loop, reading
// frames and writing each straight back, until the driver is closed.
func echoLoop(p *Packet) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, err := p.ReadFrame(buf)
			if errors.Is(err, netdev.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			p.WriteFrame(buf[:n])
		}
	}()
	return done
}

// cpuTime is the process's user and system CPU time so far, in ns: the
// driver's and the kernel's work for both ends of the echo.
func cpuTime() int64 {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchFrame is a broadcast frame of benchType, 60 bytes.
func benchFrame(src netdev.MAC) []byte {
	f := make([]byte, 60)
	copy(f, netdev.BroadcastMAC[:])
	copy(f[6:], src[:])
	binary.BigEndian.PutUint16(f[12:], benchType)
	return f
}

// BenchmarkPacketEcho is a closed-loop echo over a veth pair: a raw socket
// on the kernel's end sends w frames, the driver reads each and writes it
// back, the socket reads the w echoes. One op is one frame echoed;
// cpu-ns/op is the CPU time of the whole process (both ends, and the
// kernel's work for them) per op. Run it under strace -c -f to count the
// system calls per op. The -plain runs open the driver without the
// virtio_net_hdr (as on Linux < 4.6), to show what the header costs.
func BenchmarkPacketEcho(b *testing.B) {
	for _, tc := range []struct {
		name string
		w    int
		f    features
	}{
		{"w1", 1, defaultFeatures()},
		{"w32", 32, defaultFeatures()},
		{"w1-plain", 1, features{ignoreOutgoing: true}},
		{"w32-plain", 32, features{ignoreOutgoing: true}},
	} {
		w := tc.w
		b.Run(tc.name, func(b *testing.B) {
			us, peer, _ := kernelPeer(b, netip.MustParsePrefix("10.77.9.2/24"))
			p := openIn(b, us, "veth0", tc.f)
			done := echoLoop(p)
			fd := peerSocket(b, peer, "veth1")
			out := benchFrame(netdev.MAC{0x02, 0, 0, 0, 0, 1})
			in := make([]byte, 2048)
			cpu0 := cpuTime()
			lost := 0
			b.ResetTimer()
			for sent := 0; sent < b.N; {
				batch := min(w, b.N-sent)
				for range batch {
					peerSend(b, fd, out)
				}
				progress := time.Now()
				for got := 0; got < batch; {
					n, _, _, _, err := unix.Recvmsg(fd, in, nil, 0)
					if err == unix.EAGAIN || err == unix.EINTR { // the 50 ms timeout; a signal
						if time.Since(progress) > time.Second { // a frame lost on the veth: count it, go on
							lost += batch - got
							break
						}
						continue
					}
					if err != nil {
						b.Fatal(err)
					}
					if n >= 14 && binary.BigEndian.Uint16(in[12:]) == benchType {
						got++
						progress = time.Now()
					}
				}
				sent += batch
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(lost)/float64(b.N), "lost/op")
			p.Close()
			<-done
		})
	}
}
