package shell

import (
	"errors"
	"strings"
	"syscall"

	"github.com/gotapip/gotapip/ip"
)

// strerror says a stack error as C's strerror(3) says the errno a kernel
// would return for it, as the tools print them ("Network is
// unreachable", curl's "Connection refused"); an error with no errno
// counterpart is said as it is.
func strerror(err error) string {
	if s, ok := errnoText(err); ok {
		return s
	}
	return err.Error()
}

// errnoText is strerror(3)'s text for the errno err stands for, if any.
func errnoText(err error) (string, bool) {
	switch {
	case errors.Is(err, ip.ErrNoRoute):
		return "Network is unreachable", true
	case errors.Is(err, ip.ErrAddrNotAvail):
		return "Cannot assign requested address", true
	case errors.Is(err, ip.ErrMsgSize):
		return "Message too long", true
	}
	var errno syscall.Errno // a connection's errors wrap the errno (ECONNREFUSED...)
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:], true
	}
	return "", false
}
