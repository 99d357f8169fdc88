package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/rawfile"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// One readv fills the virtio-net header, a small head view and a 64 KB
// body view. The head holds the frame's headers on their own: gVisor
// copies a whole view before it touches headers in a view whose chunk is
// shared (Buffer.PullUp), so that copy is 128 bytes, not 64 KB (fdbased
// splits its reads for the same reason). Frames up to copyLimit bytes are
// copied into one buffer of their size and both views are read into
// again; a larger frame keeps its views and the reader takes new ones.
const (
	rxHeadLen = 128                 // Ethernet + IPv4 + TCP with timestamps
	rxBodyLen = buffer.MaxChunkSize // a pooled chunk; head+body > 14+65535
	copyLimit = 2048
)

type rxBuffers struct {
	vnet       [vnetHdrLen]byte
	head, body *buffer.View
	iovs       [3]unix.Iovec
}

func newRxBuffers() *rxBuffers {
	r := &rxBuffers{}
	r.iovs[0] = rawfile.IovecFromBytes(r.vnet[:])
	r.renew()
	return r
}

// renew gives the reader fresh views, the old ones gone with a frame.
func (r *rxBuffers) renew() {
	r.head, r.body = buffer.NewViewSize(rxHeadLen), buffer.NewViewSize(rxBodyLen)
	r.iovs[1] = rawfile.IovecFromBytes(r.head.AsSlice())
	r.iovs[2] = rawfile.IovecFromBytes(r.body.AsSlice())
}

// frame returns the n-byte frame just read as a packet payload.
func (r *rxBuffers) frame(n int) buffer.Buffer {
	if n <= copyLimit {
		v := buffer.NewView(n)
		v.Write(r.head.AsSlice()[:min(n, rxHeadLen)])
		if n > rxHeadLen {
			v.Write(r.body.AsSlice()[:n-rxHeadLen])
		}
		return buffer.MakeWithView(v)
	}
	head, body := r.head, r.body
	body.CapLength(n - rxHeadLen)
	r.renew()
	payload := buffer.MakeWithView(head)
	_ = payload.Append(body) // cannot fail: head is full, so body is linked after it, not copied
	return payload
}

func (l *vnetLink) readLoop(d stack.NetworkDispatcher) {
	defer l.wg.Done()
	r := newRxBuffers()
	for {
		n, errno := rawfile.BlockingReadvUntilStopped(l.stop.EFD, l.fd, r.iovs[:])
		if n == -1 {
			return
		}
		if errno != 0 {
			fmt.Fprintf(os.Stderr, "gvisor-target: reading the TAP: %v\n", errno)
			return
		}
		if n -= vnetHdrLen; n < header.EthernetMinimumSize {
			l.dropped.Add(1)
			continue
		}
		l.deliver(d, r.frame(n))
	}
}
