package netdev

import (
	"encoding/binary"
	"fmt"
	"runtime"
)

// This file is the device's data path: the poller, receive and transmit.

// poll reads frames from drv (the driver, or one of its queues) until it is
// closed and runs the receive path for each on this goroutine (no channel
// hop per packet). queue is 1 + the queue's index, 0 for a single queue.
func (d *NetDev) poll(drv Driver, queue int) {
	for {
		p := d.pool.Get(EthernetHeaderLen + d.MTU())
		n, err := drv.ReadFrame(p.buf[p.head:])
		if err != nil {
			p.Free()
			if err == ErrClosed {
				return
			}
			d.Stats.RxErrors.Add(1)
			continue
		}
		p.tail = p.head + n
		p.queue = queue
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

func (d *NetDev) drop(p *Packet, counter interface{ Add(uint64) uint64 }, reason string) {
	d.Stats.RxDropped.Add(1)
	counter.Add(1)
	d.tracer.Drop(LayerL2, d, p.Data(), reason)
	p.Free()
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
	if err := d.txDriver(p).WriteFrame(frame); err != nil {
		d.Stats.TxErrors.Add(1)
		return err
	}
	d.Stats.TxPackets.Add(1)
	d.Stats.TxBytes.Add(uint64(len(frame)))
	return nil
}

// txDriver picks the queue a frame leaves by. A reply built in its
// request's buffer goes out on the queue the request came in on; anything
// else on a queue chosen by a hash of its addresses and ports. A
// multi-queue TAP steers each flow's next frames to the queue it last
// wrote on, so a flow stays on one queue (one poller) instead of every
// flow being pulled to the queue we happen to write on.
func (d *NetDev) txDriver(p *Packet) Driver {
	switch {
	case d.txq == nil:
		return d.drv
	case p.queue > 0:
		return d.txq[(p.queue-1)%len(d.txq)]
	}
	return d.txq[flowHash(p.Data())%uint32(len(d.txq))]
}

// flowHash hashes an Ethernet frame's IPv4 addresses and, for UDP and TCP,
// ports, symmetrically (both directions of a flow hash alike); 0 for
// anything else.
func flowHash(frame []byte) uint32 {
	const ip = EthernetHeaderLen
	if len(frame) < ip+20 || Ethernet(frame).EtherType() != EtherTypeIPv4 {
		return 0
	}
	h := binary.BigEndian.Uint32(frame[ip+12:]) ^ binary.BigEndian.Uint32(frame[ip+16:])
	if l4 := ip + int(frame[ip]&0x0f)*4; (frame[ip+9] == 6 || frame[ip+9] == 17) && len(frame) >= l4+4 {
		h ^= uint32(binary.BigEndian.Uint16(frame[l4:]) ^ binary.BigEndian.Uint16(frame[l4+2:]))
	}
	h ^= h >> 16
	h *= 0x45d9f3b
	h ^= h >> 16
	return h
}
