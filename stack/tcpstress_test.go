package stack_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
)

// Long transfers each way at once through heavy reordering and through
// loss on data and ACKs alike (TCP-NOTES 5: recovery must survive both).
// The deadline turns a stall into a failure instead of a hang.
func TestTCPTransferUnderReorderingAndLoss(t *testing.T) {
	for _, tc := range []struct {
		imp  pipe.Impairments
		size int
	}{
		{pipe.Impairments{Reorder: 0.2}, 2 << 20},
		{pipe.Impairments{Loss: 0.05}, 1 << 20},
		{pipe.Impairments{Loss: 0.03, Reorder: 0.1, Duplicate: 0.05, Delay: time.Millisecond}, 1 << 20},
	} {
		t.Run(fmt.Sprintf("%+v", tc.imp), func(t *testing.T) {
			a, b, ea, _ := stacktest.Pair(t, 9, stack.Config{}, stack.Config{})
			c1, c2 := tcpPair(t, a, b)
			defer c1.Close()
			defer c2.Close()
			c1.SetDeadline(time.Now().Add(90 * time.Second))
			c2.SetDeadline(time.Now().Add(90 * time.Second))
			ea.SetImpairments(tc.imp)
			stacktest.Transfer(t, c1, c2, tc.size)
		})
	}
}
