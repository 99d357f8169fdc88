// Package udp is the User Datagram Protocol (RFC 768, RFC 1122 section
// 4.1) over IPv4: the header view and its pseudo-header checksum, the port
// table (specific-address and wildcard binds, ephemeral ports 49152-65535
// chosen by RFC 6056 algorithm 3, in internal/ports, which tcp shares),
// and sockets with bounded receive queues.
//
// udp sits on ip and netdev only. The stack registers Protocol.Input with
// ip for protocol 17 and Protocol.HandleError as its error handler; ICMP
// errors reach udp through ip, and udp asks for "port unreachable" through
// ip.Layer.ReportError, so udp never imports icmp.
//
// The receive path (Input) never returns an error: a datagram is delivered
// to one socket's queue, or dropped and counted in Stats. Socket calls run
// on the caller's goroutine and return errors that say what to do.
package udp
