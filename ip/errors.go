package ip

import (
	"net/netip"
	"syscall"

	"github.com/gotapip/gotapip/netdev"
)

// ErrorKind names the ICMP errors the IP layer and transports ask for or
// hear about, without ip knowing ICMP's numbers (icmp maps them).
type ErrorKind uint8

const (
	NetUnreachable   ErrorKind = iota + 1 // no route
	HostUnreachable                       // ARP gave up
	ProtoUnreachable                      // no handler for the protocol
	PortUnreachable                       // no socket on the port
	FragNeeded                            // DF set and larger than the next MTU
	TTLExceeded                           // TTL reached 0 in transit
	ReasmTimeout                          // fragments did not all arrive in time
	ParamProblem                          // a header field is wrong (info: its offset)
)

// Errno is the errno Linux's icmp_err_convert gives an error, and whether
// it is "fatal" (hard): what a transport reports at once (a connected UDP
// socket without IP_RECVERR, a TCP connect); the soft ones are kept for a
// later timeout's error. TTL exceeded, fragmentation needed and
// reassembly timeout are soft. udp and tcp share it.
func (k ErrorKind) Errno() (errno syscall.Errno, hard bool) {
	switch k {
	case TTLExceeded, ReasmTimeout:
		return syscall.EHOSTUNREACH, false
	case FragNeeded:
		return syscall.EMSGSIZE, false
	case PortUnreachable:
		return syscall.ECONNREFUSED, true
	case ProtoUnreachable:
		return syscall.ENOPROTOOPT, true
	case NetUnreachable:
		return syscall.ENETUNREACH, true
	case HostUnreachable:
		return syscall.EHOSTUNREACH, true
	case ParamProblem:
		return syscall.EPROTO, true
	}
	return syscall.EHOSTUNREACH, false
}

// ErrorReporter sends an ICMP error about a datagram we received (icmp
// implements it). It does not take ownership of p; p.Network() must be the
// offending datagram's IP header. info is the next-hop MTU (FragNeeded) or
// the pointer (ParamProblem).
type ErrorReporter interface {
	ReportError(p *netdev.Packet, kind ErrorKind, info int)
}

// ErrorHandler receives an ICMP error about a datagram we sent with its
// protocol: from is who reported it, quoted is the IP header we sent and
// transport the (at least 8) bytes after it.
type ErrorHandler func(from netip.Addr, kind ErrorKind, info int, quoted Header, transport []byte)

// SetErrorReporter installs the sender of ICMP errors.
func (l *Layer) SetErrorReporter(r ErrorReporter) { l.reporter = r }

// RegisterErrorHandler installs the handler for errors about datagrams of
// protocol proto (Linux's err_handler of inet_protos).
func (l *Layer) RegisterErrorHandler(proto uint8, h ErrorHandler) { l.errHandlers[proto] = h }

// ReportError asks for an ICMP error about p, if a reporter is installed.
func (l *Layer) ReportError(p *netdev.Packet, kind ErrorKind, info int) {
	if l.reporter != nil {
		l.reporter.ReportError(p, kind, info)
	}
}

// DeliverError hands an incoming ICMP error to the handler of the quoted
// datagram's protocol. It reports whether one took it.
func (l *Layer) DeliverError(from netip.Addr, kind ErrorKind, info int, quoted Header, transport []byte) bool {
	h := l.errHandlers[quoted.Protocol()]
	if h == nil {
		return false
	}
	h(from, kind, info, quoted, transport)
	return true
}
