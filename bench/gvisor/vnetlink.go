package main

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/rawfile"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/stopfd"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// vnetLink is a gVisor link endpoint for a TAP opened with IFF_VNET_HDR
// and TUNSETOFFLOAD(CSUM|TSO4): host GSO out, large segments in.
//
// Why not gVisor's fdbased endpoint: in this gVisor version fdbased turns
// host GSO on only when its descriptor is a socket (runsc hands it an
// AF_PACKET socket with PACKET_VNET_HDR); on a TAP descriptor it writes
// plain frames whatever GSOMaxSize says. So with -offload we do the same
// two things fdbased does for a socket, on the TAP: a virtio-net header on
// each write (vnethdr.go), and skip it on each read.
type vnetLink struct {
	fd      int
	stop    stopfd.StopFD
	mu      sync.RWMutex
	mtu     uint32
	addr    tcpip.LinkAddress
	disp    stack.NetworkDispatcher
	wg      sync.WaitGroup
	dropped atomic.Uint64 // frames too short or for another MAC
}

var (
	_ stack.LinkEndpoint = (*vnetLink)(nil)
	_ stack.GSOEndpoint  = (*vnetLink)(nil)
)

// gsoMaxSize is the largest TCP segment we hand the kernel: an IPv4
// packet's 64 KB limit, as the kernel's own gso_max_size.
const gsoMaxSize = 1 << 16

func newVnetLink(fd int, mtu uint32, addr tcpip.LinkAddress) (*vnetLink, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	stop, err := stopfd.New()
	if err != nil {
		return nil, err
	}
	return &vnetLink{fd: fd, stop: stop, mtu: mtu, addr: addr}, nil
}

func (l *vnetLink) MTU() uint32 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.mtu
}

func (l *vnetLink) SetMTU(mtu uint32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mtu = mtu
}

func (l *vnetLink) LinkAddress() tcpip.LinkAddress {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.addr
}

func (l *vnetLink) SetLinkAddress(addr tcpip.LinkAddress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addr = addr
}

// Capabilities: frames from the kernel's own stack may carry partial
// checksums (NEEDS_CSUM), which only the receiver trusting them can take.
func (*vnetLink) Capabilities() stack.LinkEndpointCapabilities {
	return stack.CapabilityResolutionRequired | stack.CapabilityRXChecksumOffload
}

func (*vnetLink) SupportedGSO() stack.SupportedGSO        { return stack.HostGSOSupported }
func (*vnetLink) GSOMaxSize() uint32                      { return gsoMaxSize }
func (*vnetLink) MaxHeaderLength() uint16                 { return header.EthernetMinimumSize }
func (*vnetLink) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }
func (*vnetLink) SetOnCloseAction(func())                 {}

// Attach starts the reader on the first dispatcher; nil (the stack
// removing the NIC) stops it for good, as fdbased does; Wait waits for it.
func (l *vnetLink) Attach(d stack.NetworkDispatcher) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case d == nil:
		l.stop.Stop()
	case l.disp == nil:
		l.wg.Add(1)
		go l.readLoop(d)
	}
	l.disp = d
}

func (l *vnetLink) IsAttached() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.disp != nil
}

// Close does nothing: the reader stops on Attach(nil), and the caller owns
// and closes the descriptor.
func (*vnetLink) Close() {}

func (l *vnetLink) Wait() { l.wg.Wait() }

func (l *vnetLink) AddHeader(pkt *stack.PacketBuffer) {
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	eth.Encode(&header.EthernetFields{
		SrcAddr: pkt.EgressRoute.LocalLinkAddress,
		DstAddr: pkt.EgressRoute.RemoteLinkAddress,
		Type:    pkt.NetworkProtocolNumber,
	})
}

func (l *vnetLink) ParseHeader(pkt *stack.PacketBuffer) bool {
	hdr, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	if ok {
		pkt.NetworkProtocolNumber = header.Ethernet(hdr).Type()
	}
	return ok
}

// WritePackets writes each packet with one writev: virtio-net header, then
// the packet's views. A TAP write does not block; an error stops the batch.
func (l *vnetLink) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	var vnet [vnetHdrLen]byte
	var iovArr [8]unix.Iovec
	for i, pkt := range pkts.AsSlice() {
		vnetHeaderFor(&vnet, pkt)
		iovs := rawfile.AppendIovecFromBytes(iovArr[:0], vnet[:], rawfile.MaxIovs)
		for _, v := range pkt.AsSlices() {
			iovs = rawfile.AppendIovecFromBytes(iovs, v, rawfile.MaxIovs)
		}
		if errno := rawfile.NonBlockingWriteIovec(l.fd, iovs); errno != 0 {
			if i == 0 {
				return 0, tcpip.TranslateErrno(errno)
			}
			return i, nil
		}
	}
	return pkts.Len(), nil
}

// reportDrops says on stderr how many frames the link dropped, if any.
func (l *vnetLink) reportDrops() {
	if n := l.dropped.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "gvisor-target: %d frames dropped (shorter than an Ethernet header, or for another MAC)\n", n)
	}
}

// deliver hands one Ethernet frame to the stack if it is addressed to us
// (or to a group), as a NIC's MAC filter would.
func (l *vnetLink) deliver(d stack.NetworkDispatcher, frame buffer.Buffer) {
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: frame})
	defer pkt.DecRef()
	hdr, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	if !ok {
		l.dropped.Add(1)
		return
	}
	eth := header.Ethernet(hdr)
	dst := eth.DestinationAddress()
	if dst != l.LinkAddress() && dst[0]&1 == 0 {
		l.dropped.Add(1)
		return
	}
	pkt.NetworkProtocolNumber = eth.Type()
	d.DeliverNetworkPacket(eth.Type(), pkt)
}
