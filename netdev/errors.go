package netdev

import (
	"errors"
	"fmt"
)

// ErrDown is wrapped when a device that is down is asked to send.
var ErrDown = errors.New("device is down")

func errDown(d *NetDev) error {
	return fmt.Errorf("%s: %w (ifconfig %s up)", d.name, ErrDown, d.name)
}
