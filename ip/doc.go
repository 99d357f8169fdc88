// Package ip is the IPv4 layer (RFC 791, RFC 1122 section 3): the header
// view, the Internet checksum (RFC 1071, RFC 1624), the routing table,
// input (validation and delivery to protocol handlers) and output (routing,
// next hop and link-layer resolution).
//
// ip sits above netdev and below icmp and udp. It knows the layers around it
// only through what it declares here: a Resolver (satisfied by *arp.Cache)
// hands datagrams to the link, ProtocolHandlers registered by number receive
// them, and an ErrorReporter (satisfied by icmp) sends ICMP errors.
package ip
