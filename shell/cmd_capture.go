package shell

import (
	"context"
	"fmt"
	"strings"

	"github.com/gotapip/gotapip/capture"
	"github.com/gotapip/gotapip/netdev"
)

var captureCommand = &Command{
	Name:  "capture",
	Usage: "[start [-i IFACE] [-s SNAPLEN] [-C FILE_SIZE] FILE | stop]",
	Brief: "write every frame to a pcap file (tcpdump -r, Wireshark)",
	Help: `capture start writes every frame received and sent, on all devices or on
IFACE, to FILE in pcap format, until capture stop (which prints the count,
as tcpdump does) or until the file reaches FILE_SIZE millions of bytes, as
tcpdump -C counts them (default 64 MiB); then it stops. -s keeps the first
SNAPLEN bytes of each frame (default 262144, as tcpdump). With no arguments,
says how the running capture is doing.`,
	Run: runCapture,
}

func runCapture(ctx context.Context, sh *Shell, args []string) error {
	sh.bg.Lock()
	defer sh.bg.Unlock()
	switch {
	case len(args) == 0:
		if sh.capture == nil {
			fmt.Fprintln(sh.Out, "no capture running")
			return nil
		}
		n, size, err := sh.capture.Status()
		fmt.Fprintf(sh.Out, "capturing to %s: %s, %s\n", sh.capture.Path(), plural(n, "packet", "packets"), plural(int(size), "byte", "bytes"))
		if err != nil {
			fmt.Fprintf(sh.Out, "stopped early: %v\n", err)
		}
		return nil
	case args[0] == "stop" && len(args) == 1:
		return sh.stopCaptureLocked()
	case args[0] == "start":
		return sh.startCaptureLocked(args[1:])
	}
	return usage("%s: unknown form", strings.Join(args, " "))
}

// startCaptureLocked starts a capture; sh.bg held.
func (sh *Shell) startCaptureLocked(args []string) error {
	o, err := parseOpts(args, "i:s:C:")
	if err != nil {
		return err
	}
	if len(o.args) != 1 {
		return usage("start needs one FILE")
	}
	if sh.capture != nil {
		return fmt.Errorf("already writing %s (capture stop first)", sh.capture.Path())
	}
	if sh.life.isClosed() { // Close has stopped, or is about to stop, the background
		return ErrClosed
	}
	limit := int64(capture.DefaultLimit)
	if o.has('C') {
		millions, err := o.intOpt('C', 0, 1, 16000)
		if err != nil {
			return err
		}
		limit = int64(millions) * 1000000
	}
	snaplen, err := o.intOpt('s', capture.DefaultSnaplen, 1, capture.DefaultSnaplen)
	if err != nil {
		return err
	}
	devs := sh.Stack.Devices()
	if o.has('i') {
		d, err := sh.Stack.Device(o.set['i'])
		if err != nil {
			return err
		}
		devs = []*netdev.NetDev{d}
	}
	c, err := capture.Start(o.args[0], capture.Config{Limit: limit, Snaplen: snaplen}, devs)
	if err != nil {
		return err
	}
	sh.capture = c
	fmt.Fprintf(sh.Out, "capturing to %s, snapshot length %d bytes, at most %d bytes\n", o.args[0], snaplen, limit)
	return nil
}

// stopCaptureLocked stops the capture, printing what it wrote; sh.bg held.
func (sh *Shell) stopCaptureLocked() error {
	if sh.capture == nil {
		return fmt.Errorf("none running (capture start FILE)")
	}
	c := sh.capture
	sh.capture = nil
	_, _, early := c.Status()
	n, err := c.Stop()
	if err != nil {
		return err
	}
	fmt.Fprintf(sh.Out, "%s captured to %s\n", plural(n, "packet", "packets"), c.Path())
	if early != nil {
		fmt.Fprintf(sh.Out, "note: %v\n", early)
	}
	return nil
}
