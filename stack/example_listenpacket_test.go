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

// pipeLAN returns two stacks with the addresses a and b on the two ends
// of an in-memory wire (netdev/pipe): the examples' LAN.
func pipeLAN(a, b string) (*stack.Stack, *stack.Stack, error) {
	wireA, wireB := pipe.New(1)
	hosts := []*stack.Stack{stack.New(stack.Config{}), stack.New(stack.Config{})}
	for i, wire := range []*pipe.End{wireA, wireB} {
		addr, err := netip.ParsePrefix([]string{a, b}[i])
		if err == nil {
			_, err = hosts[i].AddDevice(wire, netdev.Config{Name: "veth0", MAC: stack.MACFor(addr.Addr())}, addr)
		}
		if err != nil {
			hosts[0].Close()
			hosts[1].Close()
			return nil, nil, err
		}
	}
	return hosts[0], hosts[1], nil
}

// A UDP echo between two stacks in one process, joined by an in-memory
// wire: the server listens with ListenPacket and answers each datagram
// with WriteTo; the client dials with DialContext and reads the echo.
func ExampleStack_ListenPacket() {
	client, server, err := pipeLAN("10.0.0.1/24", "10.0.0.2/24")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	defer server.Close()

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
