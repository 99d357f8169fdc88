package shell

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/gotapip/gotapip/stack"
)

var hostCommand = &Command{
	Name:  "host",
	Usage: "NAME [SERVER]",
	Brief: "look a name up in DNS, as host(1)",
	Help: `Asks the name servers (resolv lists them), or SERVER, for NAME's IPv4
addresses over the stack's UDP (TCP when the answer is truncated), with
Go's own resolver, and prints each as host(1) does: "NAME has address
ADDR". A name that does not exist prints "Host NAME not found:
3(NXDOMAIN)"; a server that does not answer in time, "connection timed
out", with the answers ignored because they did not match the question.
Fails when no address came. On the simulated LAN the router (10.0.0.254)
answers for host.sim, router.sim and far.sim.`,
	Run: runHost,
}

// rcodeNames are the response codes host(1) names (RFC 1035 4.1.1).
var rcodeNames = map[int]string{1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}

func runHost(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "")
	if err != nil {
		return err // host -t A: no options here
	}
	args = o.args
	if len(args) < 1 || len(args) > 2 {
		return usage("give a name, and optionally the server to ask")
	}
	name := args[0]
	if _, err := netip.ParseAddr(name); err == nil {
		return fmt.Errorf("host: %s is an address (reverse lookups are not supported: give a name)", name)
	}
	if why := illegalName(name); why != "" {
		return fmt.Errorf("host: '%s' is not a legal name (%s)", name, why)
	}
	var servers []netip.Addr
	if len(args) == 2 {
		server, err := netip.ParseAddr(args[1])
		if err != nil || !server.Is4() {
			return fmt.Errorf("host: couldn't get address for '%s': not found (give the server's IPv4 address)", args[1])
		}
		servers = []netip.Addr{server}
		fmt.Fprintf(sh.Out, "Using domain server:\nName: %s\nAddress: %s#%d\nAliases: \n\n", server, server, stack.DNSPort)
	}
	addrs, err := sh.Stack.LookupIPv4(ctx, name, servers...)
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil // Ctrl-C
	}
	if err != nil {
		fmt.Fprintln(sh.Out, hostFailure(name, err))
		return ErrFailed
	}
	for _, a := range addrs {
		fmt.Fprintf(sh.Out, "%s has address %s\n", strings.TrimSuffix(name, "."), a)
	}
	return nil
}

// hostFailure is host(1)'s lines for a failed lookup.
func hostFailure(name string, err error) string {
	if errors.Is(err, stack.ErrNoDNSServers) {
		return ";; no name server to ask (resolv SERVER sets one, or host NAME SERVER asks one)"
	}
	name = strings.TrimSuffix(name, ".")
	le := &stack.LookupError{RCode: -1}
	errors.As(err, &le)
	var de *net.DNSError
	errors.As(err, &de)
	server := fmt.Sprintf("%s#%d", le.Server, stack.DNSPort)
	prefix := ""
	if le.Truncated > 0 {
		prefix = ";; Truncated, retrying in TCP mode.\n"
	}
	switch {
	case le.BadRecords > 0:
		return prefix + fmt.Sprintf(";; malformed answer from %s: its records do not parse\n;; no servers could be reached", server)
	case le.Refused > 0:
		return prefix + fmt.Sprintf(";; communications error to %s: connection refused\n;; no servers could be reached", server)
	case le.RCode == 0 && de != nil && de.IsNotFound:
		return prefix + fmt.Sprintf("%s has no A record", name)
	case rcodeNames[le.RCode] != "":
		return prefix + fmt.Sprintf("Host %s not found: %d(%s)", name, le.RCode, rcodeNames[le.RCode])
	case de != nil && de.IsNotFound:
		return prefix + fmt.Sprintf("Host %s not found: 3(NXDOMAIN)", name)
	case de != nil && de.IsTimeout:
		msg := prefix + ";; connection timed out; no servers could be reached"
		if le.Ignored() != "" {
			msg += "\n;; " + le.Ignored() + " (Go's resolver takes them for forgeries)"
		}
		return msg
	}
	if de != nil && de.Server != "" { // the query could not go: say why, as host(1)
		return prefix + fmt.Sprintf(";; communications error to %s: %s\n;; no servers could be reached",
			strings.Replace(de.Server, ":", "#", 1), sendFailure(de.Err))
	}
	return prefix + fmt.Sprintf(";; %s: %v", name, err)
}

// sendFailure words the end of Go's resolver error text ("read udp
// ...: read: no route to host"; it keeps no errno) as host(1) words
// the failure.
func sendFailure(text string) string {
	tail := text[strings.LastIndex(text, ": ")+2:]
	switch tail {
	case "no route to host":
		return "host unreachable"
	case "network is unreachable":
		return "network unreachable"
	}
	return tail
}

var resolvCommand = &Command{
	Name:  "resolv",
	Usage: "[-d] [SERVER...]",
	Brief: "show or set the name servers, as resolv.conf's nameserver lines",
	Help: `With no argument, prints the name servers host, ping, traceroute,
curl, snc -c and udp send ask, one "nameserver ADDR" line each, as
/etc/resolv.conf has them. With SERVERs (IPv4 addresses, at most 3, asked
in order), sets them; -d removes them all. tapip -dns IP sets one at
start; on the simulated LAN the router, 10.0.0.254, is the default.`,
	Run: runResolv,
}

func runResolv(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "d")
	if err != nil {
		return err
	}
	switch {
	case o.has('d') && len(o.args) > 0:
		return usage("-d takes no servers")
	case o.has('d'):
		return sh.Stack.SetDNSServers(nil)
	case len(o.args) == 0:
		servers := sh.Stack.DNSServers()
		if len(servers) == 0 {
			fmt.Fprintln(sh.Out, "# no name servers (resolv SERVER sets one)")
		}
		for _, a := range servers {
			fmt.Fprintf(sh.Out, "nameserver %s\n", a)
		}
		return nil
	}
	servers := make([]netip.Addr, 0, len(o.args))
	for _, s := range o.args {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return usage("%s: not an IPv4 address (give a name server's, like 10.0.0.254)", s)
		}
		servers = append(servers, a)
	}
	if err := sh.Stack.SetDNSServers(servers); err != nil {
		return fmt.Errorf("resolv: %w", err)
	}
	return nil
}

// illegalName says why name cannot be asked for, as host(1) does before
// sending anything (RFC 1035 2.3.4: labels of 1 to 63 octets, names of at
// most 253 characters written out), or "" if it can.
func illegalName(name string) string {
	trimmed := strings.TrimSuffix(name, ".")
	switch {
	case trimmed == "":
		return "empty name"
	case len(trimmed) > 253:
		return "name too long"
	}
	for _, label := range strings.Split(trimmed, ".") {
		switch {
		case label == "":
			return "empty label"
		case len(label) > 63:
			return "label too long"
		}
	}
	return ""
}
