package ip

import (
	"encoding/binary"
	"net/netip"

	"github.com/gotapip/gotapip/internal/checksum"
)

// The Internet checksum for the layers above ip. The implementation (and
// its tests) is internal/checksum, shared with the drivers below ip.

// Checksum is the Internet checksum of RFC 1071: the ones' complement of the
// ones' complement sum of data as 16-bit big-endian words (an odd last byte
// is padded with zero), starting from initial (a partial sum such as a
// pseudo-header's, or 0). A header whose checksum field is correct sums to 0.
// It does not allocate.
func Checksum(data []byte, initial uint32) uint16 { return checksum.Checksum(data, initial) }

// Sum adds data to the running 32-bit ones' complement sum, for callers that
// checksum several pieces (pseudo-header, header, payload).
func Sum(data []byte, sum uint32) uint32 { return checksum.Sum(data, sum) }

// UpdateChecksum returns the checksum hc updated for one 16-bit field of
// the covered data changing from old to new, per RFC 1624 eqn. 3:
// HC' = ~(~HC + ~m + m').
func UpdateChecksum(hc, old, new uint16) uint16 { return checksum.Update(hc, old, new) }

// PseudoSum is the running sum of the IPv4 pseudo-header that UDP (RFC
// 768) and TCP (RFC 9293 section 3.1) put under their checksum: source and
// destination address, zero, protocol, and the transport length (header
// and data). src and dst must be IPv4. It does not allocate.
//
//	+--------+--------+--------+--------+
//	|           Source Address          |
//	+--------+--------+--------+--------+
//	|         Destination Address       |
//	+--------+--------+--------+--------+
//	|  zero  |  PTCL  |      Length     |
//	+--------+--------+--------+--------+
func PseudoSum(src, dst netip.Addr, proto uint8, length int) uint32 {
	var ph [12]byte
	s, d := src.As4(), dst.As4()
	copy(ph[0:4], s[:])
	copy(ph[4:8], d[:])
	ph[9] = proto
	binary.BigEndian.PutUint16(ph[10:], uint16(length))
	return Sum(ph[:], 0)
}
