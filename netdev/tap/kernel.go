//go:build linux

package tap

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// ConfigureKernelSide brings the kernel's end of the TAP up and, if addr is
// valid, gives it that address (tapip's TOP2: the kernel is our peer on the
// TAP's subnet). It runs ip(8) from iproute2.
func ConfigureKernelSide(name string, addr netip.Prefix) error {
	if addr.IsValid() {
		if err := runIP("addr", "replace", addr.String(), "dev", name); err != nil {
			return err
		}
	}
	return runIP("link", "set", name, "up")
}

func runIP(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
