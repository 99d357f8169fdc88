package netdev

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/gotapip/gotapip/netdev/vnet"
)

// This file is the device's data path: the poller, receive and transmit.

// poll reads frames until the driver is closed or the device goes away,
// and runs the receive path for each on this goroutine (no channel hop per
// packet). A device gone (ErrGone) is marked down and, once the poller has
// stopped, handed to the OnGone handler, as Linux unregisters a netdev.
func (d *NetDev) poll() {
	err := d.readFrames()
	if err != nil {
		d.up.Store(false)
	}
	close(d.done)
	if err != nil && d.onGone != nil {
		d.onGone(d, err)
	}
}

// readFrames is the poller's loop: it reads frames in batches (batch.go)
// and returns nil when the driver is closed and the driver's error when
// the device is gone. Any other read error ends the batch, is counted and
// the read retried; errors in a row back off up to maxReadBackoff, so a
// driver stuck in an error cannot spin a core.
func (d *NetDev) readFrames() error {
	failures := 0
	d.startBatches()
	for {
		p, n, err := d.readFrame()
		if err != nil {
			p.Free()
			d.endBatch() // nothing more comes now, whatever the reason
			switch {
			case err == ErrBatchEnd:
				d.noteEmpty()
				continue
			case errors.Is(err, ErrClosed):
				return nil
			case errors.Is(err, ErrGone):
				return err
			}
			d.Stats.RxErrors.Add(1)
			failures++
			time.Sleep(readBackoff(failures))
			continue
		}
		failures = 0
		if n < 0 { // a bad virtio_net_hdr, counted
			p.Free()
			continue
		}
		p.tail = p.head + n
		p.ArrivedAfter = d.emptyAt
		d.Receive(p)
		d.received(n)
		if d.yield.Load() {
			d.yield.Store(false)
			runtime.Gosched()
		}
	}
}

// readFrame reads one frame into a fresh packet. With RxVnet the frame
// may be a 64 KB super-frame, and its virtio_net_hdr is read into the
// headroom just in front of it and applied (offload.go); a header the
// stack cannot take is counted and n is -1.
func (d *NetDev) readFrame() (p *Packet, n int, err error) {
	if d.vnetRx == nil {
		p = d.pool.Get(EthernetHeaderLen + d.MTU())
		n, err = d.drv.ReadFrame(p.buf[p.head:])
		return p, n, err
	}
	p = d.pool.Get(MaxPacketSize)
	n, err = d.vnetRx.ReadVnetFrame(p.buf[p.head-vnet.HeaderLen:])
	if err != nil {
		return p, 0, err
	}
	n -= vnet.HeaderLen
	p.tail = p.head + max(n, 0)
	if n < 0 || !p.takeVnetHeader(p.buf[p.head-vnet.HeaderLen:p.head]) {
		d.Stats.RxErrors.Add(1)
		d.Stats.RxBadVnet.Add(1)
		return p, -1, nil
	}
	if p.off.gsoSize > 0 {
		d.Stats.RxGRO.Add(1)
	}
	return p, n, nil
}

// maxReadBackoff bounds the pause between failed reads: short enough that
// a device that recovers loses little, long enough to cost no CPU.
const maxReadBackoff = 100 * time.Millisecond

// readBackoff is the pause after the nth failed read in a row: none after
// the first (a passing error is retried at once), then 1 ms doubling up to
// maxReadBackoff.
func readBackoff(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	return min(time.Millisecond<<min(n-2, 7), maxReadBackoff)
}

// Receive runs the receive path for one frame in p: count it, check the
// Ethernet header, classify the destination and hand the payload to the
// handler registered for its EtherType. Drops are counted, never returned.
func (d *NetDev) Receive(p *Packet) {
	p.Dev = d
	d.Stats.RxPackets.Add(1)
	d.Stats.RxBytes.Add(uint64(p.Len()))
	if s := d.sniffer.Load(); s != nil {
		(*s)(In, d, p.Data())
	}
	d.traceDev(TraceIn, p)
	if !d.up.Load() {
		d.drop(p, &d.Stats.RxDown, "device down")
		return
	}
	eth, err := ParseEthernet(p.Data())
	if err != nil {
		d.Stats.RxErrors.Add(1)
		d.Stats.RxRunt.Add(1)
		d.tracer.Drop(LayerL2, d, p.Data(), "runt frame, shorter than an Ethernet header")
		p.Free()
		return
	}
	dst := eth.Dst()
	switch {
	case dst == d.mac || d.IsLoopback():
		p.Type = PacketHost
	case dst.IsBroadcast():
		p.Type = PacketBroadcast
	case dst.IsMulticast():
		p.Type = PacketMulticast
	default:
		d.drop(p, &d.Stats.RxOtherHost, "not for us: another host's MAC")
		return
	}
	h := d.demux.Lookup(eth.EtherType())
	if h == nil {
		d.drop(p, &d.Stats.RxUnknownType, "unknown EtherType")
		return
	}
	d.tracer.Trace(LayerL2, TraceIn, d, p.Data())
	p.Pull(EthernetHeaderLen)
	p.MarkNetwork()
	h(p)
}

// traceDev traces the frame in p at the dev layer, a super-frame with a
// note of its pieces ("GSO 44×1448"): debug shows super-frames as they
// cross the driver, as tcpdump does on a Linux host with offloads.
func (d *NetDev) traceDev(dir TraceDir, p *Packet) {
	if d.tracer.Enabled(LayerDev) {
		d.tracer.Emit(TraceEvent{Layer: LayerDev, Dir: dir, Dev: d, Data: p.Data(), Reason: p.GSONote()})
	}
}

func (d *NetDev) drop(p *Packet, counter Counter, reason string) {
	d.Stats.RxDropped.Add(1)
	d.tracer.DropPacket(LayerL2, p, counter, reason)
}

// Transmit prepends an Ethernet header (our MAC to dst, etherType) to p and
// writes the frame, padding it to the 60-byte minimum. It consumes p.
func (d *NetDev) Transmit(p *Packet, dst MAC, etherType uint16) error {
	defer p.Free()
	if !d.up.Load() {
		d.Stats.TxDropped.Add(1)
		d.tracer.Drop(LayerL2, d, p.Data(), "send: device down")
		return errDown(d)
	}
	if p.Len() > d.MTU() && (p.off.gsoSize == 0 || p.Len() > d.offloads.GSOMaxSize) {
		d.Stats.TxDropped.Add(1)
		d.tracer.Drop(LayerL2, d, p.Data(), "send: larger than the MTU")
		return fmt.Errorf("%s: %d-byte packet: %w: larger than the device MTU %d", d.name, p.Len(), ErrMTU, d.MTU())
	}
	eth := Ethernet(p.Push(EthernetHeaderLen))
	eth.SetDst(dst)
	eth.SetSrc(d.mac)
	eth.SetEtherType(etherType)
	if pad := EthernetMinFrame - p.Len(); pad > 0 {
		clear(p.Append(pad))
	}
	frame := p.Data()
	d.tracer.Trace(LayerL2, TraceOut, d, frame)
	d.traceDev(TraceOut, p)
	if s := d.sniffer.Load(); s != nil {
		(*s)(Out, d, frame)
	}
	gso := p.off.gsoSize > 0
	if err := d.write(p); err != nil {
		d.Stats.TxErrors.Add(1)
		return err
	}
	if gso {
		d.Stats.TxGSO.Add(1)
	}
	d.Stats.TxPackets.Add(1)
	d.Stats.TxBytes.Add(uint64(len(frame)))
	return nil
}

// write hands the frame in p to the driver: behind a virtio_net_hdr when
// the driver takes one, else plain, its checksum finished here if TCP
// left it partial (a super-frame cannot be cut here: refused).
func (d *NetDev) write(p *Packet) error {
	n := d.netem.Load()
	if d.vnetTx != nil && n == nil && p.Headroom() >= vnet.HeaderLen {
		p.putVnetHeader()
		return d.vnetTx.WriteVnetFrame(p.Data())
	}
	if p.off.gsoSize > 0 { // counted in TxErrors by Transmit
		return fmt.Errorf("%s: %w", d.name, errNoGSO)
	}
	p.finishChecksum()
	if n != nil {
		return n.Send(p.Data()) // link faults (netem.go); it writes what survives
	}
	return d.drv.WriteFrame(p.Data())
}
