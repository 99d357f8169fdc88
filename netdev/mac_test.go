package netdev

import (
	"errors"
	"testing"
)

func TestMACPredicates(t *testing.T) {
	tests := []struct {
		mac                    MAC
		broadcast, multi, zero bool
	}{
		{MAC{0x02, 0, 0x0a, 0, 0, 1}, false, false, false},
		{BroadcastMAC, true, true, false},
		{MAC{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, false, true, false}, // 224.0.0.1
		{MAC{0x33, 0x33, 0, 0, 0, 1}, false, true, false},             // IPv6 all-nodes
		{MAC{}, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.mac.String(), func(t *testing.T) {
			if got := tt.mac.IsBroadcast(); got != tt.broadcast {
				t.Errorf("IsBroadcast() = %v, want %v", got, tt.broadcast)
			}
			if got := tt.mac.IsMulticast(); got != tt.multi {
				t.Errorf("IsMulticast() = %v, want %v", got, tt.multi)
			}
			if got := tt.mac.IsZero(); got != tt.zero {
				t.Errorf("IsZero() = %v, want %v", got, tt.zero)
			}
		})
	}
}

func TestMACString(t *testing.T) {
	tests := []struct {
		mac  MAC
		want string
	}{
		{MAC{}, "00:00:00:00:00:00"},
		{BroadcastMAC, "ff:ff:ff:ff:ff:ff"},
		{MAC{0x02, 0x00, 0x0a, 0xbc, 0xde, 0xf1}, "02:00:0a:bc:de:f1"},
	}
	for _, tt := range tests {
		if got := tt.mac.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", [6]byte(tt.mac), got, tt.want)
		}
	}
}

func TestParseMAC(t *testing.T) {
	tests := []struct {
		in      string
		want    MAC
		wantErr bool
	}{
		{in: "02:00:0a:00:00:01", want: MAC{2, 0, 0x0a, 0, 0, 1}},
		{in: "02-00-0A-BC-DE-F1", want: MAC{2, 0, 0x0a, 0xbc, 0xde, 0xf1}},
		{in: "ff:ff:ff:ff:ff:ff", want: BroadcastMAC},
		{in: "", wantErr: true},
		{in: "02:00:0a:00:00", wantErr: true},
		{in: "02:00:0a:00:00:01:02", wantErr: true},
		{in: "02.00.0a.00.00.01", wantErr: true},
		{in: "02:00:0g:00:00:01", wantErr: true},
		{in: "2:0:a:0:0:1xxxxxx", wantErr: true},
		{in: "0200:0a00:0001:xx", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMAC(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrBadMAC) {
					t.Fatalf("ParseMAC(%q) error = %v, want one wrapping ErrBadMAC", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMAC(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseMAC(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseMACRoundTrip checks that String and ParseMAC are inverses.
func TestParseMACRoundTrip(t *testing.T) {
	for i := range 256 {
		m := MAC{byte(i), byte(i * 7), byte(i * 13), byte(255 - i), byte(i ^ 0x5a), byte(i * 31)}
		got, err := ParseMAC(m.String())
		if err != nil || got != m {
			t.Fatalf("ParseMAC(%q) = %v, %v; want %v, nil", m.String(), got, err, m)
		}
	}
}

func TestMACNoAllocs(t *testing.T) {
	m := MAC{2, 0, 0x0a, 0, 0, 1}
	if n := testing.AllocsPerRun(100, func() { _ = m.IsMulticast(); _ = m.IsBroadcast() }); n != 0 {
		t.Errorf("MAC predicates allocate %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseMAC("02:00:0a:00:00:01") }); n != 0 {
		t.Errorf("ParseMAC allocates %v times, want 0", n)
	}
}
