//go:build linux

package macvtap

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
	"github.com/gotapip/gotapip/netdev/vnet"
)

// ErrParentDown is wrapped by ReadFrame once each time the macvtap loses
// its carrier (its parent went down): frames are lost until it is back.
var ErrParentDown = errors.New("parent interface is down")

// maxNames bounds the names mvtap0, mvtap1, ... Open tries.
const maxNames = 64

// Stats counts the frames the driver dropped; the NetDev never sees them.
type Stats struct {
	RxTruncated atomic.Uint64 // longer than the reader's buffer
	RxGSO       atomic.Uint64 // a GSO super-frame nobody segmented
	RxBadCsum   atomic.Uint64 // a virtio_net_hdr asking for a checksum outside its frame
	RxBadFrame  atomic.Uint64 // shorter than a virtio_net_hdr
	// RxCsumFinished counts frames passed up whose checksum the kernel
	// left partial (checksum offload) and the driver finished.
	RxCsumFinished atomic.Uint64
}

// Options say what Open makes.
type Options struct {
	// MAC is the MAC asked for (tapip -hwaddr); zero: Default for a
	// macvtap Open makes, the macvtap's own for one that exists.
	MAC     netdev.MAC
	Default netdev.MAC
	// devDir is where the character device is looked for and made
	// (tests: an empty directory, to exercise the making).
	devDir string
}

// Macvtap is an open macvtap; it implements netdev.Driver and
// netdev.HardwareAddresser.
type Macvtap struct {
	link       // the macvtap
	parentName string
	created    bool // Open made it: Close deletes it
	madeNode   bool // the character device node was made by Open (and removed at once)
	fd         int  // the character device
	wake       int  // eventfd written by Close
	events     int  // netlink socket subscribed to link events
	ctl        *rtnl
	stats      Stats

	rxHdr   [vnet.HeaderLen]byte // the reader's virtio_net_hdr (under rxMu)
	rxMu    sync.Mutex
	carrier bool   // the last carrier state seen (under rxMu)
	evBuf   []byte // link events are read into it (under rxMu)

	mu     sync.RWMutex // read/write hold it shared, Close exclusively
	closed atomic.Bool
	gone   atomic.Bool
}

var (
	_ netdev.Driver            = (*Macvtap)(nil)
	_ netdev.HardwareAddresser = (*Macvtap)(nil)
)

// zeroHdr goes before every frame sent: no offload asked for.
var zeroHdr [vnet.HeaderLen]byte

// Open attaches to the macvtap iface, or makes a macvtap in bridge mode on
// the interface iface and attaches to that (Close deletes it). It works in
// the network namespace of the calling thread, and needs root.
func Open(iface string, opt Options) (*Macvtap, error) {
	if opt.devDir == "" {
		opt.devDir = "/dev"
	}
	ctl, err := newRtnl()
	if err != nil {
		return nil, fmt.Errorf("macvtap %s: %w", iface, err)
	}
	m := &Macvtap{ctl: ctl, fd: -1, wake: -1, events: -1, evBuf: make([]byte, 8192)}
	if err := m.open(iface, opt); err != nil {
		m.release()
		return nil, fmt.Errorf("macvtap %s: %w", iface, err)
	}
	return m, nil
}

func (m *Macvtap) open(iface string, opt Options) error {
	l, err := m.ctl.getLink(iface, 0)
	if err != nil {
		return fmt.Errorf("no such interface: %w (see: ip link show)", err)
	}
	if l.kind == "macvtap" {
		if !opt.MAC.IsZero() && opt.MAC != l.mac {
			return fmt.Errorf("it has MAC %v, not %v (leave -hwaddr out, or ip link set %s address %v)", l.mac, opt.MAC, iface, opt.MAC)
		}
		m.link = l
	} else if err := m.create(l, opt); err != nil {
		return err
	}
	if parent, err := m.ctl.getLink("", m.parent); err == nil {
		m.parentName = parent.name
	}
	if m.events, err = openRtnl(unix.RTMGRP_LINK); err != nil {
		return err
	}
	unix.SetNonblock(m.events, true)
	if err := m.ctl.setUp(m.index); err != nil {
		return fmt.Errorf("set %s up: %w", m.name, err)
	}
	major, minor, err := devNumber(m.link)
	if err != nil {
		return err
	}
	if m.fd, m.madeNode, err = openNode(opt.devDir, m.index, major, minor); err != nil {
		return err
	}
	// Partial checksums are ours to finish (netdev/vnet); no TSO or USO, so
	// the kernel segments what a peer sends with them before it reaches us.
	if err := unix.IoctlSetInt(m.fd, unix.TUNSETOFFLOAD, unix.TUN_F_CSUM); err != nil {
		return fmt.Errorf("TUNSETOFFLOAD: %w", err)
	}
	if m.wake, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return fmt.Errorf("eventfd: %w", err)
	}
	if l, err := m.ctl.getLink("", m.index); err == nil {
		m.carrier = l.flags&unix.IFF_LOWER_UP != 0
	}
	return nil
}

// create makes a macvtap on parent with the first free name mvtapN.
func (m *Macvtap) create(parent link, opt Options) error {
	mac := opt.MAC
	if mac.IsZero() {
		mac = opt.Default
	}
	if mac.IsZero() {
		return errors.New("no MAC for the new macvtap")
	}
	for i := range maxNames {
		name := fmt.Sprintf("mvtap%d", i)
		err := m.ctl.newMacvtap(name, parent.index, mac)
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return fmt.Errorf("ip link add link %s name %s type macvtap mode bridge: %w", parent.name, name, err)
		}
		m.created = true
		if m.link, err = m.ctl.getLink(name, 0); err != nil {
			return fmt.Errorf("%s made, then not found: %w", name, err)
		}
		return nil
	}
	return fmt.Errorf("mvtap0 to mvtap%d all exist", maxNames-1)
}

// Name is the macvtap's name; Parent that of the interface it sits on.
func (m *Macvtap) Name() string   { return m.name }
func (m *Macvtap) Parent() string { return m.parentName }

// Created reports whether Open made the macvtap (Close then deletes it).
func (m *Macvtap) Created() bool { return m.created }

// Kind is "macvtap".
func (m *Macvtap) Kind() string { return "macvtap" }

// HardwareAddr is the macvtap's MAC: the kernel delivers only frames for
// it (and broadcast and multicast), so the stack must use it.
func (m *Macvtap) HardwareAddr() netdev.MAC { return m.mac }

// Stats returns the driver's drop counters.
func (m *Macvtap) Stats() *Stats { return &m.stats }
