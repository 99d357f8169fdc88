package shell

import (
	"context"
	"strings"
)

// PingAfterWrap runs a ping command line (without "ping") as if this run
// had already sent a request with every sequence number and heard every
// reply, the last request numbered last: its first request is last+1.
// Reaching that state for real takes 65,536 pings.
func PingAfterWrap(ctx context.Context, sh *Shell, args string, last uint16) error {
	st := newPingStats()
	st.seq = last
	for seq := range 1 << 16 {
		st.seen[uint16(seq)] = true
	}
	return ping(ctx, sh, strings.Fields(args), st)
}
