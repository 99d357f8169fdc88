package stack_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/sim"
	"github.com/gotapip/gotapip/stack"
)

// Go's resolver, its queries sent through the stack: here to a name
// server (the simulated LAN's, answering for lab.) on a second stack in
// the same process.
func ExampleStack_Resolver() {
	wireA, wireB := pipe.New(1)
	client, server := stack.New(stack.Config{}), stack.New(stack.Config{})
	defer client.Close()
	defer server.Close()
	for _, h := range []struct {
		s    *stack.Stack
		wire *pipe.End
		addr string
	}{{client, wireA, "10.0.0.1/24"}, {server, wireB, "10.0.0.53/24"}} {
		addr := netip.MustParsePrefix(h.addr)
		if _, err := h.s.AddDevice(h.wire, netdev.Config{Name: "veth0", MAC: stack.MACFor(addr.Addr())}, addr); err != nil {
			fmt.Println(err)
			return
		}
	}
	names := map[string]netip.Addr{"www.lab.": netip.MustParseAddr("10.0.0.80")}
	if err := sim.NewDNSServer("lab.", names).Serve(server); err != nil {
		fmt.Println(err)
		return
	}

	client.SetDNSServers([]netip.Addr{netip.MustParseAddr("10.0.0.53")})
	addrs, err := client.Resolver().LookupHost(context.Background(), "www.lab")
	fmt.Println(addrs, err)
	// LookupIPv4 is the same, IPv4 only, its errors naming the server asked.
	_, err = client.LookupIPv4(context.Background(), "nosuch.lab")
	fmt.Println(err)
	// Output:
	// [10.0.0.80] <nil>
	// lookup nosuch.lab on 10.0.0.53:53: no such host
}
