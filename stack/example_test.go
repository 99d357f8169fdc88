package stack_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/gotapip/gotapip/icmp"
	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
)

// exampleLAN builds what every example starts from: two stacks in one
// process, 10.0.0.1/24 and 10.0.0.2/24, joined by an in-memory wire (a
// pipe: a crossover cable). On a real network the device would come from
// OpenDevice(stack.DeviceSpec{Kind: "tap", Iface: "tap0"}, ...) instead.
func exampleLAN() (a, b *stack.Stack) {
	wireA, wireB := pipe.New(1) // the seed of the wire's (here unused) faults
	a, b = stack.New(stack.Config{}), stack.New(stack.Config{})
	for _, h := range []struct {
		s    *stack.Stack
		end  *pipe.End
		addr string
	}{{a, wireA, "10.0.0.1/24"}, {b, wireB, "10.0.0.2/24"}} {
		addr := netip.MustParsePrefix(h.addr)
		cfg := netdev.Config{Name: "veth0", MAC: stack.MACFor(addr.Addr())}
		if _, err := h.s.AddDevice(h.end, cfg, addr); err != nil {
			panic(err)
		}
	}
	return a, b
}

// An HTTP server on one stack and a client on the other: Go's own net/http
// over the stacks' TCP. Listen gives a net.Listener, DialContext a
// net.Conn, so anything written for package net runs on the stack.
func Example_httpServerAndClient() {
	a, b := exampleLAN()
	defer a.Close()
	defer b.Close()

	ln, err := b.Listen("tcp", ":80")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s from 10.0.0.2", r.URL.Path[1:])
	})}
	go srv.Serve(ln)
	defer srv.Close()

	client := &http.Client{
		Transport: &http.Transport{DialContext: a.DialContext},
		Timeout:   10 * time.Second,
	}
	resp, err := client.Get("http://10.0.0.2/gopher")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	fmt.Println(string(body))
	// Output:
	// 200 OK
	// hello gopher from 10.0.0.2
}

// Errors match the errno the kernel would give, so a program tests them as
// it would with package net.
func ExampleStack_DialContext_refused() {
	a, b := exampleLAN()
	defer a.Close()
	defer b.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := a.DialContext(ctx, "tcp", "10.0.0.2:9") // nothing listens there
	var opErr *net.OpError
	fmt.Println(errors.As(err, &opErr), errors.Is(err, syscall.ECONNREFUSED))
	// Output:
	// true true
}

// A ping: an echo request out, the reply back with its round-trip time.
func Example_ping() {
	a, b := exampleLAN()
	defer a.Close()
	defer b.Close()

	pinger, err := a.ICMP.NewPinger()
	if err != nil {
		panic(err)
	}
	defer pinger.Close()
	dst := netip.MustParseAddr("10.0.0.2")
	if err := pinger.Send(dst, 1, icmp.SendOptions{Size: 56}); err != nil {
		panic(err)
	}
	select {
	case r := <-pinger.Replies():
		fmt.Printf("%d bytes from %v: icmp_seq=%d ttl=%d\n", r.Bytes, r.From, r.Seq, r.TTL)
	case <-time.After(10 * time.Second):
		fmt.Println("no reply")
	}
	// Output:
	// 64 bytes from 10.0.0.2: icmp_seq=1 ttl=64
}
