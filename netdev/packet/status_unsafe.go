//go:build linux

package packet

import (
	"sync/atomic"
	"unsafe"
)

// The one use of unsafe: a frame's tp_status is shared with the kernel,
// which changes it at any time, so it is read and written only through
// sync/atomic. A load that sees the kernel's TP_STATUS_USER also sees the
// frame it wrote before (the kernel orders its writes with smp_wmb before
// the status); our store that hands a frame back comes after our last
// access to it. Frames are 16-byte aligned, so the word is aligned.

func statusWord(frame []byte) *uint32 {
	_ = frame[hdrStatus+3]
	return (*uint32)(unsafe.Pointer(&frame[hdrStatus]))
}

func loadStatus(frame []byte) uint32     { return atomic.LoadUint32(statusWord(frame)) }
func storeStatus(frame []byte, s uint32) { atomic.StoreUint32(statusWord(frame), s) }
