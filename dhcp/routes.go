package dhcp

// The classless static route option (RFC 3442): a list of
//
//	+-------+--------------------------+-------------------+
//	| width | significant octets of    | router (4 octets) |
//	| (1)   | the destination (0 to 4) |                   |
//	+-------+--------------------------+-------------------+
//
// where the destination has ceil(width/8) octets. A router of 0.0.0.0
// means the destination is on the link. When a server sends this option a
// client ignores the router option (RFC 3442, "DHCP Client Behavior").

import (
	"fmt"
	"net/netip"
)

// Route is one classless static route.
type Route struct {
	Dst     netip.Prefix
	Gateway netip.Addr // 0.0.0.0: on the link
}

// maxRoutes bounds the routes kept from one option.
const maxRoutes = 32

// ParseRoutes decodes option 121's value. A width over 32, a destination
// or router cut short, or host bits set in the destination is an error.
func ParseRoutes(v []byte) ([]Route, error) {
	var out []Route
	for i := 0; i < len(v); {
		width := int(v[i])
		if width > 32 {
			return nil, fmt.Errorf("route %d: prefix width %d is over 32", len(out)+1, width)
		}
		n := (width + 7) / 8
		if i+1+n+4 > len(v) {
			return nil, fmt.Errorf("route %d: /%d needs %d bytes, %d left", len(out)+1, width, 1+n+4, len(v)-i)
		}
		var dst [4]byte
		copy(dst[:], v[i+1:i+1+n])
		p := netip.PrefixFrom(netip.AddrFrom4(dst), width)
		if p.Masked() != p {
			return nil, fmt.Errorf("route %d: destination %v has host bits set", len(out)+1, p)
		}
		gw := netip.AddrFrom4([4]byte(v[i+1+n : i+1+n+4]))
		if len(out) == maxRoutes {
			return nil, fmt.Errorf("more than %d routes", maxRoutes)
		}
		out = append(out, Route{Dst: p, Gateway: gw})
		i += 1 + n + 4
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no routes")
	}
	return out, nil
}

// AppendRoutes encodes routes as option 121's value.
func AppendRoutes(b []byte, routes []Route) []byte {
	for _, r := range routes {
		width := r.Dst.Bits()
		a := r.Dst.Masked().Addr().As4()
		b = append(b, byte(width))
		b = append(b, a[:(width+7)/8]...)
		gw := netip.IPv4Unspecified().As4()
		if r.Gateway.Is4() {
			gw = r.Gateway.As4()
		}
		b = append(b, gw[:]...)
	}
	return b
}
