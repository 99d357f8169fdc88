package tcp

import (
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"sync"
)

// The ephemeral port range of RFC 6335 (as udp uses).
const (
	EphemeralFirst = 49152
	EphemeralLast  = 65535
)

// PortAllocator chooses the local port of an outgoing connection: free
// reports whether a candidate is usable. It is the one thing tcp needs
// from a port table; the stack can hand in a shared one (SetPorts).
type PortAllocator interface {
	Ephemeral(local netip.Addr, remote netip.AddrPort, free func(port uint16) bool) (uint16, bool)
}

// rfc6056Ports is RFC 6056's Algorithm 3 ("simple hash-based"): the
// search starts at a keyed hash of the addresses plus a counter, so a
// peer cannot predict the ports others get and a busy peer does not
// exhaust the range for every other.
type rfc6056Ports struct {
	key  [32]byte
	mu   sync.Mutex
	next uint32
}

func newRFC6056Ports(key [32]byte) *rfc6056Ports { return &rfc6056Ports{key: key} }

func (r *rfc6056Ports) Ephemeral(local netip.Addr, remote netip.AddrPort, free func(uint16) bool) (uint16, bool) {
	var in [32 + 4 + 4 + 2]byte
	copy(in[:], r.key[:])
	var l, a [4]byte // a listener on port 0 has no remote: zeros
	if local.Is4() {
		l = local.As4()
	}
	if remote.Addr().Is4() {
		a = remote.Addr().As4()
	}
	copy(in[32:], l[:])
	copy(in[36:], a[:])
	binary.BigEndian.PutUint16(in[40:], remote.Port())
	sum := sha256.Sum256(in[:])
	offset := binary.BigEndian.Uint32(sum[:])
	const n = EphemeralLast - EphemeralFirst + 1
	r.mu.Lock()
	defer r.mu.Unlock()
	for range n {
		port := uint16(EphemeralFirst + (offset+r.next)%n)
		r.next++
		if free(port) {
			return port, true
		}
	}
	return 0, false
}
