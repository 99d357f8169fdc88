package udp

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/gotapip/gotapip/ip"
)

func TestErrno(t *testing.T) {
	cases := []struct {
		err  error
		want syscall.Errno
	}{
		{&ICMPError{Kind: ip.PortUnreachable, Errno: syscall.ECONNREFUSED}, syscall.ECONNREFUSED},
		{fmt.Errorf("udp: send to 10.9.9.9:53: %w", ip.ErrNoRoute), syscall.ENETUNREACH},
		{fmt.Errorf("udp: %w", ip.ErrMsgSize), syscall.EMSGSIZE},
		{fmt.Errorf("udp: bind: %w", ErrAddrInUse), syscall.EADDRINUSE},
		{fmt.Errorf("udp: bind: %w", ErrAddrNotAvail), syscall.EADDRNOTAVAIL},
		{fmt.Errorf("udp: send: %w", ErrNotConnected), syscall.EDESTADDRREQ},
		{fmt.Errorf("udp: %w", ErrTooManySockets), syscall.EMFILE},
	}
	for _, c := range cases {
		got, ok := Errno(c.err)
		if !ok || got != c.want {
			t.Errorf("Errno(%v) = %v, %v; want %v", c.err, got, ok, c.want)
		}
	}
	if got, ok := Errno(errors.New("something else")); ok {
		t.Errorf("Errno of an error with no errno = %v, want none", got)
	}
}

// A Conn's errors are the net package's: the syscall named, the errno
// matched by errors.Is.
func TestConnOpError(t *testing.T) {
	c := &Conn{s: &Socket{u: &Protocol{}}}
	c.s.u.ports.init()
	err := c.opError("read", "read", nil, &ICMPError{Remote: netip.MustParseAddrPort("10.0.0.2:9"), Errno: syscall.ECONNREFUSED})
	msg := err.Error()
	if !strings.HasPrefix(msg, "read udp ") || !strings.HasSuffix(msg, ": read: connection refused") || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("opError = %q, want \"read udp ADDR: read: connection refused\" matching ECONNREFUSED", err)
	}
}
