// Package macvtap is the driver for a Linux macvtap: the stack gets a MAC
// of its own on a host interface, without a TAP or a bridge. The kernel's
// macvlan rx handler on the parent interface hands every frame for that
// MAC (and every broadcast and multicast) to the macvtap, and its
// character device (/dev/tapN) is ours to read and write, as a TAP's.
//
// Open("eth0", ...) makes a macvtap in bridge mode on eth0, named mvtap0
// (or the first free mvtapN), with the stack's MAC, brings it up, and
// Close deletes it. Open on an existing macvtap attaches to it, uses its
// MAC, and leaves it in place. The requests go over rtnetlink (rtnl.go)
// in the network namespace of the calling thread.
//
// The character device is found through sysfs, /sys/class/net/NAME/
// macvtap/tapINDEX/dev. A host without udev may have no node for it, and
// /dev is shared by every network namespace (a /dev/tapINDEX may be
// another namespace's macvtap), so the driver uses the node only when its
// device number matches, and otherwise makes a node of its own, opens it
// and removes it at once (chardev.go).
//
// Every frame read comes behind a struct virtio_net_hdr (netdev/vnet).
// The driver asks for checksum offload only (TUNSETOFFLOAD TUN_F_CSUM):
// a checksum the kernel left partial is finished here, as the packet
// driver does, and the kernel segments TSO and USO super-frames before
// they reach us; one that arrives anyway is dropped and counted
// (Stats.RxGSO). Frames sent carry a zeroed header.
//
// Faults: a macvtap is deleted with its parent, and its device then
// neither fails reads nor writes, so the driver watches link events
// (RTMGRP_LINK) beside the device: when the macvtap goes, ReadFrame and
// WriteFrame return errors wrapping netdev.ErrGone; when it loses its
// carrier (the parent went down), ReadFrame returns one error wrapping
// ErrParentDown, and frames flow again when the parent is back up.
//
// Limit: in bridge mode frames from the parent interface itself (the
// host's own stack on eth0) never reach a macvtap on it: they leave on
// the wire. The host reaches the stack through another macvlan on the
// same parent, or from another machine (doc/net_topology.md).
package macvtap
