// Package dhcp is a DHCP client for a gotapip stack (RFC 2131) and the
// DHCP message format its server side (sim's) shares.
//
// A Manager runs one Client per device over one UDP socket on port 68.
// Start goes through DISCOVER, OFFER, REQUEST and ACK, probes the address
// with ARP before using it (RFC 5227; a DHCPDECLINE on a conflict), then
// applies the lease to the stack: the address and its subnet route, the
// routes of option 121 (RFC 3442) or else a default route via the first
// router, and the DNS servers (Stack.SetDNSServers, where a resolver
// reads them). The client then renews at T1 (unicast to its server),
// rebinds at T2 (broadcast) and lets the address go when the lease ends;
// Release sends a DHCPRELEASE and takes everything out again.
//
// Before the device has an address the client broadcasts from 0.0.0.0
// through udp.Socket.SendOn (ip.Layer.OutputOn: no routing table) and asks
// servers to broadcast their answers (the BROADCAST flag), which IP
// accepts on any device. Retransmissions back off as RFC 2131 4.1 says (4,
// 8, 16, 32, 64 s, each +-1 s); every wait runs on the stack's clock, so a
// test with a fake clock renews and rebinds without sleeping. Every reply
// that is not used is counted in Stats under one reason and explained once
// per exchange.
//
// Not supported: relays' giaddr on the client side, INIT-REBOOT (asking
// for the last address again), options in sname and file (option 52),
// DHCPINFORM, IPv6.
package dhcp
