package netdev

import "errors"

// ErrClosed is returned by a Driver's ReadFrame once the driver is closed;
// the poller then exits.
var ErrClosed = errors.New("netdev: driver closed")

// ErrGone is wrapped by a Driver's ReadFrame or WriteFrame when the device
// went away under it (a TAP deleted with ip link del, a macvtap's parent
// removed): unlike a passing error, retrying cannot help. The poller
// reports it once, marks the device down and stops, as Linux unregisters
// a netdev.
var ErrGone = errors.New("device removed")

// Driver moves whole Ethernet frames (no FCS) between a NetDev and a wire:
// a TAP device, a raw socket, an in-memory pipe. Drivers are small and live
// in their own packages (netdev/tap, netdev/pipe, ...).
type Driver interface {
	// ReadFrame blocks until a frame arrives, copies it into buf and returns
	// its length. A frame longer than buf is truncated to len(buf). After
	// Close it returns ErrClosed.
	ReadFrame(buf []byte) (int, error)
	// WriteFrame sends one frame. It may be called from several goroutines.
	WriteFrame(frame []byte) error
	// Close releases the driver and wakes a blocked ReadFrame.
	Close() error
	// Kind names the driver for ifconfig and netdev listings: "tap", "pipe"...
	Kind() string
}

// HardwareAddresser is implemented by drivers attached to hardware that has
// a MAC of its own (a raw socket on a NIC); the device then uses it.
type HardwareAddresser interface {
	HardwareAddr() MAC
}
