package main

import (
	"bytes"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// tcpPacket builds an Ethernet + IPv4 + TCP packet (54 header bytes) with
// payloadLen bytes of data and the given GSO options.
func tcpPacket(t *testing.T, payloadLen int, gso stack.GSO) *stack.PacketBuffer {
	t.Helper()
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
		ReserveHeaderBytes: header.EthernetMinimumSize + header.IPv4MinimumSize + header.TCPMinimumSize,
		Payload:            buffer.MakeWithData(make([]byte, payloadLen)),
	})
	pkt.TransportHeader().Push(header.TCPMinimumSize)
	pkt.NetworkHeader().Push(header.IPv4MinimumSize)
	pkt.LinkHeader().Push(header.EthernetMinimumSize)
	pkt.GSOOptions = gso
	return pkt
}

func TestVnetHeaderFor(t *testing.T) {
	tcpGSO := stack.GSO{Type: stack.GSOTCPv4, NeedsCsum: true, CsumOffset: header.TCPChecksumOffset, MSS: 1448, L3HdrLen: header.IPv4MinimumSize}
	tests := []struct {
		name       string
		payloadLen int
		gso        stack.GSO
		want       [vnetHdrLen]byte
	}{
		{"no GSO: all zero", 3000, stack.GSO{}, [vnetHdrLen]byte{}},
		// flags NEEDS_CSUM, gso_type TCPV4, hdr_len 54, gso_size 1448
		// (0x05a8), csum_start 14+20, csum_offset 16.
		{"segment over the MSS", 3000, tcpGSO, [vnetHdrLen]byte{1, 1, 54, 0, 0xa8, 0x05, 34, 0, 16, 0}},
		// One MSS or less: a partial checksum but nothing to segment.
		{"segment of one MSS", 1448, tcpGSO, [vnetHdrLen]byte{1, 0, 54, 0, 0, 0, 34, 0, 16, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt := tcpPacket(t, tt.payloadLen, tt.gso)
			defer pkt.DecRef()
			var got [vnetHdrLen]byte
			copy(got[:], bytes.Repeat([]byte{0xa5}, vnetHdrLen)) // an unset field shows
			vnetHeaderFor(&got, pkt)
			if got != tt.want {
				t.Errorf("virtio-net header (-want +got):\n-%x\n+%x", tt.want, got)
			}
		})
	}
}
