package netdev

import (
	"fmt"
	"runtime"
)

// This file is the device's data path: the poller, receive and transmit.

// poll reads frames until the driver is closed and runs the receive path for
// each on this goroutine (no channel hop per packet).
func (d *NetDev) poll() {
	defer close(d.done)
	for {
		p := d.pool.Get(EthernetHeaderLen + d.MTU())
		n, err := d.drv.ReadFrame(p.buf[p.head:])
		if err != nil {
			p.Free()
			if err == ErrClosed {
				return
			}
			d.Stats.RxErrors.Add(1)
			continue
		}
		p.tail = p.head + n
		d.Receive(p)
		if d.yield.Load() {
			d.yield.Store(false)
			runtime.Gosched()
		}
	}
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
	d.tracer.Trace(LayerDev, TraceIn, d, p.Data())
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
	if p.Len() > d.MTU() {
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
	d.tracer.Trace(LayerDev, TraceOut, d, frame)
	if s := d.sniffer.Load(); s != nil {
		(*s)(Out, d, frame)
	}
	if err := d.drv.WriteFrame(frame); err != nil {
		d.Stats.TxErrors.Add(1)
		return err
	}
	d.Stats.TxPackets.Add(1)
	d.Stats.TxBytes.Add(uint64(len(frame)))
	return nil
}
