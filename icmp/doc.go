// Package icmp is the Internet Control Message Protocol for IPv4 (RFC 792,
// RFC 1122 section 3.2.2): the message format, the echo responder (replies
// are built in the received buffer, with no allocation), and the ping engine
// that matches replies to the ping that asked by identifier and sequence.
package icmp
