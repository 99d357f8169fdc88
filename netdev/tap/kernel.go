//go:build linux

package tap

import (
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// ConfigureKernelSide brings the kernel's end of the TAP up and, if addr is
// valid, gives it that address and its subnet's broadcast address (tapip's
// TOP2: the kernel is our peer on the TAP's subnet), as
// "ip addr add ADDR broadcast + dev NAME" would. It runs ip(8) from
// iproute2.
func ConfigureKernelSide(name string, addr netip.Prefix) error {
	if addr.IsValid() {
		if err := runIP(name, ipAddrArgs(name, addr)...); err != nil {
			return err
		}
	}
	return runIP(name, "link", "set", name, "up")
}

// ipAddrArgs are ip(8)'s arguments to give the kernel side addr: replace,
// so a persistent TAP configured before is no error; "broadcast +" sets
// the subnet's broadcast address, which a bare "ip addr" leaves at 0.0.0.0.
func ipAddrArgs(name string, addr netip.Prefix) []string {
	args := []string{"addr", "replace", addr.String()}
	if addr.Bits() < 31 { // a /31 or /32 has no broadcast address (RFC 3021)
		args = append(args, "broadcast", "+")
	}
	return append(args, "dev", name)
}

// runIP runs ip(8); when it fails the error says what ran and what ip said.
func runIP(name string, args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, exec.ErrNotFound):
		return fmt.Errorf("%s: cannot configure the kernel side: no ip command (install iproute2)", name)
	}
	said := strings.TrimSpace(string(out))
	if said == "" {
		said = err.Error()
	}
	return fmt.Errorf("%s: ip %s: %s", name, strings.Join(args, " "), said)
}
