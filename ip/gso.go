package ip

import (
	"encoding/binary"

	"github.com/gotapip/gotapip/netdev"
)

// Software GSO: a TCP super-frame headed for a device that cannot have it
// cut (a datagram the kernel handed us whole through a TAP, forwarded out
// of a sim, pipe or macvtap device; or one TCP built just before netem
// switched the device's offloads off) is cut here, as Linux's
// skb_gso_segment does before such a device: each piece carries the same
// IPv4 and TCP headers with its own length, ID, sequence number and
// checksums; FIN and PSH go on the last piece only, CWR on the first.
//
// The TCP header fields it touches (RFC 9293 3.1; ip cannot import tcp):
const (
	tcpSeqAt      = 4
	tcpFlagsAt    = 13
	tcpChecksumAt = 16

	tcpFlagFIN = 0x01
	tcpFlagPSH = 0x08
	tcpFlagCWR = 0x80
)

// segmentGSO cuts the super-frame p (its data from the IPv4 header) into
// datagrams of at most its GSO size of payload each and hands each to
// emit, in order. It owns p and returns the first error emit returned.
func (l *Layer) segmentGSO(p *netdev.Packet, emit func(*netdev.Packet) error) error {
	defer p.Free()
	d := p.Data()
	ihl, mss := Header(d).IHL(), p.GSOSize()
	hl := ihl + p.GSOHeaderLen()
	if Header(d).Protocol() != ProtoTCP || p.GSOHeaderLen() < 20 || hl > len(d) {
		l.Stats.OutDiscards.Add(1)
		return ErrMsgSize
	}
	payload, id := d[hl:], Header(d).ID()
	seq := binary.BigEndian.Uint32(d[ihl+tcpSeqAt:])
	flags := d[ihl+tcpFlagsAt]
	var first error
	for off := 0; off < len(payload); off += mss {
		n := min(mss, len(payload)-off)
		q := l.pool.Get(hl + n)
		b := q.Append(hl + n)
		copy(b, d[:hl])
		copy(b[hl:], payload[off:off+n])
		h := Header(b)
		h.SetTotalLen(hl + n)
		binary.BigEndian.PutUint16(b[offID:], id)
		id++
		h.UpdateChecksum()
		t := b[ihl:]
		binary.BigEndian.PutUint32(t[tcpSeqAt:], seq+uint32(off))
		t[tcpFlagsAt] = pieceFlags(flags, off == 0, off+n == len(payload))
		binary.BigEndian.PutUint16(t[tcpChecksumAt:], 0)
		binary.BigEndian.PutUint16(t[tcpChecksumAt:], Checksum(t, PseudoSum(h.Src(), h.Dst(), ProtoTCP, len(t))))
		q.Dev = p.Dev
		q.MarkNetwork()
		if err := emit(q); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// pieceFlags are the TCP flags of one piece of a super-frame with flags.
func pieceFlags(flags byte, first, last bool) byte {
	if !last {
		flags &^= tcpFlagFIN | tcpFlagPSH
	}
	if !first {
		flags &^= tcpFlagCWR
	}
	return flags
}
