package tcp

import (
	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// Segmentation offload (TSO). Where the route's device has the kernel cut
// TCP super-frames (netdev.Offloads), output builds segments of up to 64
// KB, a whole number of MSS each but for the last data queued, still
// bounded by the congestion and peer windows and the send buffer; the
// kernel cuts them into MSS-sized pieces, each with a copy of our header
// and options (FIN and PSH on the last piece only). There is one
// segment-building path: transmit marks a segment longer than the MSS as
// a super-frame. Retransmissions are MSS-sized, as before: only the part
// of a super-frame that was lost goes again.

// refreshOffloads reads what the route's device offloads now; output
// calls it, so that netem switched on (no offloads) or a route changed is
// seen at the next send.
func (c *Conn) refreshOffloads() {
	c.offloads = c.p.ip.RouteOffloads(c.remote.Addr())
}

// sendLimit is the most data one segment may carry: an MSS, or with TSO
// as many whole MSS as the device's GSO limit holds with our headers.
func (c *Conn) sendLimit() int {
	if !c.offloads.TSO {
		return c.mss
	}
	room := c.offloads.GSOMaxSize - ip.HeaderLen - HeaderLen
	if c.tsOK {
		room -= tsOptLen
	}
	return max(c.mss, room/c.mss*c.mss)
}

// wireSegments is how many segments n bytes of data make on the wire.
func (c *Conn) wireSegments(n int) uint64 {
	if n <= c.mss {
		return 1
	}
	return uint64((n + c.mss - 1) / c.mss)
}

// offloadFor is how transmit builds a segment of the connection carrying
// n bytes: checksum left partial where the device finishes it, and
// marked for cutting into MSS pieces when it is longer than one.
func (c *Conn) offloadFor(n int) segmentOffload {
	o := segmentOffload{partialCsum: c.offloads.TxChecksum}
	if n > c.mss && c.offloads.TSO {
		o.gsoSize = c.mss
	}
	return o
}

// segmentOffload is what transmit asks of the device for one segment.
type segmentOffload struct {
	partialCsum bool // checksum offload: only the pseudo-header's sum
	gsoSize     int  // > 0: a super-frame, cut into pieces of this much data
}

// markOffload records o on pk, whose data is the segment h: the checksum
// partial (h's field holds the pseudo-header's sum) and the piece size.
func markOffload(pk *netdev.Packet, h Header, o segmentOffload) {
	if !o.partialCsum {
		return
	}
	pk.SetChecksumPartial(offChecksum)
	if o.gsoSize > 0 {
		pk.SetGSO(o.gsoSize, h.DataOffset())
	}
}

// holdTail reports whether a super-frame of n bytes, all that is queued
// (avail) and less than a full one (limit), should wait for more data or
// the next ACK: Nagle's rule carried from the sub-MSS tail to a TSO
// frame's, where Linux autocorks it until earlier packets leave the host
// (our writes to the device complete at once). With a full super-frame
// in flight its ACK comes at once, and the tail rides with what the
// application writes next or goes then (or as a tail loss probe's new
// data, RFC 8985 7.3);
// sent now, each write that is not a whole number of super-frames costs
// a short segment of its own: snc's 128 KB writes made a fifth of all
// segments 1504 bytes long (doc/performance.md).
func (c *Conn) holdTail(n, avail, limit int) bool {
	return n > c.mss && n == avail && n < limit && !c.noDelay && !c.cc.inRecovery && !c.probing && c.inFlight() >= limit
}
