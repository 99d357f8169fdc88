package stack_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/gotapip/gotapip/sim"
)

// Go's resolver, its queries sent through the stack: here to a name
// server (the simulated LAN's, answering for lab.) on a second stack in
// the same process.
func ExampleStack_Resolver() {
	client, server, err := pipeLAN("10.0.0.1/24", "10.0.0.53/24") // two stacks on one wire
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	defer server.Close()
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
