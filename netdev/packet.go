package netdev

import (
	"sync"
	"sync/atomic"
	"time"
)

// Headroom is the space kept in front of a fresh packet's data so that each
// layer can prepend its header without copying: Ethernet (14) + IPv4 with
// options (60) + the largest transport header we build, rounded up.
const Headroom = 128

// Buffer classes. Every frame of a 1500-byte MTU fits a small buffer;
// jumbo frames, lo's, reassembled datagrams and large sends use a large one.
const (
	smallBufSize = 2048 // Headroom + a 1500-byte MTU frame, rounded up; jumbo frames use large
	largeBufSize = Headroom + EthernetHeaderLen + LoopbackMTU
)

// MaxPacketSize is the largest data length Pool.Get accepts.
const MaxPacketSize = largeBufSize - Headroom

// PacketType says how a received frame was addressed (Linux's pkt_type).
type PacketType uint8

const (
	PacketHost      PacketType = iota // to our MAC
	PacketBroadcast                   // to ff:ff:ff:ff:ff:ff
	PacketMulticast                   // to a group address
	PacketOtherHost                   // to someone else's MAC (dropped)
	PacketOutgoing                    // built by us
)

// Packet is the buffer one frame or datagram lives in, like Linux's sk_buff
// or tapip's pkbuf: data sits between head and tail inside buf, with
// headroom in front so headers are pushed, not copied.
//
// Ownership: a function handed a *Packet owns it and must either pass it on
// or call Free exactly once. Nothing may touch a packet after freeing it.
type Packet struct {
	buf        []byte
	head, tail int
	network    int // offset in buf of the network header, -1 if unset
	transport  int // offset in buf of the transport header, -1 if unset

	Dev  *NetDev    // device it arrived on (input) or leaves by (output)
	Type PacketType // how it was addressed (input)
	off  offload    // checksum and segmentation offload (offload.go)

	pool *Pool

	// ArrivedAfter is the earliest the frame can have reached the device
	// (input; zero: not known). See NetDev.SetClock.
	ArrivedAfter time.Time
}

// Data returns the packet's current contents.
func (p *Packet) Data() []byte { return p.buf[p.head:p.tail] }

// Len is len(p.Data()).
func (p *Packet) Len() int { return p.tail - p.head }

// Headroom is how many bytes Push can still prepend.
func (p *Packet) Headroom() int { return p.head }

// Push prepends n bytes and returns them; the caller fills them in. It
// panics if the headroom is exhausted: that is a programming error, since
// every header we build is accounted for in Headroom.
func (p *Packet) Push(n int) []byte {
	if n > p.head {
		panic("netdev: Packet.Push beyond headroom")
	}
	p.head -= n
	return p.buf[p.head : p.head+n]
}

// Pull removes n bytes from the front and returns them, or nil if the packet
// holds fewer than n bytes (a truncated header).
func (p *Packet) Pull(n int) []byte {
	if n < 0 || n > p.Len() {
		return nil
	}
	p.head += n
	return p.buf[p.head-n : p.head]
}

// Trim shortens the data to n bytes, dropping Ethernet padding or bytes past
// a header's length field. It does nothing if the packet is already shorter.
func (p *Packet) Trim(n int) {
	if n >= 0 && n < p.Len() {
		p.tail = p.head + n
	}
}

// Append grows the data by n bytes at the end and returns them, or nil if
// the buffer has no room.
func (p *Packet) Append(n int) []byte {
	if n < 0 || p.tail+n > len(p.buf) {
		return nil
	}
	p.tail += n
	return p.buf[p.tail-n : p.tail]
}

// MarkNetwork records that the network header starts at the current data.
func (p *Packet) MarkNetwork() { p.network = p.head }

// MarkTransport records that the transport header starts at the current data.
func (p *Packet) MarkTransport() { p.transport = p.head }

// Network returns the bytes from the network header to the end of the data,
// or nil if no network header was marked.
func (p *Packet) Network() []byte {
	if p.network < 0 {
		return nil
	}
	return p.buf[p.network:p.tail]
}

// Transport returns the bytes from the transport header to the end of the
// data, or nil if none was marked.
func (p *Packet) Transport() []byte {
	if p.transport < 0 {
		return nil
	}
	return p.buf[p.transport:p.tail]
}

// ResetToNetwork moves the start of the data back to the network header, so
// a reply built in place can be handed to the output path.
func (p *Packet) ResetToNetwork() {
	if p.network >= 0 {
		p.head = p.network
	}
}

// Truesize is the memory the packet holds: its whole buffer, not just the
// data (Linux's skb->truesize). Queues that bound memory count this.
func (p *Packet) Truesize() int { return len(p.buf) }

// Compact returns p, or, when p holds a large buffer for data that fits a
// small one (a short datagram read on lo, whose MTU is 64 KiB), a copy in a
// small buffer with the same headers marked, freeing p. Queues that keep
// packets for a while call it so that memory follows the data.
func (pl *Pool) Compact(p *Packet) *Packet {
	start := p.head
	for _, off := range []int{p.network, p.transport} {
		if off >= 0 && off < start {
			start = off
		}
	}
	if len(p.buf) == smallBufSize || p.tail-start > smallBufSize-Headroom {
		return p
	}
	q := pl.Get(p.tail - start)
	copy(q.Append(p.tail-start), p.buf[start:p.tail])
	shift := q.head - start
	q.head = p.head + shift
	if p.network >= 0 {
		q.network = p.network + shift
	}
	if p.transport >= 0 {
		q.transport = p.transport + shift
	}
	q.Dev, q.Type, q.off, q.ArrivedAfter = p.Dev, p.Type, p.off, p.ArrivedAfter
	if q.off.partial {
		q.off.csumStart += shift
	}
	p.Free()
	return q
}

// Free returns the packet to its pool. The packet must not be used again.
func (p *Packet) Free() {
	if p.pool != nil {
		p.pool.put(p)
	}
}

// Pool hands out packets from two recycled buffer classes, so the steady
// state allocates nothing. It is safe for concurrent use. Its counters are
// tapip's "stat" of the pkbuf pool.
type Pool struct {
	small, large sync.Pool
	Allocs       atomic.Uint64 // Get calls that succeeded
	Frees        atomic.Uint64 // packets returned
}

// NewPool returns an empty pool; buffers are made on demand and recycled.
func NewPool() *Pool {
	p := &Pool{}
	p.small.New = func() any { return &Packet{buf: make([]byte, smallBufSize)} }
	p.large.New = func() any { return &Packet{buf: make([]byte, largeBufSize)} }
	return p
}

// Get returns a packet with room for size bytes of data after Headroom
// bytes of headroom; the data is initially empty (use Append). It returns nil
// if size exceeds MaxPacketSize.
func (pl *Pool) Get(size int) *Packet {
	var p *Packet
	switch {
	case size < 0 || size > MaxPacketSize:
		return nil
	case size <= smallBufSize-Headroom:
		p = pl.small.Get().(*Packet)
	default:
		p = pl.large.Get().(*Packet)
	}
	p.head, p.tail = Headroom, Headroom
	p.network, p.transport = -1, -1
	p.Dev, p.Type, p.pool, p.off, p.ArrivedAfter = nil, PacketHost, pl, offload{}, time.Time{}
	pl.Allocs.Add(1)
	return p
}

// InUse is how many packets are out of the pool right now.
func (pl *Pool) InUse() int64 { return int64(pl.Allocs.Load()) - int64(pl.Frees.Load()) }

func (pl *Pool) put(p *Packet) {
	p.pool = nil // a second Free becomes a no-op instead of corrupting the pool
	p.Dev = nil
	pl.Frees.Add(1)
	if len(p.buf) == smallBufSize {
		pl.small.Put(p)
	} else {
		pl.large.Put(p)
	}
}
