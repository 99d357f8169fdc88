//go:build !linux

package stack

import (
	"runtime"

	"github.com/gotapip/gotapip/netdev"
)

// openDriver refuses every kind here (unsupportedOn says why).
func openDriver(spec DeviceSpec, _ DeviceOptions) (netdev.Driver, error) {
	return nil, unsupportedOn(spec, runtime.GOOS)
}
