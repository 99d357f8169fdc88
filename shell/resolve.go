package shell

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/gotapip/gotapip/stack"
)

// resolveHost turns a command's HOST, an IPv4 address or a name, into an
// address, as getaddrinfo(3) does for the tools: a name goes to the
// stack's resolver (its name servers, through its UDP), never to the
// host's. The error says it as gai_strerror(3) does ("NAME: Name or
// service not known"), with what to do when there is no name server and
// why a lookup timed out; the command puts its name before it.
func (sh *Shell) resolveHost(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if !a.Is4() {
			return a, fmt.Errorf("%s: Address family for hostname not supported (this stack speaks IPv4)", host)
		}
		return a, nil
	}
	addrs, err := sh.Stack.LookupIPv4(ctx, host)
	if err == nil {
		return addrs[0], nil
	}
	if ctx.Err() != nil {
		return netip.Addr{}, ctx.Err()
	}
	return netip.Addr{}, resolveError(host, err)
}

// resolveError words a failed lookup of host as gai_strerror(3).
func resolveError(host string, err error) error {
	var le *stack.LookupError
	var de *net.DNSError
	switch {
	case errors.Is(err, stack.ErrNoDNSServers):
		return fmt.Errorf("%s: Name or service not known (no name server: resolv SERVER sets one)", host)
	case errors.As(err, &de) && de.IsNotFound:
		return fmt.Errorf("%s: Name or service not known", host)
	case errors.As(err, &le) && le.Ignored() != "":
		return fmt.Errorf("%s: Temporary failure in name resolution (%s)", host, le.Ignored())
	}
	return fmt.Errorf("%s: Temporary failure in name resolution", host)
}

// resolveHostPort turns a command's HOST:PORT, HOST an IPv4 address or a
// name, into an address and port; a malformed one gets parseHostPort's
// message, a name that does not resolve resolveHost's.
func (sh *Shell) resolveHostPort(ctx context.Context, s string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(s)
	if _, perr := netip.ParseAddr(host); err != nil || perr == nil || host == "" {
		return parseHostPort(s)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return parseHostPort(s)
	}
	a, err := sh.resolveHost(ctx, host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}
