//go:build !linux

package netmap

import "errors"

// ErrNotLoaded is returned by Open when /dev/netmap does not exist.
var ErrNotLoaded = errors.New("netmap: /dev/netmap not found — is the netmap module loaded?")

// Open is only implemented on Linux (the ioctl numbers are Linux's).
func Open(iface string) (*Netmap, error) {
	return nil, errors.New("netmap: this driver supports Linux only")
}
