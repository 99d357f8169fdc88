package ip

// Fragmentation, RFC 791 sections 2.3 and 3.2. The fields that carry it:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Identification        |0|D|M|     Fragment Offset     |
//	|                               | |F|F|   (8-byte units, 13 b)  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// "The data of a long datagram is divided into two or more pieces on an
// 8 octet boundary"; every piece gets a copy of the header with its own
// Total Length, Fragment Offset and MF (set on all but the last piece of the
// original). The first piece keeps every option; the others keep only the
// options whose copied flag (bit 0 of the type octet, 0x80) is set, e.g.
// security and source routes, but not record route or timestamps.
//
//	 option type octet:  +-+-+-+-+-+-+-+-+
//	                     |C| cls |  num  |   C = copied flag
//	                     +-+-+-+-+-+-+-+-+

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gotapip/gotapip/netdev"
)

// MinMTU is the smallest MTU every IPv4 link must carry (RFC 791: "every
// internet module must be able to forward a datagram of 68 octets", a
// 60-byte header plus 8 bytes of data).
const MinMTU = 68

// Option types with special meaning when copying options (RFC 791 3.1).
const (
	optEOL        = 0    // end of option list
	optNOP        = 1    // no operation, used as padding
	optCopiedFlag = 0x80 // copy this option into every fragment
)

// ErrFragNeeded is wrapped when a datagram larger than the MTU has DF set.
// The error is a *FragNeededError carrying the MTU, which a router puts in
// its ICMP "fragmentation needed" (RFC 1191) and a sender reports.
var ErrFragNeeded = errors.New("fragmentation needed and DF set")

// ErrMTUTooSmall is wrapped when the MTU leaves no room for 8 bytes of data
// after the header, so the datagram cannot be split at all.
var ErrMTUTooSmall = errors.New("MTU too small to fragment")

// FragNeededError says a datagram of Len bytes with DF set does not fit MTU.
type FragNeededError struct {
	Len, MTU int
}

func (e *FragNeededError) Error() string {
	return fmt.Sprintf("ip: %d-byte datagram with DF set: %v (MTU %d)", e.Len, ErrFragNeeded, e.MTU)
}

// Unwrap lets errors.Is(err, ErrFragNeeded) match.
func (e *FragNeededError) Unwrap() error { return ErrFragNeeded }

// FragStats are the sender's fragmentation counters (IP-MIB ipSystemStats
// OutFragOKs, OutFragFails, OutFragCreates; Linux FragOKs, FragFails,
// FragCreates). Updated atomically.
type FragStats struct {
	FragOKs     atomic.Uint64 // datagrams fragmented and all pieces handed on
	FragFails   atomic.Uint64 // datagrams that needed fragmenting and were not (DF, MTU, emit error)
	FragCreates atomic.Uint64 // fragments handed on
}

// Each counter moves before the packet it counts is handed on: the
// receiver of the last fragment may read them at once (a test, or a
// person at the shell).

// fail counts a datagram that could not be fragmented and returns err.
func (s *FragStats) fail(err error) error {
	s.FragFails.Add(1)
	return err
}

// Reset zeroes every counter.
func (s *FragStats) Reset() {
	s.FragOKs.Store(0)
	s.FragFails.Store(0)
	s.FragCreates.Store(0)
}

// Fragment sends the datagram p through emit, split to fit mtu if needed.
//
// p's data is a complete IPv4 datagram (header, options, payload). If it fits
// mtu it is handed to emit unchanged. Otherwise, with DF set, p is freed and
// a *FragNeededError is returned; without DF, p is split into fragments
// built in fresh packets from pool (with netdev.Headroom in front, Dev and
// Type copied from p), each handed to emit in order, and p is freed. A p
// that is itself a fragment keeps its offset base and its MF on the last
// piece, so a router can fragment a fragment.
//
// Fragment owns p; emit owns each packet it is handed. On the first error
// from emit no further fragment is built (a datagram with a missing piece is
// useless to the receiver) and that error is returned. stats may be nil.
func Fragment(pool *netdev.Pool, p *netdev.Packet, mtu int, stats *FragStats, emit func(*netdev.Packet) error) error {
	if p.Len() <= mtu {
		return emit(p)
	}
	if stats == nil {
		stats = new(FragStats)
	}
	err := fragment(pool, p, mtu, stats, emit)
	p.Free()
	return err
}

// fragment does Fragment's work for a p that does not fit, and counts it;
// the caller frees p. An emit error on the last piece leaves the datagram
// counted as fragmented: every piece was built and handed on, and the
// link counts its own errors.
func fragment(pool *netdev.Pool, p *netdev.Packet, mtu int, stats *FragStats, emit func(*netdev.Packet) error) error {
	h, err := Parse(p.Data())
	if err != nil {
		return stats.fail(err)
	}
	if h.DF() {
		return stats.fail(&FragNeededError{Len: h.TotalLen(), MTU: mtu})
	}
	var rest [MaxHeaderLen]byte // the header of the second and later pieces
	restLen := copyFragmentHeader(rest[:], h)
	if (mtu-h.IHL())&^7 < 8 || (mtu-restLen)&^7 < 8 {
		return stats.fail(fmt.Errorf("ip: MTU %d with a %d-byte header: %w (the minimum is %d)", mtu, h.IHL(), ErrMTUTooSmall, MinMTU))
	}
	payload := p.Data()[h.IHL():h.TotalLen()]
	base, lastMF := h.FragOffset(), h.MF()
	hdr := []byte(h)
	for off := 0; off < len(payload); {
		n := min((mtu-len(hdr))&^7, len(payload)-off)
		more := off+n < len(payload) || lastMF
		f, err := buildFragment(pool, p, hdr, payload[off:off+n], base+off, more)
		if err != nil {
			return stats.fail(err)
		}
		off += n
		last := off == len(payload)
		stats.FragCreates.Add(1) // count, then emit
		if last {
			stats.FragOKs.Add(1)
		}
		if err := emit(f); err != nil {
			if last {
				return err
			}
			return stats.fail(err)
		}
		hdr = rest[:restLen]
	}
	return nil
}

// buildFragment makes one fragment in a fresh packet: hdr (whose fixed part
// is the original's) with the given offset and MF, then data.
func buildFragment(pool *netdev.Pool, orig *netdev.Packet, hdr, data []byte, offset int, more bool) (*netdev.Packet, error) {
	f := pool.Get(len(hdr) + len(data))
	if f == nil {
		return nil, fmt.Errorf("ip: no %d-byte buffer for a fragment", len(hdr)+len(data))
	}
	b := f.Append(len(hdr) + len(data))
	copy(b, hdr)
	copy(b[len(hdr):], data)
	h := Header(b[:len(hdr)])
	h.SetTotalLen(len(b))
	h.SetFragment(offset, more)
	h.UpdateChecksum()
	f.MarkNetwork()
	f.Dev, f.Type = orig.Dev, orig.Type
	return f, nil
}

// copyFragmentHeader writes into dst (MaxHeaderLen bytes) the header of a
// non-first fragment of h: the fixed part, then only the options with the
// copied flag, padded with EOL to a multiple of 4 bytes, and IHL set to
// match. It returns the header's length. NOPs are dropped (they only align
// options in the original); a malformed option ends the copy, so a broken
// option list can make later fragments carry fewer options, never garbage.
func copyFragmentHeader(dst []byte, h Header) int {
	n := copy(dst, h[:HeaderLen])
	for opts := h.Options(); len(opts) > 0; {
		typ := opts[0]
		if typ == optEOL {
			break
		}
		if typ == optNOP {
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || opts[1] < 2 || int(opts[1]) > len(opts) {
			break
		}
		olen := int(opts[1])
		if typ&optCopiedFlag != 0 {
			n += copy(dst[n:], opts[:olen])
		}
		opts = opts[olen:]
	}
	for n%4 != 0 {
		dst[n] = optEOL
		n++
	}
	dst[offVersionIHL] = Version<<4 | byte(n/4)
	return n
}
