package stack

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
)

// Why a TAP would not open, in strerror's words with what to do; only the
// lack of privilege or of /dev/net/tun is ErrNoTAP (tapip may fall back to
// the simulated LAN then, and only then).
func TestTapError(t *testing.T) {
	ioctl := func(e syscall.Errno) error { return fmt.Errorf("tap tap0: %w", os.NewSyscallError("ioctl", e)) }
	cases := []struct {
		err   error
		want  string
		noTAP bool
		errno syscall.Errno
	}{
		{ioctl(syscall.EPERM), "tap0: Operation not permitted (run as root or with CAP_NET_ADMIN)", true, syscall.EPERM},
		{&os.PathError{Op: "open", Path: "/dev/net/tun", Err: syscall.EACCES}, "tap0: Permission denied (run as root or with CAP_NET_ADMIN)", true, syscall.EACCES},
		{&os.PathError{Op: "open", Path: "/dev/net/tun", Err: syscall.ENOENT}, "/dev/net/tun: No such file or directory (load the tun module: modprobe tun)", true, syscall.ENOENT},
		{ioctl(syscall.EBUSY), "tap0: Device or resource busy (another program has it open: end it, or give -dev tap:OTHER)", false, syscall.EBUSY},
		{ioctl(syscall.EINVAL), "tap0: Invalid argument", false, syscall.EINVAL},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			err := tapError("tap0", c.err)
			if got := err.Error(); got != c.want {
				t.Errorf("(-want +got):\n-%s\n+%s", c.want, got)
			}
			if errors.Is(err, ErrNoTAP) != c.noTAP {
				t.Errorf("errors.Is(err, ErrNoTAP) = %v, want %v", !c.noTAP, c.noTAP)
			}
			if !errors.Is(err, c.errno) {
				t.Errorf("the error does not wrap %v", c.errno)
			}
		})
	}
	other := errors.New("water: no file")
	if err := tapError("tap0", other); err != other {
		t.Errorf("an error with no errno: %v, want it as it was", err)
	}
}

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
		{"macvtap:", DeviceSpec{}, "give macvtap:IFACE"},
		{"macvtap:a-name-too-long-0", DeviceSpec{}, "1 to 15 characters"},
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

// Away from Linux every kernel driver is refused in words that point to
// the simulated LAN; only a TAP's refusal lets tapip fall back to it.
func TestUnsupportedOn(t *testing.T) {
	for _, tc := range []struct {
		spec  DeviceSpec
		want  string
		noTAP bool
	}{
		{DeviceSpec{"tap", "tap0"}, "tap: not supported on darwin (use -dev sim, the simulated LAN)", true},
		{DeviceSpec{"packet", "en0"}, "packet: not supported on darwin (use -dev sim, the simulated LAN)", false},
		{DeviceSpec{"macvtap", "en0"}, "macvtap: not supported on darwin (use -dev sim, the simulated LAN)", false},
		{DeviceSpec{"netmap", "en0"}, "netmap: not supported on darwin (use -dev sim, the simulated LAN)", false},
	} {
		err := unsupportedOn(tc.spec, "darwin")
		if got := err.Error(); got != tc.want {
			t.Errorf("%v (-want +got):\n-%s\n+%s", tc.spec, tc.want, got)
		}
		if !errors.Is(err, ErrUnsupported) || errors.Is(err, ErrNoTAP) != tc.noTAP {
			t.Errorf("%v: ErrUnsupported %v, ErrNoTAP %v; want true, %v", tc.spec, errors.Is(err, ErrUnsupported), errors.Is(err, ErrNoTAP), tc.noTAP)
		}
	}
}
