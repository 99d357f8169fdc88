package stack

import (
	"errors"
	"fmt"
	"os"
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
