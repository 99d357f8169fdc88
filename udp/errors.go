package udp

import (
	"fmt"
	"net/netip"
	"syscall"

	"github.com/gotapip/gotapip/ip"
)

// ICMPError is an ICMP error that came back about a datagram a connected
// socket sent; its next receive returns it. It unwraps to the errno Linux
// gives (syscall.ECONNREFUSED for port unreachable), so
// errors.Is(err, syscall.ECONNREFUSED) works as with the kernel's sockets.
type ICMPError struct {
	From   netip.Addr     // who reported it
	Kind   ip.ErrorKind   // what it said
	Remote netip.AddrPort // the socket's peer
	Errno  syscall.Errno
}

func (e *ICMPError) Error() string {
	return fmt.Sprintf("udp: %v: %v (ICMP %s from %v)", e.Remote, e.Errno, kindName(e.Kind), e.From)
}

func (e *ICMPError) Unwrap() error { return e.Errno }

// hardErrno maps the errors Linux reports to a connected UDP socket (the
// "fatal" ones of icmp_err_convert) to their errno. Others (TTL exceeded,
// fragmentation needed, reassembly timeout) are soft: not reported.
func hardErrno(k ip.ErrorKind) (syscall.Errno, bool) {
	switch k {
	case ip.PortUnreachable:
		return syscall.ECONNREFUSED, true
	case ip.ProtoUnreachable:
		return syscall.ENOPROTOOPT, true
	case ip.NetUnreachable:
		return syscall.ENETUNREACH, true
	case ip.HostUnreachable:
		return syscall.EHOSTUNREACH, true
	case ip.ParamProblem:
		return syscall.EPROTO, true
	}
	return 0, false
}

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
	}
	return fmt.Sprintf("error %d", k)
}

// HandleError is UDP's ip.ErrorHandler: an ICMP error about a datagram we
// sent. transport holds at least the UDP header we sent. A socket
// connected to the datagram's destination gets the error on its next
// receive (Linux without IP_RECVERR: unconnected sockets hear nothing).
func (u *Protocol) HandleError(from netip.Addr, kind ip.ErrorKind, info int, quoted ip.Header, transport []byte) {
	if len(transport) < HeaderLen {
		return
	}
	h := Header(transport[:HeaderLen])
	errno, hard := hardErrno(kind)
	if !hard {
		return
	}
	local := netip.AddrPortFrom(quoted.Src(), h.SrcPort())
	remote := netip.AddrPortFrom(quoted.Dst(), h.DstPort())
	if s := u.ports.lookupSent(local, remote); s != nil {
		s.q.setError(&ICMPError{From: from, Kind: kind, Remote: remote, Errno: errno})
	}
}

var _ ip.ErrorHandler = (*Protocol)(nil).HandleError
