package stack_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
)

// A UDP echo between two stacks in one process, joined by an in-memory
// wire: the server listens with ListenPacket and answers each datagram
// with WriteTo; the client dials with DialContext and reads the echo.
func ExampleStack_ListenPacket() {
	wireA, wireB := pipe.New(1)
	client, server := stack.New(stack.Config{}), stack.New(stack.Config{})
	defer client.Close()
	defer server.Close()
	for _, h := range []struct {
		s    *stack.Stack
		wire *pipe.End
		addr string
	}{{client, wireA, "10.0.0.1/24"}, {server, wireB, "10.0.0.2/24"}} {
		addr := netip.MustParsePrefix(h.addr)
		if _, err := h.s.AddDevice(h.wire, netdev.Config{Name: "veth0", MAC: stack.MACFor(addr.Addr())}, addr); err != nil {
			fmt.Println(err)
			return
		}
	}

	pc, err := server.ListenPacket("udp", ":7")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			pc.WriteTo(buf[:n], from)
		}
	}()

	c, err := client.DialContext(context.Background(), "udp", "10.0.0.2:7")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("hello, echo")); err != nil {
		fmt.Println(err)
		return
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s from %v\n", buf[:n], c.RemoteAddr().(*net.UDPAddr).AddrPort())
	// Output: hello, echo from 10.0.0.2:7
}
