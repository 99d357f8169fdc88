// Package checksum is the Internet checksum (RFC 1071) and its incremental
// update (RFC 1624): the one implementation in the module. ip exports it
// (ip.Checksum, ip.Sum, ip.UpdateChecksum) to the layers above it; code
// below ip, which must not import it (a driver finishing a checksum the
// kernel left partial), uses this package directly.
package checksum

import "encoding/binary"

// Checksum is the Internet checksum of RFC 1071: the ones' complement of the
// ones' complement sum of data as 16-bit big-endian words (an odd last byte
// is padded with zero), starting from initial (a partial sum such as a
// pseudo-header's, or 0). A header whose checksum field is correct sums to 0.
// It does not allocate.
func Checksum(data []byte, initial uint32) uint16 {
	return ^fold(Sum(data, initial))
}

// Sum adds data to the running 32-bit ones' complement sum, for callers that
// checksum several pieces (pseudo-header, header, payload).
func Sum(data []byte, sum uint32) uint32 {
	s := uint64(sum)
	// Eight bytes at a time; the carries fold back in at the end.
	for len(data) >= 8 {
		v := binary.BigEndian.Uint64(data)
		s += v >> 32
		s += v & 0xffffffff
		data = data[8:]
	}
	for len(data) >= 2 {
		s += uint64(binary.BigEndian.Uint16(data))
		data = data[2:]
	}
	if len(data) == 1 {
		s += uint64(data[0]) << 8
	}
	for s>>32 != 0 {
		s = s&0xffffffff + s>>32
	}
	return uint32(s)
}

// fold reduces a 32-bit sum to 16 bits with end-around carry.
func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// Update returns checksum updated for one 16-bit field of the covered data
// changing from old to new, per RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
func Update(checksum, old, new uint16) uint16 {
	s := uint32(^checksum) + uint32(^old) + uint32(new)
	return ^fold(s)
}
