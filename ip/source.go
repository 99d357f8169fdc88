package ip

import (
	"net/netip"

	"github.com/gotapip/gotapip/netdev"
)

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

// RouteMTU returns the MTU of the device a datagram to dst leaves by:
// TCP derives its MSS option from it (RFC 9293 3.7.1). It does not
// allocate unless there is no route.
func (l *Layer) RouteMTU(dst netip.Addr) (int, error) {
	dev, _, err := l.route(dst)
	if err != nil {
		return 0, err
	}
	return dev.MTU(), nil
}

// RouteOffloads returns the offloads in force on the device a datagram to
// dst leaves by (none if there is no route): TCP builds super-frames of up
// to its GSOMaxSize, with partial checksums, only where they hold. It
// does not allocate unless there is no route.
func (l *Layer) RouteOffloads(dst netip.Addr) netdev.Offloads {
	dev, _, err := l.route(dst)
	if err != nil {
		return netdev.Offloads{}
	}
	return dev.Offloads()
}
