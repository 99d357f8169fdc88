//go:build linux

package packet

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
)

// Kernel-peer tests of the rings: a veth pair, the driver on veth0, a
// plain raw socket on veth1 (peerSocket).

// testFrame is a broadcast frame of EtherType typ carrying two numbers
// (who, seq) and then a fill that depends on both, size bytes in all.
func testFrame(typ uint16, who, seq uint32, size int) []byte {
	f := make([]byte, size)
	copy(f, netdev.BroadcastMAC[:])
	copy(f[6:], []byte{0x02, 0, 0, 0, 0, 0x99})
	binary.BigEndian.PutUint16(f[12:], typ)
	binary.BigEndian.PutUint32(f[14:], who)
	binary.BigEndian.PutUint32(f[18:], seq)
	for i := 22; i < size; i++ {
		f[i] = byte(who*31 + seq + uint32(i))
	}
	return f
}

// parseTestFrame returns a testFrame's numbers, or an error if any byte
// differs from what testFrame wrote.
func parseTestFrame(f []byte, size int) (who, seq uint32, err error) {
	if len(f) < 22 {
		return 0, 0, fmt.Errorf("%d-byte frame", len(f))
	}
	who, seq = binary.BigEndian.Uint32(f[14:]), binary.BigEndian.Uint32(f[18:])
	want := testFrame(binary.BigEndian.Uint16(f[12:]), who, seq, size)
	if string(f) != string(want) {
		return who, seq, fmt.Errorf("frame (%d, %d) corrupt: %d bytes, want %d", who, seq, len(f), size)
	}
	return who, seq, nil
}

// peerRecv reads frames of EtherType typ from the peer socket until it
// has n of them or d passes.
func peerRecv(fd int, typ uint16, n int, d time.Duration) [][]byte {
	var got [][]byte
	buf := make([]byte, 4096)
	for deadline := time.Now().Add(d); len(got) < n && time.Now().Before(deadline); {
		m, _, _, _, err := unix.Recvmsg(fd, buf, nil, 0)
		if err == nil && m >= 14 && binary.BigEndian.Uint16(buf[12:]) == typ {
			got = append(got, append([]byte(nil), buf[:m]...))
		}
	}
	return got
}

// A flood of frames larger than the rx ring, with nobody reading: the
// overflow is counted, every frame read afterwards is whole, in order,
// and the ring still works.
func TestRxRingFlood(t *testing.T) {
	us, peer, _ := kernelPeer(t, netip.MustParsePrefix("10.77.2.2/24"))
	p := openIn(t, us, "veth0", defaultFeatures())
	fd := peerSocket(t, peer, "veth1")
	ringFrames := p.rings.rx.g.frameNr
	sent := 3 * ringFrames
	size := func(seq uint32) int { return 60 + int(seq*97)%1455 } // 60 to 1514 bytes
	for seq := range uint32(sent) {
		peerSend(t, fd, testFrame(benchType, 1, seq, size(seq)))
	}
	frames := readFrames(p)
	got, last := 0, -1
	for quiet := false; !quiet; {
		select {
		case f := <-frames:
			if binary.BigEndian.Uint16(f[12:]) != benchType {
				continue
			}
			_, seq, err := parseTestFrame(f, size(binary.BigEndian.Uint32(f[18:])))
			if err != nil {
				t.Fatal(err)
			}
			if int(seq) <= last {
				t.Fatalf("frame %d after frame %d", seq, last)
			}
			got, last = got+1, int(seq)
		case <-time.After(300 * time.Millisecond):
			quiet = true
		}
	}
	drops := p.Stats().RxRingDrops.Load()
	t.Logf("sent %d frames to a %d-frame ring: read %d, kernel counted %d dropped", sent, ringFrames, got, drops)
	if got < ringFrames/2 || drops == 0 || uint64(got)+drops > uint64(sent) {
		t.Errorf("read %d and %d dropped of %d sent to a %d-frame ring", got, drops, sent, ringFrames)
	}
	// The ring took up again after the overflow.
	peerSend(t, fd, testFrame(benchType, 2, 0, 60))
	select {
	case f := <-frames:
		if who, _, err := parseTestFrame(f, 60); err != nil || who != 2 {
			t.Errorf("after the flood read %v, %v", who, err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no frame read after the flood")
	}
}

// The flush race: goroutines write bursts while the poller sleeps and
// wakes (the peer sends it frames meanwhile). Every frame must reach the
// peer, each writer's in order; run with -race -count=20.
func TestWriteBurstWhilePollerIdle(t *testing.T) {
	const writers, each = 8, 64
	us, peer, _ := kernelPeer(t, netip.MustParsePrefix("10.77.3.2/24"))
	p := openIn(t, us, "veth0", defaultFeatures())
	fd := peerSocket(t, peer, "veth1")
	frames := readFrames(p) // the poller, idle but for the noise
	go func() {
		for range frames {
		}
	}()
	noise := make(chan struct{})
	go func() {
		defer close(noise)
		for i := range uint32(200) {
			unix.Sendmsg(fd, testFrame(benchType+1, 0, i, 60), nil, nil, 0)
			time.Sleep(50 * time.Microsecond)
		}
	}()
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for w := range uint32(writers) {
		wg.Go(func() {
			for seq := range uint32(each) {
				if err := p.WriteFrame(testFrame(benchType, w, seq, 60+int(w))); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	got := peerRecv(fd, benchType, writers*each, 5*time.Second)
	next := make([]uint32, writers)
	for _, f := range got {
		who, seq, err := parseTestFrame(f, 60+int(binary.BigEndian.Uint32(f[14:])))
		if err != nil || who >= writers || seq != next[who] {
			t.Fatalf("frame (%d, %d), want writer %d's frame %d: %v", who, seq, who, next[min(who, writers-1)], err)
		}
		next[who]++
	}
	if len(got) != writers*each {
		t.Fatalf("peer received %d of %d frames (per writer %v); flushes %d",
			len(got), writers*each, next, p.Stats().TxFlushes.Load())
	}
	<-noise
}

// The flush race one frame at a time: each round wakes the poller with a
// frame from the peer and, at the same moment, writes one frame from
// another goroutine, then waits for that frame without waking the poller
// again. A frame left queued as the poller goes to sleep never arrives.
func TestWriteRacesPollerSleep(t *testing.T) {
	const rounds = 300
	us, peer, _ := kernelPeer(t, netip.MustParsePrefix("10.77.6.2/24"))
	p := openIn(t, us, "veth0", defaultFeatures())
	fd := peerSocket(t, peer, "veth1")
	frames := readFrames(p)
	go func() {
		for range frames {
		}
	}()
	for i := range uint32(rounds) {
		peerSend(t, fd, testFrame(benchType+1, 0, i, 60)) // wakes the poller
		// Write 0 to 150 µs later: the poller takes tens of µs to wake
		// and a few to read the frame and head back to sleep.
		for start := time.Now(); time.Since(start) < time.Duration(i%150)*time.Microsecond; {
		}
		if err := p.WriteFrame(testFrame(benchType, 6, i, 60)); err != nil {
			t.Fatal(err)
		}
		got := peerRecv(fd, benchType, 1, time.Second)
		if len(got) != 1 {
			t.Fatalf("round %d: the frame written as the poller went to sleep never left", i)
		}
		if _, seq, err := parseTestFrame(got[0], 60); err != nil || seq != i {
			t.Fatalf("round %d: received frame %d: %v", i, seq, err)
		}
	}
}

// Replies the poller writes while it still has frames to read leave in
// batches, in order.
func TestPollerRepliesInBatches(t *testing.T) {
	const n = 100
	us, peer, _ := kernelPeer(t, netip.MustParsePrefix("10.77.4.2/24"))
	p := openIn(t, us, "veth0", defaultFeatures())
	fd := peerSocket(t, peer, "veth1")
	for seq := range uint32(n) { // queued in the rx ring before the poller runs
		peerSend(t, fd, testFrame(benchType, 3, seq, 100))
	}
	done := echoLoop(p)
	got := peerRecv(fd, benchType, n, 5*time.Second)
	flushes := p.Stats().TxFlushes.Load()
	p.Close()
	<-done
	for i, f := range got {
		if _, seq, err := parseTestFrame(f, 100); err != nil || seq != uint32(i) {
			t.Fatalf("echo %d is frame %d: %v", i, seq, err)
		}
	}
	t.Logf("%d echoes in %d send(2) calls", len(got), flushes)
	if len(got) != n || flushes > n/txBatch+3 {
		t.Errorf("%d of %d echoes in %d flushes; want all, in at most %d", len(got), n, flushes, n/txBatch+3)
	}
}
