// Package stack is gotapip's host: one value holding a TCP/IP stack's
// devices, tables and protocols, and the API Go programs use to embed it.
//
// # Embedding the stack
//
// Build a stack, give it a device with an address, then use it as you
// would package net:
//
//	s := stack.New(stack.Config{})
//	defer s.Close()
//	dev, err := s.OpenDevice(stack.DeviceSpec{Kind: "tap", Iface: "tap0"},
//		stack.DeviceOptions{Addr: netip.MustParsePrefix("10.0.0.1/24")})
//	...
//	s.AddDefaultRoute(dev, netip.MustParseAddr("10.0.0.254"))
//	conn, err := s.DialContext(ctx, "tcp", "10.0.0.2:80") // a net.Conn
//	ln, err := s.Listen("tcp", ":8080")                  // a net.Listener
//
// Devices: OpenDevice opens a TAP ("tap"), takes over an interface
// ("packet", "macvtap", "netmap"); AddDevice attaches any netdev.Driver,
// such as one end of an in-memory wire (netdev/pipe) to a second stack in
// the same process, which is how the examples and the in-process tests
// build a LAN without root. Addresses and routes: SetAddress, AddRoute,
// AddDefaultRoute; the ARP cache is s.ARP, the routing table s.IP.Routes.
//
// Sockets: TCP connections are net.Conn (with deadlines and CloseWrite),
// listeners net.Listener. Errors are *net.OpError wrapping the errno the
// Linux kernel would return, so errors.Is(err, syscall.ECONNREFUSED) works.
// Go's net/http runs over them unchanged (see the examples). UDP:
// ListenPacket gives a net.PacketConn, DialContext(ctx, "udp", addr) a
// connected net.Conn; both are *udp.Conn. Names: Resolver is Go's own
// resolver (PreferGo) asking the servers SetDNSServers gave, over the
// stack's UDP and TCP; LookupIPv4 wraps it. Ping: s.ICMP.NewPinger.
//
// Time: Config.Clock is the stack's clock (package clock); tests pass a
// fake one (internal/fakeclock) so retransmission and other timers fire
// without sleeping.
//
// # Inside
//
// Package stack is the composition root: it makes the layers, wires each
// one's up-calls into the layer above (EtherType handlers into netdev,
// protocol handlers into ip, the resolver into ip), owns the goroutines (one
// poller per device, one net timer) and offers the API the shell and tests
// use. A protocol wired in here registers its periodic job (RegisterTick:
// the net timer runs it), what it does at the end of each batch of frames
// a poller read (RegisterBatchEnd: TCP's held ACKs) and its counters
// (RegisterCounters: stat prints them), so neither Tick, the pollers nor
// stat list the protocols. Nothing here is global: two Stacks live side
// by side in one process.
package stack
