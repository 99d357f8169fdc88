package ip

// One datagram under reassembly: where its fragments' bytes are kept and how
// we know what is still missing.
//
// Storage. Payload bytes are copied out of each fragment's packet, so a
// fragment costs what it carries, not a pooled 64 KiB (or even 1.5 KiB)
// buffer. The datagram's 64 KiB of payload space is cut into pages of
// reasmPageSize bytes that are taken from a pool only when a fragment
// touches them: a 1480-byte fragment costs one or two pages, a lone 8-byte
// fragment at offset 65000 costs one page, not 64 KiB.
//
// Bookkeeping, after RFC 815. RFC 815 keeps a list of "holes" (first, last)
// that shrinks as fragments fill them, so that completion is the constant
// time test "the hole list is empty". We refuse overlaps (see Add), which
// makes the holes exactly the gaps between the received spans; we keep the
// spans instead, sorted by offset, because recognising an exact duplicate
// needs each fragment's own boundaries, and a count of bytes received.
// Then "no holes" is "the last fragment is in and received == total".

import (
	"slices"
	"time"

	"github.com/gotapip/gotapip/netdev"
)

const (
	reasmPageSize = 2048
	reasmMaxPages = (MaxDatagram + reasmPageSize - 1) / reasmPageSize
	// reasmDatagramCost is what a datagram holds before any data: the
	// datagram struct (about 470 bytes, checked by a test) and its map slot.
	reasmDatagramCost = 576
	reasmSpanCost     = 4 // bytes per element of spans
	// reasmKeepSpans is the largest span list kept when a datagram is
	// recycled: a 64 KiB datagram at MTU 576 has 117 fragments.
	reasmKeepSpans = 128
)

type reasmPage [reasmPageSize]byte

// span is the payload range [start, end) of one received fragment.
type span struct{ start, end uint16 }

// reasmKey identifies a datagram (RFC 791: "the identification field is
// used together with the source and destination address, and the protocol
// fields, to identify datagram fragments for reassembly").
type reasmKey struct {
	src, dst [4]byte
	id       uint16
	proto    uint8
}

// fragmentInfo is what Add needs from one fragment.
type fragmentInfo struct {
	key        reasmKey
	header     []byte // the IP header, options included
	payload    []byte
	start, end int // payload range in the datagram
	totalLen   int // the fragment's Total Length
	last       bool
}

// parseFragment extracts p's fragment information, refusing a header view
// that does not match p's data, an empty fragment and a non-last fragment
// whose length is not a multiple of 8 (RFC 791: fragments break "on an 8
// octet boundary").
func parseFragment(p *netdev.Packet, h Header) (fragmentInfo, bool) {
	data := p.Data()
	if len(h) < HeaderLen {
		return fragmentInfo{}, false
	}
	ihl, tl := h.IHL(), h.TotalLen()
	if ihl < HeaderLen || ihl > len(h) || tl < ihl || tl > len(data) {
		return fragmentInfo{}, false
	}
	f := fragmentInfo{
		key: reasmKey{
			src: [4]byte(h[offSrc : offSrc+4]), dst: [4]byte(h[offDst : offDst+4]),
			id: h.ID(), proto: h.Protocol(),
		},
		header:   data[:ihl],
		payload:  data[ihl:tl],
		start:    h.FragOffset(),
		totalLen: tl,
		last:     !h.MF(),
	}
	f.end = f.start + len(f.payload)
	if len(f.payload) == 0 || (!f.last && len(f.payload)%8 != 0) {
		return fragmentInfo{}, false
	}
	return f, true
}

// datagram is one datagram under reassembly. Reassembler.mu guards it.
type datagram struct {
	key        reasmKey
	created    time.Time
	prev, next *datagram // the Reassembler's list, oldest first

	pages    [reasmMaxPages]*reasmPage
	spans    []span
	received int // payload bytes received
	total    int // payload length, known once the last fragment is in; else -1
	maxEnd   int // highest payload end seen
	cost     int // bytes accounted to this datagram in Reassembler.held

	// The first fragment's header and payload length, kept to rebuild the
	// reassembled header and, on timeout, the first fragment for ICMP.
	header   [MaxHeaderLen]byte
	hdrLen   int // 0 until the first fragment is in
	firstLen int
	firstDev *netdev.NetDev
}

// reset makes d empty for key, keeping its spans' capacity for reuse.
func (d *datagram) reset(key reasmKey, now time.Time) {
	spans := d.spans[:0]
	*d = datagram{key: key, created: now, spans: spans, total: -1}
}

// verdict is what inserting a fragment did.
type verdict int

const (
	fragAdded     verdict = iota
	fragDuplicate         // an exact copy of a fragment we have: ignored
	fragBad               // overlap, conflicting end or oversize: discard the datagram
)

// check decides whether payload range [start, end) (last: MF clear) can be
// inserted, and where in spans. It changes nothing.
func (d *datagram) check(start, end int, last bool) (verdict, int) {
	switch {
	case last && d.total >= 0 && end != d.total: // two different ends
		return fragBad, 0
	case last && end < d.maxEnd: // data already beyond this end
		return fragBad, 0
	case !last && d.total >= 0 && end >= d.total: // more after the end
		return fragBad, 0
	}
	i, found := slices.BinarySearchFunc(d.spans, start, func(s span, start int) int {
		return int(s.start) - start
	})
	if found && int(d.spans[i].end) == end {
		return fragDuplicate, i
	}
	if found || (i > 0 && int(d.spans[i-1].end) > start) || (i < len(d.spans) && int(d.spans[i].start) < end) {
		return fragBad, i // teardrop: overlaps a fragment we have
	}
	return fragAdded, i
}

// pagesNeeded counts the pages [start, end) would newly take.
func (d *datagram) pagesNeeded(start, end int) int {
	n := 0
	for pg := start / reasmPageSize; pg <= (end-1)/reasmPageSize; pg++ {
		if d.pages[pg] == nil {
			n++
		}
	}
	return n
}

// spansGrowth is the extra bytes spans would take to hold one more element.
func (d *datagram) spansGrowth() int {
	if len(d.spans) < cap(d.spans) {
		return 0
	}
	return (max(2*cap(d.spans), 8) - cap(d.spans)) * reasmSpanCost
}

// insert records payload at [start, start+len(payload)) at spans index i;
// check must have returned fragAdded and the pages must have been paid for.
func (d *datagram) insert(i, start int, payload []byte, last bool, newPage func() *reasmPage) {
	end := start + len(payload)
	if len(d.spans) == cap(d.spans) { // grow exactly as spansGrowth said
		grown := make([]span, len(d.spans), max(2*cap(d.spans), 8))
		copy(grown, d.spans)
		d.spans = grown
	}
	d.spans = slices.Insert(d.spans, i, span{uint16(start), uint16(end)})
	for off := start; off < end; {
		pg, in := off/reasmPageSize, off%reasmPageSize
		if d.pages[pg] == nil {
			d.pages[pg] = newPage()
		}
		off += copy(d.pages[pg][in:], payload[off-start:])
	}
	d.received += len(payload)
	d.maxEnd = max(d.maxEnd, end)
	if last {
		d.total = end
	}
}

// complete reports whether every byte of the datagram is in.
func (d *datagram) complete() bool {
	return d.total >= 0 && d.hdrLen > 0 && d.received == d.total
}

// copyOut copies payload bytes [start, start+len(dst)) into dst; they must
// all have been received.
func (d *datagram) copyOut(dst []byte, start int) {
	for n := 0; n < len(dst); {
		off := start + n
		n += copy(dst[n:], d.pages[off/reasmPageSize][off%reasmPageSize:])
	}
}

// build returns the reassembled datagram in a fresh packet: the first
// fragment's header with MF and offset cleared, then the payload.
func (d *datagram) build(pool *netdev.Pool) *netdev.Packet {
	p := pool.Get(d.hdrLen + d.total)
	if p == nil {
		return nil
	}
	b := p.Append(d.hdrLen + d.total)
	copy(b, d.header[:d.hdrLen])
	d.copyOut(b[d.hdrLen:], 0)
	h := Header(b[:d.hdrLen])
	h.SetTotalLen(len(b))
	h.SetFragment(0, false)
	h.UpdateChecksum()
	p.MarkNetwork()
	return p
}

// buildFirst returns the first fragment as it arrived (for the ICMP time
// exceeded message), or nil if it never did.
func (d *datagram) buildFirst(pool *netdev.Pool) *netdev.Packet {
	if d.hdrLen == 0 {
		return nil
	}
	p := pool.Get(d.hdrLen + d.firstLen)
	if p == nil {
		return nil
	}
	b := p.Append(d.hdrLen + d.firstLen)
	copy(b, d.header[:d.hdrLen])
	d.copyOut(b[d.hdrLen:], 0)
	p.MarkNetwork()
	p.Dev = d.firstDev
	return p
}

// releasePages hands d's pages back.
func (d *datagram) releasePages(put func(*reasmPage)) {
	for i, pg := range d.pages {
		if pg != nil {
			put(pg)
			d.pages[i] = nil
		}
	}
}
