// Package tcp is the Transmission Control Protocol (RFC 9293) over IPv4,
// as a modern host runs it: the header and options (MSS, window scale,
// SACK, timestamps), the eleven-state connection engine with
// retransmission (RFC 6298), SACK loss recovery (RFC 6675, RFC 6937)
// and NewReno's (RFC 6582), congestion control by CUBIC (RFC 9438, with
// HyStart++, RFC 9406) or Reno (RFC 5681), from IW10 (RFC 6928), flow
// control with window scaling, timestamps and PAWS (RFC 7323), SACK
// blocks for out-of-order data (RFC 2018), the defences of RFC 5961 and
// RFC 6528, a listen backlog with SYN cookies, and connections that are
// net.Conn and listeners that are net.Listener.
//
// tcp sits on ip and netdev only. The stack registers Protocol.Input with
// ip for protocol 6 and Protocol.HandleError as its error handler. Each
// connection's timers run on the stack's clock (package clock), so tests
// with a fake clock fire them without sleeping. doc/tcp.md describes the
// design.
package tcp
