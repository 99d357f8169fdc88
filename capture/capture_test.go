package capture_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/gotapip/gotapip/capture"
	"github.com/gotapip/gotapip/netdev"
)

type nullDriver struct{}

func (nullDriver) ReadFrame([]byte) (int, error) { select {} }
func (nullDriver) WriteFrame([]byte) error       { return nil }
func (nullDriver) Close() error                  { return nil }
func (nullDriver) Kind() string                  { return "null" }

func testDevice(t *testing.T, pool *netdev.Pool) *netdev.NetDev {
	t.Helper()
	d, err := netdev.New(netdev.Config{Name: "cap0", MAC: netdev.MAC{2, 0, 0, 0, 0, 1}}, nullDriver{}, &netdev.Demux{}, pool)
	if err != nil {
		t.Fatal(err)
	}
	d.SetUp(true)
	return d
}

// openPcap opens the pcap file at path for reading until the test ends.
func openPcap(t *testing.T, path string) *pcapgo.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatalf("not a pcap file: %v", err)
	}
	return r
}

// send transmits a frame with n payload bytes through dev.
func send(pool *netdev.Pool, dev *netdev.NetDev, n int) {
	p := pool.Get(n)
	clear(p.Append(n))
	dev.Transmit(p, netdev.BroadcastMAC, 0x88b5)
}

func TestCaptureWritesPcapAndStopsAtLimit(t *testing.T) {
	pool := netdev.NewPool()
	dev := testDevice(t, pool)
	path := filepath.Join(t.TempDir(), "x.pcap")
	// 24-byte file header + 3 records of 16 + 100 bytes fit; a 4th does not.
	c, err := capture.Start(path, capture.Config{Limit: 24 + 3*(16+100) + 50}, []*netdev.NetDev{dev})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		send(pool, dev, 100-netdev.EthernetHeaderLen)
	}
	n, size, stopped := c.Status()
	if n != 3 || size != 24+3*116 || !errors.Is(stopped, capture.ErrLimit) {
		t.Errorf("status: %d packets, %d bytes, %v; want 3, %d, the limit", n, size, stopped, 24+3*116)
	}
	if got, err := c.Stop(); err != nil || got != 3 {
		t.Fatalf("Stop = %d, %v", got, err)
	}
	send(pool, dev, 50) // after Stop: not captured, no panic

	r := openPcap(t, path)
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Errorf("link type %v, want Ethernet", r.LinkType())
	}
	if r.Snaplen() != 262144 {
		t.Errorf("snap length %d, want tcpdump's default 262144", r.Snaplen())
	}
	count := 0
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		count++
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		if eth, ok := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); !ok || eth.EthernetType != 0x88b5 || ci.Length != 100 {
			t.Errorf("record %d: %v, length %d", count, pkt, ci.Length)
		}
	}
	if count != 3 {
		t.Errorf("%d records in the file, want 3", count)
	}
}

func TestCaptureBadPath(t *testing.T) {
	if _, err := capture.Start("/nonexistent/dir/x.pcap", capture.Config{}, nil); err == nil {
		t.Error("Start in a missing directory succeeded")
	}
}

// With -s (Snaplen) a record keeps the first Snaplen bytes of a frame and
// its original length, as tcpdump -s writes it.
func TestCaptureSnaplen(t *testing.T) {
	pool := netdev.NewPool()
	dev := testDevice(t, pool)
	path := filepath.Join(t.TempDir(), "s.pcap")
	c, err := capture.Start(path, capture.Config{Snaplen: 64}, []*netdev.NetDev{dev})
	if err != nil {
		t.Fatal(err)
	}
	send(pool, dev, 200-netdev.EthernetHeaderLen)
	send(pool, dev, 60-netdev.EthernetHeaderLen)
	if _, err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	r := openPcap(t, path)
	if r.Snaplen() != 64 {
		t.Errorf("file header snap length %d, want 64", r.Snaplen())
	}
	type record struct{ Kept, Length int }
	var got []record
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		got = append(got, record{len(data), ci.Length})
	}
	want := []record{{64, 200}, {60, 60}}
	if !slices.Equal(got, want) {
		t.Errorf("records (-want +got):\n-%v\n+%v", want, got)
	}
}
