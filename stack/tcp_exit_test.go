package stack_test

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/fakeclock"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/netdev/pipe"
	"github.com/gotapip/gotapip/stack"
	"github.com/gotapip/gotapip/tcp"
)

// exitAfterLostFIN plays tapip ending right after a connection closes:
// the peer (b, real clock) sends a request and half-closes; our stack (a,
// fake clock) reads it, closes, and its FIN is lost on the wire; then a
// closes. lossDuringGrace keeps a's side of the wire dropping until the
// grace period's last millisecond. It returns the peer's stack and what
// its next read says.
func exitAfterLostFIN(t *testing.T, lossDuringGrace bool) (*stack.Stack, error) {
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	a, b, ea, _ := stacktest.Pair(t, 11, stack.Config{Clock: clk}, stack.Config{})
	peer, ours := tcpPair(t, b, a, "10.0.0.1:7000")
	defer peer.Close()
	if _, err := peer.Write([]byte("request")); err != nil {
		t.Fatal(err)
	}
	peer.(interface{ CloseWrite() error }).CloseWrite()
	if got, err := io.ReadAll(ours); string(got) != "request" || err != nil {
		t.Fatalf("our side read %q, %v", got, err)
	}
	ea.SetImpairments(pipe.Impairments{Loss: 1})
	ours.Close() // LAST-ACK; the FIN goes nowhere
	if !lossDuringGrace {
		ea.SetImpairments(pipe.Impairments{})
	}
	closed := make(chan struct{})
	go func() { a.Close(); close(closed) }()
	waitFor(t, "the stack's grace period, or Close to return", func() bool {
		select {
		case <-closed:
			return true
		default:
			return blockedIn("tcp.(*Protocol).awaitClose", "stack_test.exitAfterLostFIN")
		}
	})
	// Our RTO is 200 ms (RTT 0 on a fake clock): the FIN goes again at
	// 200 and 600 ms, then 1400, past the grace period.
	if lossDuringGrace {
		clk.Advance(tcp.ExitGrace - time.Millisecond) // every FIN lost
		ea.SetImpairments(pipe.Impairments{})
	}
	for {
		select {
		case <-closed:
		case <-time.After(10 * time.Millisecond):
			clk.Advance(10 * time.Millisecond) // the peer's ACK on its way, or not
			continue
		}
		break
	}
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := peer.Read(make([]byte, 1))
	return b, err
}

// The FIN lost as the program ends is sent again within the grace
// period: the peer sees an orderly end of the data, and never had to
// challenge a reset.
func TestTCPExitRetransmitsLostFIN(t *testing.T) {
	b, err := exitAfterLostFIN(t, false)
	if err != io.EOF {
		t.Errorf("the peer's read after our stack closed: %v, want EOF (our FIN, sent again)", err)
	}
	if n := b.TCP.Stats.ChallengeACKs.Load(); n != 0 {
		t.Errorf("the peer sent %d challenge ACKs: a reset it could not accept", n)
	}
}

// Every copy of the FIN lost during the grace period: the reset that
// follows is at the sequence number the peer expects (RFC 5961), so it
// leaves FIN-WAIT-2 at once instead of waiting for a FIN that will never
// come.
func TestTCPExitResetsAfterGrace(t *testing.T) {
	b, err := exitAfterLostFIN(t, true)
	var ne net.Error
	if !errors.Is(err, syscall.ECONNRESET) || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("the peer's read after our stack closed: %v, want ECONNRESET", err)
	}
	if n := b.TCP.Stats.ChallengeACKs.Load(); n != 0 {
		t.Errorf("the peer sent %d challenge ACKs: the first reset was not at its RCV.NXT", n)
	}
}
