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

// DefaultSnaplen is how much of each frame is kept unless told otherwise:
// tcpdump's default (MAXIMUM_SNAPLEN, 262144), longer than any frame here.
const DefaultSnaplen = 262144

// Config bounds a capture; a zero field takes its default.
type Config struct {
	Limit   int64 // the file's size limit in bytes (DefaultLimit)
	Snaplen int   // bytes kept of each frame (DefaultSnaplen), as tcpdump -s
}

// pcapRecordHeader is the per-packet header size in a pcap file.
const pcapRecordHeader = 16

// ErrLimit is reported when the size limit stops a capture.
var ErrLimit = errors.New("capture file reached its size limit")

// Capture is one pcap file being written.
type Capture struct {
	path    string
	limit   int64
	snaplen int
	devs    []*netdev.NetDev

	mu      sync.Mutex
	file    *os.File
	buf     *bufio.Writer
	w       *pcapgo.Writer
	size    int64
	packets int
	err     error // why it stopped early (limit or write error)
}

// Start creates path and captures every frame of devs, the first
// cfg.Snaplen bytes of each, until Stop, or until the file would pass
// cfg.Limit bytes.
func Start(path string, cfg Config, devs []*netdev.NetDev) (*Capture, error) {
	if cfg.Limit <= 0 {
		cfg.Limit = DefaultLimit
	}
	if cfg.Snaplen <= 0 {
		cfg.Snaplen = DefaultSnaplen
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	c := &Capture{path: path, limit: cfg.Limit, snaplen: cfg.Snaplen, devs: devs, file: f, buf: bufio.NewWriter(f)}
	c.w = pcapgo.NewWriter(c.buf)
	if err := c.w.WriteFileHeader(uint32(cfg.Snaplen), layers.LinkTypeEthernet); err != nil {
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
	kept := frame[:min(len(frame), c.snaplen)]
	if c.size+pcapRecordHeader+int64(len(kept)) > c.limit {
		packets := "packets"
		if c.packets == 1 {
			packets = "packet"
		}
		c.err = fmt.Errorf("%w (%d bytes): capture stopped after %d %s", ErrLimit, c.limit, c.packets, packets)
		return
	}
	ci := gopacket.CaptureInfo{Timestamp: time.Now(), CaptureLength: len(kept), Length: len(frame)}
	if err := c.w.WritePacket(ci, kept); err != nil {
		c.err = fmt.Errorf("capture: %s: %w", c.path, err)
		return
	}
	c.size += pcapRecordHeader + int64(len(kept))
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
