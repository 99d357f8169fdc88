package tcp

import (
	"testing"
	"time"
)

// RecordLoss plays playLoss (history_test.go), a connection on the fake
// clock that lost one segment, and returns its history, the sequence
// number of the segment lost and when it was sent again.
func RecordLoss(t *testing.T) (h History, lost Seq, resent time.Duration) {
	play := playLoss(t)
	h, _ = play.n.p.History(ourPort, peerPort)
	return h, play.seg(2), 5 * time.Millisecond
}
