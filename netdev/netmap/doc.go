// Package netmap is a netmap client in pure Go: it puts a NIC in netmap
// mode and moves frames through the rings netmap shares with the kernel,
// with no per-packet system call on receive and one NIOCTXSYNC per frame
// sent.
//
// Open opens /dev/netmap, registers the interface with NIOCREGIF (all NIC
// ring pairs, NETMAP_NO_TX_POLL), maps the shared region and finds the
// netmap_if and its rings at the offsets the ABI gives (abi.go draws the
// layout). ReadFrame takes frames from the rx rings and waits in poll(2),
// which also syncs them; WriteFrame fills a tx slot and calls NIOCTXSYNC.
//
// The code is split so the ring logic can be tested without the module:
// ring.go and port.go read and write a []byte laid out as the region, and
// check every index and length found there (the kernel writes that memory,
// so nothing in it is trusted: a bad slot is dropped and counted in Stats,
// never followed); netmap.go is the driver over a small kernel interface;
// sys_linux.go is the only file with system calls and unsafe.
//
// While the interface is in netmap mode the host's stack is cut off from
// it: the kernel neither sees its frames nor sends on it. Frames that span
// several slots (NS_MOREFRAG, jumbo frames on some NICs) are dropped.
// doc/netmap.md says how to run it and what is and is not tested.
package netmap
