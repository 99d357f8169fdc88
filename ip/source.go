package ip

import "net/netip"

// SourceAddr returns the address a datagram to dst leaves from when the
// sender gives none: the outgoing device's address (or dst itself for
// another of our own addresses). Transports call it to checksum their
// pseudo-header (RFC 768, RFC 793) before Output. It does not allocate
// unless there is no route.
func (l *Layer) SourceAddr(dst netip.Addr) (netip.Addr, error) {
	dev, _, err := l.route(dst)
	if err != nil {
		return netip.Addr{}, err
	}
	return l.sourceFor(dev, dst)
}
