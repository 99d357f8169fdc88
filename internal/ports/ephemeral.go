package ports

import (
	"hash/maphash"
	"net/netip"
)

// Ephemeral chooses ephemeral ports by RFC 6056 section 3.3.3, algorithm
// 3 ("Simple Hash-Based Port Selection Algorithm"):
//
//	offset = F(local_IP, remote_IP, remote_port, secret_key)
//	for count = num_ephemeral; count > 0; count--:
//	    port = min_ephemeral + (next_ephemeral + offset) % num_ephemeral
//	    next_ephemeral++
//	    if check_suitable_port(port): return port
//
// F is a keyed hash (maphash with a random seed per table), so an
// off-path attacker cannot guess the port a connection to a given peer
// will use, while connections to one peer walk the range in sequence and
// reuse a port as late as possible (stale segments and ICMP errors for its
// last owner are then unlikely to reach the new one). Ephemeral is not
// safe for concurrent use: the Table calls it under its lock.
type Ephemeral struct {
	first, last uint16
	next        uint32 // next_ephemeral
	seed        maphash.Seed
}

// NewEphemeral returns a chooser for ports in [first, last], 0 < first <= last.
func NewEphemeral(first, last uint16) Ephemeral {
	if first == 0 || first > last {
		panic("ports: ephemeral range must be 1 <= first <= last") // a constant in the caller
	}
	return Ephemeral{first: first, last: last, seed: maphash.MakeSeed()}
}

// Choose returns the first port of local's and remote's sequence that
// suitable accepts, or false if it accepts none in the range.
func (e *Ephemeral) Choose(local netip.Addr, remote netip.AddrPort, suitable func(port uint16) bool) (uint16, bool) {
	num := uint32(e.last-e.first) + 1
	offset := e.offset(local, remote)
	for range num {
		port := e.first + uint16((e.next+offset)%num)
		e.next++
		if suitable(port) {
			return port, true
		}
	}
	return 0, false
}

// offset is F(local_IP, remote_IP, remote_port, secret_key).
func (e *Ephemeral) offset(local netip.Addr, remote netip.AddrPort) uint32 {
	var key [10]byte
	l, r := addr4(local), addr4(remote.Addr())
	copy(key[0:], l[:])
	copy(key[4:], r[:])
	key[8], key[9] = byte(remote.Port()>>8), byte(remote.Port())
	return uint32(maphash.Bytes(e.seed, key[:]))
}

// addr4 is a's four bytes; the wildcard (zero) Addr and anything not IPv4
// hash as 0.0.0.0.
func addr4(a netip.Addr) [4]byte {
	if a = a.Unmap(); a.Is4() {
		return a.As4()
	}
	return [4]byte{}
}
