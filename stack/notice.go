package stack

import (
	"fmt"

	"github.com/gotapip/gotapip/netdev"
)

// SetNotice sets where the stack reports what happens without being asked
// for, such as a device removed under it: one line per call, without a
// newline. The program shows it to the user (tapip prints it on stderr);
// f runs on a stack goroutine and must not block. nil, the default,
// discards notices. It may be called at any time.
func (s *Stack) SetNotice(f func(line string)) {
	if f == nil {
		s.noticeFn.Store(nil)
		return
	}
	s.noticeFn.Store(&f)
}

func (s *Stack) notice(format string, args ...any) {
	if f := s.noticeFn.Load(); f != nil {
		(*f)(fmt.Sprintf(format, args...))
	}
}

// deviceGone runs when dev's driver reports the device removed under the
// stack (netdev.ErrGone): the poller has stopped and dev is down. As Linux
// unregisters a netdev, the device leaves the stack with its routes and
// neighbours, and then the user is told, once.
func (s *Stack) deviceGone(dev *netdev.NetDev, _ error) {
	s.RemoveDevice(dev)
	s.notice("%s: %v", dev.Name(), netdev.ErrGone)
}
