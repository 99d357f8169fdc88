// Package capture writes the frames a stack's devices receive and send to a
// pcap file (the classic libpcap format, LINKTYPE_ETHERNET) that tcpdump -r
// and Wireshark read. The file format comes from gopacket's pcapgo.
//
// A capture is bounded: when the file reaches its size limit, capturing
// stops and Stopped says why.
package capture

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/gotapip/gotapip/netdev"
)

// DefaultLimit is the default size limit of a capture file.
const DefaultLimit = 64 << 20

// pcapRecordHeader is the per-packet header size in a pcap file.
const pcapRecordHeader = 16

// ErrLimit is reported when the size limit stops a capture.
var ErrLimit = errors.New("capture file reached its size limit")

// Capture is one pcap file being written.
type Capture struct {
	path  string
	limit int64
	devs  []*netdev.NetDev

	mu      sync.Mutex
	file    *os.File
	buf     *bufio.Writer
	w       *pcapgo.Writer
	size    int64
	packets int
	err     error // why it stopped early (limit or write error)
}

// Start creates path and captures every frame of devs until Stop, or until
// the file would pass limit bytes.
func Start(path string, limit int64, devs []*netdev.NetDev) (*Capture, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	c := &Capture{path: path, limit: limit, devs: devs, file: f, buf: bufio.NewWriter(f)}
	c.w = pcapgo.NewWriter(c.buf)
	if err := c.w.WriteFileHeader(netdev.EthernetHeaderLen+netdev.LoopbackMTU, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return nil, fmt.Errorf("capture: %s: %w", path, err)
	}
	c.size = 24 // the pcap file header
	for _, d := range devs {
		d.SetSniffer(c.write)
	}
	return c, nil
}

// write is the devices' sniffer: one record per frame, in and out.
func (c *Capture) write(dir netdev.Direction, dev *netdev.NetDev, frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w == nil || c.err != nil {
		return
	}
	if c.size+pcapRecordHeader+int64(len(frame)) > c.limit {
		c.err = fmt.Errorf("%w (%d bytes): capture stopped after %d packets", ErrLimit, c.limit, c.packets)
		return
	}
	ci := gopacket.CaptureInfo{Timestamp: time.Now(), CaptureLength: len(frame), Length: len(frame)}
	if err := c.w.WritePacket(ci, frame); err != nil {
		c.err = fmt.Errorf("capture: %s: %w", c.path, err)
		return
	}
	c.size += pcapRecordHeader + int64(len(frame))
	c.packets++
}

// Status reports the packets and bytes written so far and why the capture
// stopped early, if it did.
func (c *Capture) Status() (packets int, size int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.packets, c.size, c.err
}

// Path is the file being written.
func (c *Capture) Path() string { return c.path }

// Stop detaches from the devices, flushes and closes the file, and returns
// the number of packets written.
func (c *Capture) Stop() (int, error) {
	for _, d := range c.devs {
		d.SetSniffer(nil)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.w = nil
	err := c.buf.Flush()
	if cerr := c.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return c.packets, fmt.Errorf("capture: %s: %w", c.path, err)
	}
	return c.packets, nil
}
