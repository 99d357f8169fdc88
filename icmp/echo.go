package icmp

import (
	"encoding/binary"

	"github.com/gotapip/gotapip/ip"
	"github.com/gotapip/gotapip/netdev"
)

// echoReply answers an echo request in the buffer it arrived in: the type
// becomes 0 (the checksum is patched, RFC 1624), a fresh 20-byte IP header
// is written just in front of the ICMP message (over the old one and its
// options), and the datagram goes back out. It does not allocate.
func (c *Protocol) echoReply(p *netdev.Packet, iph ip.Header, h Header) {
	dst := iph.Dst()
	if p.Type != netdev.PacketHost || dst.IsMulticast() || ip.IsBroadcast(p.Dev, dst) {
		if c.IgnoreBroadcastEcho.Load() {
			c.Stats.InEchoBroadcastIgnored.Add(1)
			c.Tracer.Drop(netdev.LayerICMP, p.Dev, h, "echo to a broadcast address ignored (sysctl net.ipv4.icmp_echo_ignore_broadcasts)")
			p.Free()
			return
		}
		dst = p.Dev.Addr().Addr() // answer from our own address, never the broadcast one
		if !dst.IsValid() {
			c.Stats.InEchoBroadcastIgnored.Add(1)
			c.Tracer.Drop(netdev.LayerICMP, p.Dev, h, "echo to a broadcast address on a device with no address")
			p.Free()
			return
		}
	}
	src, tos := iph.Src(), iph.TOS()

	oldTypeCode := binary.BigEndian.Uint16(h[offType:])
	h[offType] = TypeEchoReply
	binary.BigEndian.PutUint16(h[offChecksum:], ip.UpdateChecksum(h.Checksum(), oldTypeCode, uint16(TypeEchoReply)<<8|uint16(h.Code())))

	out := ip.Header(p.Push(ip.HeaderLen))
	p.MarkNetwork()
	out.Encode(ip.Fields{TOS: tos, TotalLen: p.Len(), ID: c.ip.NextID(), TTL: ip.DefaultTTL,
		Protocol: ip.ProtoICMP, Src: dst, Dst: src})
	c.count(TypeEchoReply, p.Dev, h)
	if c.ip.SendDatagram(p) != nil {
		c.Stats.OutErrors.Add(1)
	}
}

// count counts and traces a message we send.
func (c *Protocol) count(typ uint8, dev *netdev.NetDev, msg Header) {
	c.Stats.OutMsgs.Add(1)
	c.Stats.OutType[typ].Add(1)
	c.Tracer.Trace(netdev.LayerICMP, netdev.TraceOut, dev, msg)
}
