package stack

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseDeviceSpec(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    DeviceSpec
		errText string
	}{
		{"tap:tap0", DeviceSpec{"tap", "tap0"}, ""},
		{"macvtap:eth0", DeviceSpec{"macvtap", "eth0"}, ""},
		{"packet:eth1", DeviceSpec{"packet", "eth1"}, ""},
		{"sim", DeviceSpec{Kind: "sim"}, ""},
		{"macvtap:", DeviceSpec{}, "want macvtap:IFACE"},
		{"macvtap:a-name-too-long-0", DeviceSpec{}, "1-15 characters"},
		{"vde:sw0", DeviceSpec{}, "macvtap:IFACE"},
	} {
		got, err := ParseDeviceSpec(tc.in)
		if tc.errText == "" && (err != nil || got != tc.want) {
			t.Errorf("ParseDeviceSpec(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if tc.errText != "" && (err == nil || !strings.Contains(err.Error(), tc.errText)) {
			t.Errorf("ParseDeviceSpec(%q) error %v, want one saying %q", tc.in, err, tc.errText)
		}
	}
}

// A peer address is for a TAP's kernel side: any other kind refuses it
// before opening anything.
func TestOpenDeviceRefusesPeer(t *testing.T) {
	s := New(Config{})
	defer s.Close()
	for _, kind := range []string{"macvtap", "packet", "netmap"} {
		_, err := s.OpenDevice(DeviceSpec{Kind: kind, Iface: "nosuch0"}, DeviceOptions{Peer: netip.MustParsePrefix("10.0.0.2/24")})
		if err == nil || !strings.Contains(err.Error(), "peer 10.0.0.2/24 does not apply") || errors.Is(err, ErrUnsupported) {
			t.Errorf("%s with a peer: %v", kind, err)
		}
	}
}
