package netdev

import (
	"bytes"
	"errors"
	"net/netip"
	"sync"
	"testing"
)

// fakeDriver is an in-memory Driver: frames written are recorded, frames
// to read come from rx.
type fakeDriver struct {
	rx       *FrameQueue
	mu       sync.Mutex
	written  [][]byte
	writeErr error
}

func newFakeDriver() *fakeDriver { return &fakeDriver{rx: NewFrameQueue(64)} }

func (f *fakeDriver) ReadFrame(buf []byte) (int, error) { return f.rx.Get(buf) }
func (f *fakeDriver) Close() error                      { f.rx.Close(); return nil }
func (f *fakeDriver) Kind() string                      { return "fake" }
func (f *fakeDriver) WriteFrame(frame []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writeErr != nil {
		return f.writeErr
	}
	f.written = append(f.written, append([]byte(nil), frame...))
	return nil
}

func (f *fakeDriver) frames() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.written...)
}

// hwDriver has a MAC of its own.
type hwDriver struct{ *fakeDriver }

func (h hwDriver) HardwareAddr() MAC { return macB }

func newTestDev(t *testing.T, cfg Config) (*NetDev, *fakeDriver, *Demux, *Pool) {
	t.Helper()
	drv := newFakeDriver()
	demux, pool := &Demux{}, NewPool()
	if cfg.Name == "" {
		cfg.Name = "veth0"
	}
	if cfg.MAC.IsZero() {
		cfg.MAC = macA
	}
	d, err := New(cfg, drv, demux, pool)
	if err != nil {
		t.Fatal(err)
	}
	d.SetUp(true)
	t.Cleanup(func() {
		if n := pool.InUse(); n != 0 {
			t.Errorf("pool has %d packets in use at the end, want 0 (leak)", n)
		}
	})
	return d, drv, demux, pool
}

func frameTo(dst MAC, typ uint16, payload string) []byte {
	f := make([]byte, EthernetHeaderLen, EthernetHeaderLen+len(payload))
	e := Ethernet(f)
	e.SetDst(dst)
	e.SetSrc(macB)
	e.SetEtherType(typ)
	return append(f, payload...)
}

func packetOf(pool *Pool, frame []byte) *Packet {
	p := pool.Get(len(frame))
	copy(p.Append(len(frame)), frame)
	return p
}

func TestNewDevice(t *testing.T) {
	drv := newFakeDriver()
	tests := []struct {
		name    string
		cfg     Config
		drv     Driver
		wantMTU int
		wantMAC MAC
		wantErr bool
	}{
		{name: "default MTU", cfg: Config{Name: "a", MAC: macA}, drv: drv, wantMTU: 1500, wantMAC: macA},
		{name: "min MTU", cfg: Config{Name: "a", MAC: macA, MTU: 68}, drv: drv, wantMTU: 68, wantMAC: macA},
		{name: "jumbo", cfg: Config{Name: "a", MAC: macA, MTU: EthernetMaxMTU}, drv: drv, wantMTU: EthernetMaxMTU, wantMAC: macA},
		{name: "MTU too small", cfg: Config{Name: "a", MTU: 67}, drv: drv, wantErr: true},
		{name: "MTU too big", cfg: Config{Name: "a", MTU: EthernetMaxMTU + 1}, drv: drv, wantErr: true},
		{name: "loopback MTU", cfg: Config{Name: "lo", MTU: LoopbackMTU, Flags: FlagLoopback}, drv: drv, wantMTU: LoopbackMTU},
		{name: "hardware MAC", cfg: Config{Name: "a"}, drv: hwDriver{drv}, wantMTU: 1500, wantMAC: macB},
		{name: "configured MAC wins", cfg: Config{Name: "a", MAC: macA}, drv: hwDriver{drv}, wantMTU: 1500, wantMAC: macA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.cfg, tt.drv, &Demux{}, NewPool())
			if tt.wantErr {
				if !errors.Is(err, ErrMTU) {
					t.Fatalf("New error = %v, want one wrapping ErrMTU", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.MTU() != tt.wantMTU || d.MAC() != tt.wantMAC {
				t.Errorf("MTU %d MAC %v, want %d %v", d.MTU(), d.MAC(), tt.wantMTU, tt.wantMAC)
			}
			if d.IsUp() {
				t.Error("a new device is up, want down")
			}
			if d.Kind() != "fake" || d.Name() != tt.cfg.Name || d.String() != tt.cfg.Name {
				t.Errorf("Kind %q Name %q String %q, want fake %q %q", d.Kind(), d.Name(), d.String(), tt.cfg.Name, tt.cfg.Name)
			}
		})
	}
}

func TestDeviceAddr(t *testing.T) {
	d, _, _, _ := newTestDev(t, Config{})
	if d.Addr().IsValid() {
		t.Errorf("Addr() of a new device = %v, want the zero Prefix", d.Addr())
	}
	p := netip.MustParsePrefix("10.0.0.1/24")
	d.SetAddr(p)
	if got := d.Addr(); got != p {
		t.Errorf("Addr() = %v, want %v", got, p)
	}
}

func TestReceive(t *testing.T) {
	mcast := MAC{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}
	tests := []struct {
		name     string
		loopback bool
		down     bool
		frame    []byte
		wantType PacketType
		deliver  bool
		counter  func(*Stats) uint64
	}{
		{name: "to us", frame: frameTo(macA, EtherTypeIPv4, "hello"), wantType: PacketHost, deliver: true},
		{name: "broadcast", frame: frameTo(BroadcastMAC, EtherTypeIPv4, "hello"), wantType: PacketBroadcast, deliver: true},
		{name: "multicast", frame: frameTo(mcast, EtherTypeIPv4, "hello"), wantType: PacketMulticast, deliver: true},
		{name: "loopback takes any dst", loopback: true, frame: frameTo(MAC{}, EtherTypeIPv4, "hello"), wantType: PacketHost, deliver: true},
		{name: "other host", frame: frameTo(macB, EtherTypeIPv4, "hello"), counter: func(s *Stats) uint64 { return s.RxOtherHost.Load() }},
		{name: "unknown type", frame: frameTo(macA, 0x86dd, "hello"), counter: func(s *Stats) uint64 { return s.RxUnknownType.Load() }},
		{name: "down", down: true, frame: frameTo(macA, EtherTypeIPv4, "hello"), counter: func(s *Stats) uint64 { return s.RxDown.Load() }},
		{name: "runt", frame: frameTo(macA, EtherTypeIPv4, "")[:13], counter: func(s *Stats) uint64 { return s.RxRunt.Load() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{}
			if tt.loopback {
				cfg = Config{Name: "lo", Flags: FlagLoopback, MTU: LoopbackMTU}
			}
			d, _, demux, pool := newTestDev(t, cfg)
			d.SetUp(!tt.down)
			var sniffed []Direction
			d.SetSniffer(func(dir Direction, dev *NetDev, frame []byte) { sniffed = append(sniffed, dir) })
			var got *Packet
			var gotData, gotNet []byte
			demux.Register(EtherTypeIPv4, func(p *Packet) {
				got = p
				gotData = append([]byte(nil), p.Data()...)
				gotNet = append([]byte(nil), p.Network()...)
				p.Free()
			})
			d.Receive(packetOf(pool, tt.frame))
			if len(sniffed) != 1 || sniffed[0] != In {
				t.Errorf("sniffer saw %v, want [In]", sniffed)
			}
			if got := d.Stats.RxPackets.Load(); got != 1 {
				t.Errorf("RxPackets = %d, want 1", got)
			}
			if got := d.Stats.RxBytes.Load(); got != uint64(len(tt.frame)) {
				t.Errorf("RxBytes = %d, want %d", got, len(tt.frame))
			}
			if !tt.deliver {
				if got != nil {
					t.Fatal("handler ran, want a drop")
				}
				if n := tt.counter(&d.Stats); n != 1 {
					t.Errorf("drop reason counter = %d, want 1", n)
				}
				if drops := d.Stats.RxDropped.Load() + d.Stats.RxErrors.Load(); drops != 1 {
					t.Errorf("RxDropped+RxErrors = %d, want 1", drops)
				}
				return
			}
			if got == nil {
				t.Fatal("handler did not run")
			}
			if got.Type != tt.wantType {
				t.Errorf("Type = %d, want %d", got.Type, tt.wantType)
			}
			if string(gotData) != "hello" || string(gotNet) != "hello" {
				t.Errorf("Data() = %q, Network() = %q; want both %q", gotData, gotNet, "hello")
			}
		})
	}
}

func TestTransmit(t *testing.T) {
	tests := []struct {
		name      string
		payload   int
		wantFrame int
	}{
		{"padded to the minimum", 28, EthernetMinFrame},
		{"empty", 0, EthernetMinFrame},
		{"exactly the minimum", EthernetMinFrame - EthernetHeaderLen, EthernetMinFrame},
		{"full MTU", 1500, 1514},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, drv, _, pool := newTestDev(t, Config{})
			var sniffed []int
			d.SetSniffer(func(dir Direction, _ *NetDev, frame []byte) {
				if dir == Out {
					sniffed = append(sniffed, len(frame))
				}
			})
			p := pool.Get(tt.payload)
			copy(p.Append(tt.payload), bytes.Repeat([]byte{0x5a}, tt.payload))
			// Dirty the bytes past the data: padding must be zeroed, not leaked.
			if extra := p.Append(64); extra != nil {
				for i := range extra {
					extra[i] = 0xee
				}
				p.Trim(tt.payload)
			}
			if err := d.Transmit(p, macB, EtherTypeIPv4); err != nil {
				t.Fatal(err)
			}
			fs := drv.frames()
			if len(fs) != 1 {
				t.Fatalf("driver got %d frames, want 1", len(fs))
			}
			f := fs[0]
			if len(f) != tt.wantFrame {
				t.Errorf("frame is %d bytes, want %d", len(f), tt.wantFrame)
			}
			e, _ := ParseEthernet(f)
			if e.Dst() != macB || e.Src() != macA || e.EtherType() != EtherTypeIPv4 {
				t.Errorf("header = %v, want %v > %v, IPv4", e, macA, macB)
			}
			for i, b := range f[EthernetHeaderLen:] {
				want := byte(0x5a)
				if i >= tt.payload {
					want = 0
				}
				if b != want {
					t.Fatalf("frame byte %d = 0x%02x, want 0x%02x", EthernetHeaderLen+i, b, want)
				}
			}
			if len(sniffed) != 1 || sniffed[0] != tt.wantFrame {
				t.Errorf("sniffer saw %v, want [%d]", sniffed, tt.wantFrame)
			}
			if d.Stats.TxPackets.Load() != 1 || d.Stats.TxBytes.Load() != uint64(tt.wantFrame) {
				t.Errorf("TxPackets %d TxBytes %d, want 1 %d", d.Stats.TxPackets.Load(), d.Stats.TxBytes.Load(), tt.wantFrame)
			}
		})
	}
}

func TestTransmitErrors(t *testing.T) {
	errWire := errors.New("wire cut")
	tests := []struct {
		name    string
		down    bool
		size    int
		drvErr  error
		wantErr error
		counter func(*Stats) uint64
	}{
		{name: "down", down: true, size: 10, wantErr: ErrDown, counter: func(s *Stats) uint64 { return s.TxDropped.Load() }},
		{name: "over MTU", size: 1501, wantErr: ErrMTU, counter: func(s *Stats) uint64 { return s.TxDropped.Load() }},
		{name: "driver error", size: 10, drvErr: errWire, wantErr: errWire, counter: func(s *Stats) uint64 { return s.TxErrors.Load() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, drv, _, pool := newTestDev(t, Config{})
			d.SetUp(!tt.down)
			drv.writeErr = tt.drvErr
			p := pool.Get(tt.size)
			p.Append(tt.size)
			err := d.Transmit(p, macB, EtherTypeIPv4)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Transmit error = %v, want %v", err, tt.wantErr)
			}
			if n := tt.counter(&d.Stats); n != 1 {
				t.Errorf("counter = %d, want 1", n)
			}
			if d.Stats.TxPackets.Load() != 0 {
				t.Errorf("TxPackets = %d, want 0", d.Stats.TxPackets.Load())
			}
		})
	}
}

func TestSetMTU(t *testing.T) {
	d, _, _, _ := newTestDev(t, Config{})
	for _, mtu := range []int{68, 576, 1500, 9000} {
		if err := d.SetMTU(mtu); err != nil || d.MTU() != mtu {
			t.Errorf("SetMTU(%d) = %v, MTU() = %d", mtu, err, d.MTU())
		}
	}
	for _, mtu := range []int{-1, 0, 67, 9001, 65535} {
		if err := d.SetMTU(mtu); !errors.Is(err, ErrMTU) {
			t.Errorf("SetMTU(%d) = %v, want ErrMTU", mtu, err)
		}
	}
	if d.MTU() != 9000 {
		t.Errorf("a refused SetMTU changed the MTU to %d", d.MTU())
	}
}

// TestPollerDelivers runs the real poller over the fake driver.
func TestPollerDelivers(t *testing.T) {
	d, drv, demux, _ := newTestDev(t, Config{})
	got := make(chan string, 4)
	demux.Register(EtherTypeARP, func(p *Packet) {
		got <- string(p.Data()[:4])
		p.Free()
	})
	d.Start()
	drv.rx.Put(frameTo(macA, EtherTypeARP, "one!"))
	drv.rx.Put(frameTo(BroadcastMAC, EtherTypeARP, "two!"))
	for _, want := range []string{"one!", "two!"} {
		if s := <-got; s != want {
			t.Errorf("handler got %q, want %q", s, want)
		}
	}
	if err := d.Close(true); err != nil {
		t.Fatal(err)
	}
	if d.IsUp() {
		t.Error("device still up after Close")
	}
	if err := d.Close(true); err != nil { // idempotent
		t.Fatal(err)
	}
}

// flakyDriver fails its first read with a transient error.
type flakyDriver struct {
	*fakeDriver
	once sync.Once
}

func (f *flakyDriver) ReadFrame(buf []byte) (int, error) {
	var err error
	f.once.Do(func() { err = errors.New("EINTR") })
	if err != nil {
		return 0, err
	}
	return f.fakeDriver.ReadFrame(buf)
}

func TestPollerSurvivesReadError(t *testing.T) {
	drv := &flakyDriver{fakeDriver: newFakeDriver()}
	demux, pool := &Demux{}, NewPool()
	d, err := New(Config{Name: "veth0", MAC: macA}, drv, demux, pool)
	if err != nil {
		t.Fatal(err)
	}
	d.SetUp(true)
	got := make(chan struct{}, 1)
	demux.Register(EtherTypeIPv4, func(p *Packet) { p.Free(); got <- struct{}{} })
	d.Start()
	drv.rx.Put(frameTo(macA, EtherTypeIPv4, "x"))
	<-got
	d.Close(true)
	if n := d.Stats.RxErrors.Load(); n != 1 {
		t.Errorf("RxErrors = %d, want 1", n)
	}
	if n := pool.InUse(); n != 0 {
		t.Errorf("pool InUse = %d after Close, want 0", n)
	}
}

func TestStatsReset(t *testing.T) {
	var s Stats
	s.RxPackets.Add(3)
	s.TxBytes.Add(100)
	s.RxDown.Add(1)
	s.Reset()
	if s.RxPackets.Load()+s.TxBytes.Load()+s.RxDown.Load() != 0 {
		t.Error("Reset left counters non-zero")
	}
}

// TestReceiveTransmitNoAllocs checks the device data path allocates nothing
// per frame.
func TestReceiveTransmitNoAllocs(t *testing.T) {
	d, drv, demux, pool := newTestDev(t, Config{})
	drv.writeErr = errors.New("discard") // the fake's recording would allocate
	demux.Register(EtherTypeIPv4, func(p *Packet) {
		p.ResetToNetwork()
		d.Transmit(p, macB, EtherTypeIPv4)
	})
	frame := frameTo(macA, EtherTypeIPv4, string(make([]byte, 64)))
	if n := testing.AllocsPerRun(1000, func() { d.Receive(packetOf(pool, frame)) }); n != 0 {
		t.Errorf("Receive+Transmit allocates %v times per frame, want 0", n)
	}
}
