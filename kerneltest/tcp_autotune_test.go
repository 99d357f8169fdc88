//go:build linux

package kerneltest

import (
	"context"
	"crypto/sha256"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/tcp"
)

// 50 MB from a kernel sender into our stack with receive buffer
// autotuning on (the default): every byte arrives, our buffer grew past
// tcp_rmem's default towards its max, and the kernel saw our advertised
// window grow with it (its tcpi_snd_wnd, sampled after each megabyte).
func TestTCPReceiveAutotuningAgainstKernel(t *testing.T) {
	const size = 50 << 20
	h := newTapHost(t)
	conn, theirs := kernelDialStack(t, h, h, "7500")
	ours := conn.(*tcp.Conn)
	ours.SetReadDeadline(time.Now().Add(sncTimeout))

	type result struct {
		sum [32]byte
		n   int64
		err error
	}
	got := make(chan result, 1)
	go func() {
		var r result
		r.sum, r.n, r.err = stacktest.HashStream(ours)
		got <- r
	}()
	data := stacktest.RandomBytes(size, 3)
	theirs.SetWriteDeadline(time.Now().Add(sncTimeout))
	maxSndWnd := 0
	for off := 0; off < size; off += 1 << 20 {
		if _, err := theirs.Write(data[off : off+1<<20]); err != nil {
			t.Fatalf("kernel sender: %v", err)
		}
		maxSndWnd = max(maxSndWnd, kernelSndWnd(t, theirs))
	}
	theirs.(*net.TCPConn).CloseWrite()
	r := <-got
	if r.err != nil || r.n != size || r.sum != sha256.Sum256(data) {
		t.Fatalf("received %d of %d bytes (%v), SHA-256 equal: %v", r.n, size, r.err, r.sum == sha256.Sum256(data))
	}
	in, def := ours.Info(), tcp.DefaultConfig().Rmem
	st := &h.stack.TCP.Stats
	t.Logf("segments in %d, out %d (ACKs: one a batch)", st.InSegs.Load(), st.OutSegs.Load())
	t.Logf("our receive buffer %d (default %d, max %d), rcv_rtt %v rcv_space %d; the kernel's largest snd_wnd %d",
		in.RcvBuf, def[1], def[2], in.RcvRTT, in.RcvSpace, maxSndWnd)
	if in.RcvBuf <= def[1] || in.RcvBuf > def[2] {
		t.Errorf("our receive buffer is %d bytes after 50 MB, want grown past tcp_rmem's default %d, at most its max %d", in.RcvBuf, def[1], def[2])
	}
	if maxSndWnd <= def[1] {
		t.Errorf("the kernel's send window was at most %d, want our window advertised past %d", maxSndWnd, def[1])
	}
}

// kernelSndWnd is the peer's window as the kernel's socket c sees it
// (TCP_INFO's tcpi_snd_wnd, Linux 6.2 on).
func kernelSndWnd(t *testing.T, c net.Conn) int {
	t.Helper()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	var serr error
	raw.Control(func(fd uintptr) { info, serr = unix.GetsockoptTCPInfo(int(fd), syscall.IPPROTO_TCP, syscall.TCP_INFO) })
	if serr != nil {
		t.Fatalf("TCP_INFO: %v", serr)
	}
	return int(info.Snd_wnd)
}

// 16 MB from our stack to a kernel receiver: the send buffer, 16 KB at
// first (tcp_wmem's default), grows with the congestion window as Writes
// find it full (Linux's tcp_sndbuf_expand), up to tcp_wmem's max, so
// the window, not the buffer, limits the sender.
func TestTCPSendBufferGrowsAgainstKernel(t *testing.T) {
	const size = 16 << 20
	h := newTapHost(t)
	ln := kernelListen(t, h, "10.0.0.2:7600")
	got := make(chan hashed, 1)
	go func() { got <- hashAccepted(ln) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := h.stack.DialContext(ctx, "tcp", "10.0.0.2:7600")
	if err != nil {
		t.Fatal(err)
	}
	ours := c.(*tcp.Conn)
	defer ours.Close()
	ours.SetWriteDeadline(time.Now().Add(sncTimeout))
	data := stacktest.RandomBytes(size, 4)
	if _, err := ours.Write(data); err != nil {
		t.Fatal(err)
	}
	in, def := ours.Info(), tcp.DefaultConfig().Wmem
	ours.CloseWrite()
	r := <-got
	if r.err != nil || r.n != size || r.sum != sha256.Sum256(data) {
		t.Fatalf("the kernel received %d of %d bytes (%v), SHA-256 equal: %v", r.n, size, r.err, r.sum == sha256.Sum256(data))
	}
	t.Logf("our send buffer %d (default %d, max %d), cwnd %d segments", in.SndBuf, def[1], def[2], in.Cwnd)
	if in.SndBuf <= def[1] || in.SndBuf > def[2] {
		t.Errorf("our send buffer is %d bytes after a 16 MB write, want grown past tcp_wmem's default %d, at most its max %d", in.SndBuf, def[1], def[2])
	}
}
