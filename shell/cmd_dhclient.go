package shell

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/gotapip/gotapip/dhcp"
)

var dhclientCommand = &Command{
	Name:  "dhclient",
	Usage: "[-r] [IFACE]",
	Brief: "get an address by DHCP (or release it: -r); alone, show the leases",
	Help: `dhclient IFACE broadcasts DHCPDISCOVER, takes the first offer, requests
it, probes the address with ARP (RFC 5227) and, bound, sets the address,
the routes (classless static routes, RFC 3442, else a default route via
the router) and the DNS servers, printing each step as ISC dhclient does.
It returns once bound; renewals at T1 and rebinding at T2 go on in the
background, their lines printed above the prompt. It fails when no server
answers (four DISCOVERs, about a minute) or Ctrl-C stops it.
dhclient -r IFACE sends a DHCPRELEASE and removes what the lease set; the
shell releases every lease when it exits. dhclient alone lists the leases
as dhclient's lease file does; stat shows the Dhcp counters.`,
	Run: runDhclient,
}

func runDhclient(ctx context.Context, sh *Shell, args []string) error {
	o, err := parseOpts(args, "r")
	if err != nil {
		return err
	}
	if len(o.args) > 1 {
		return usage("give one device")
	}
	m := sh.dhcpManager()
	if len(o.args) == 0 {
		if o.has('r') {
			return usage("-r needs the device whose lease to release")
		}
		printLeases(sh.Out, m.Leases(), sh.Stack.Now())
		return nil
	}
	dev, err := sh.Stack.Device(o.args[0])
	if err != nil {
		return fmt.Errorf("dhclient: %w", err)
	}
	out := sh.Out
	say := func(line string) { fmt.Fprintln(out, line) }
	if o.has('r') {
		return m.Release(dev, say)
	}
	if _, err := m.Start(ctx, dev, say); err != nil {
		if ctx.Err() != nil {
			return ErrFailed // Ctrl-C: the lines above say where it was
		}
		return err
	}
	return nil
}

// dhcpManager returns the shell's DHCP clients, made at first use; their
// later lines (renewals) go out as notices.
func (sh *Shell) dhcpManager() *dhcp.Manager {
	sh.bg.Lock()
	defer sh.bg.Unlock()
	if sh.dhcp == nil {
		sh.dhcp = dhcp.NewManager(sh.Stack, dhcp.Config{Log: sh.Notice})
	}
	return sh.dhcp
}

// releaseLeasesLocked gives back every lease (the shell is ending).
func (sh *Shell) releaseLeasesLocked() {
	if sh.dhcp != nil {
		out := sh.Out
		sh.dhcp.Close(func(line string) { fmt.Fprintln(out, line) })
	}
}

// printLeases writes the leases as dhclient.leases(5) does, times in UTC.
func printLeases(w io.Writer, leases []dhcp.Lease, now time.Time) {
	if len(leases) == 0 {
		fmt.Fprintln(w, "no leases (dhclient IFACE gets one)")
		return
	}
	stamp := func(t time.Time) string { return t.UTC().Format("2006/01/02 15:04:05") }
	for _, l := range leases {
		fmt.Fprintf(w, "lease {\n  interface %q;\n", l.Dev)
		if !l.Addr.IsValid() {
			fmt.Fprintf(w, "  # %s: no lease yet\n}\n", l.State)
			continue
		}
		fmt.Fprintf(w, "  fixed-address %v;\n", l.Addr.Addr())
		fmt.Fprintf(w, "  option subnet-mask %v;\n", maskOf(l.Addr.Bits()))
		if len(l.Routes) > 0 {
			var parts []string
			for _, r := range l.Routes {
				parts = append(parts, fmt.Sprintf("%v %v", r.Dst, r.Gateway))
			}
			fmt.Fprintf(w, "  option rfc3442-classless-static-routes %s;\n", strings.Join(parts, ", "))
		}
		if len(l.Routers) > 0 {
			fmt.Fprintf(w, "  option routers %s;\n", joinAddrs(l.Routers))
		}
		if len(l.DNS) > 0 {
			fmt.Fprintf(w, "  option domain-name-servers %s;\n", joinAddrs(l.DNS))
		}
		if l.Domain != "" {
			fmt.Fprintf(w, "  option domain-name %q;\n", l.Domain)
		}
		fmt.Fprintf(w, "  option dhcp-server-identifier %v;\n", l.Server)
		fmt.Fprintf(w, "  option dhcp-lease-time %d;\n", int(l.Duration/time.Second))
		fmt.Fprintf(w, "  renew %s;\n  rebind %s;\n  expire %s;\n", stamp(l.Renew()), stamp(l.Rebind()), stamp(l.Expire()))
		fmt.Fprintf(w, "  # %s, expires in %d s\n}\n", l.State, int(l.Expire().Sub(now).Round(time.Second)/time.Second))
	}
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func maskOf(bits int) netip.Addr {
	m := ^uint32(0) << (32 - bits)
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)})
}
