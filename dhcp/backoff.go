package dhcp

import (
	"math/rand/v2"
	"time"
)

// Retransmission (RFC 2131 4.1): the first wait is 4 s, doubled for each
// retransmission up to 64 s, each randomised by a uniform -1 to +1 s so
// that clients started together (after a power cut) spread out.
const (
	firstWait = 4 * time.Second
	maxWait   = 64 * time.Second
	jitter    = time.Second
)

// Backoff is how long to wait after the attempt-th transmission (0 for
// the first) before the next, drawing the jitter from r.
func Backoff(attempt int, r *rand.Rand) time.Duration {
	wait := maxWait
	if attempt < 4 {
		wait = firstWait << attempt
	}
	return wait - jitter + time.Duration(r.Int64N(int64(2*jitter)+1))
}

// minRenewWait is the least wait between DHCPREQUESTs while renewing or
// rebinding (RFC 2131 4.4.5).
const minRenewWait = 60 * time.Second

// halfway is when to retransmit while renewing (until T2) or rebinding
// (until the lease ends): half the time left, at least a minute, but never
// past the end.
func halfway(left time.Duration) time.Duration {
	return min(max(left/2, minRenewWait), left)
}
