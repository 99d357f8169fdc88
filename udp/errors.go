package udp

import (
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"github.com/gotapip/gotapip/ip"
)

// ICMPError is an ICMP error that came back about a datagram a socket
// sent: a connected socket's next receive returns the hard ones, and a
// socket with SetRecvErrors queues every one for RecvError. It unwraps to
// the errno Linux gives (syscall.ECONNREFUSED for port unreachable), so
// errors.Is(err, syscall.ECONNREFUSED) works as with the kernel's sockets.
type ICMPError struct {
	From   netip.Addr     // who reported it
	Kind   ip.ErrorKind   // what it said
	Info   int            // the next-hop MTU (FragNeeded), the pointer (ParamProblem)
	Remote netip.AddrPort // where the datagram was going (the socket's peer, if connected)
	Errno  syscall.Errno
	// Received is when the error arrived (set on errors queued for
	// RecvError, as SO_TIMESTAMP on Linux's error queue; else zero).
	Received time.Time
}

func (e *ICMPError) Error() string {
	return fmt.Sprintf("udp: %v: %v (ICMP %s from %v)", e.Remote, e.Errno, kindName(e.Kind), e.From)
}

func (e *ICMPError) Unwrap() error { return e.Errno }

func kindName(k ip.ErrorKind) string {
	switch k {
	case ip.PortUnreachable:
		return "port unreachable"
	case ip.ProtoUnreachable:
		return "protocol unreachable"
	case ip.NetUnreachable:
		return "net unreachable"
	case ip.HostUnreachable:
		return "host unreachable"
	case ip.ParamProblem:
		return "parameter problem"
	case ip.TTLExceeded:
		return "time exceeded"
	case ip.ReasmTimeout:
		return "reassembly time exceeded"
	case ip.FragNeeded:
		return "fragmentation needed"
	}
	return fmt.Sprintf("error %d", k)
}

// HandleError is UDP's ip.ErrorHandler: an ICMP error about a datagram we
// sent. transport holds at least the UDP header we sent. A socket
// connected to the datagram's destination gets a hard error on its next
// receive (Linux without IP_RECVERR: unconnected sockets hear nothing); a
// socket with SetRecvErrors, connected or not, also gets every error,
// soft ones included, on its error queue (Linux with IP_RECVERR).
func (u *Protocol) HandleError(from netip.Addr, kind ip.ErrorKind, info int, quoted ip.Header, transport []byte) {
	if len(transport) < HeaderLen {
		return
	}
	h := Header(transport[:HeaderLen])
	local := netip.AddrPortFrom(quoted.Src(), h.SrcPort())
	remote := netip.AddrPortFrom(quoted.Dst(), h.DstPort())
	s, connected := u.ports.lookupSent(local, remote)
	if s == nil {
		return
	}
	errno, hard := kind.Errno()
	e := &ICMPError{From: from, Kind: kind, Info: info, Remote: remote, Errno: errno}
	if s.recvErrors.Load() {
		qe := *e
		qe.Received = time.Now()
		s.errq.put(&qe)
	}
	if hard && connected {
		s.q.setError(e)
	}
}

var _ ip.ErrorHandler = (*Protocol)(nil).HandleError
