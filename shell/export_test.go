package shell

import (
	"context"
	"strings"
	"time"
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

// Running is how many commands Execute is running.
func Running(sh *Shell) int {
	sh.life.mu.Lock()
	defer sh.life.mu.Unlock()
	return sh.life.running
}

// SetCloseWait changes how long Close waits for a cancelled command.
func SetCloseWait(sh *Shell, d time.Duration) { sh.life.wait = d }

// AddCommand adds c to the shell's command table.
func AddCommand(sh *Shell, c *Command) { sh.commands[c.Name] = c }
