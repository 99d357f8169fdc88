// Package arp is the Address Resolution Protocol over Ethernet for IPv4
// (RFC 826): the packet format, the neighbour cache with its states and
// timers, and resolution of next hops for the IP layer (*Cache satisfies
// ip.Resolver). It also sends gratuitous ARP (RFC 5227 section 3) when an
// address is configured.
package arp
