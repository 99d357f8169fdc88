//go:build linux

package kerneltest

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotapip/gotapip/internal/nstest"
	"github.com/gotapip/gotapip/internal/stacktest"
	"github.com/gotapip/gotapip/internal/syncbuf"
	"github.com/gotapip/gotapip/shell"
)

// ssRTT matches ss -ti's rtt:SRTT/RTTVAR (milliseconds).
var ssRTT = regexp.MustCompile(` rtt:([\d.]+)/([\d.]+)`)

// ssMinRTT matches ss -ti's minrtt (milliseconds).
var ssMinRTT = regexp.MustCompile(` minrtt:([\d.]+)`)

// Our stack sends 8 MB to the kernel over the TAP, then trades one byte
// back and forth with it a few dozen times, as an interactive session
// would after a download. SRTT, which the estimator now takes from each
// segment's send time in microseconds (tcp/rttsample.go), must read
// above 0 and below a millisecond in our ss -ti: the RTT over a TAP is
// tens of microseconds, which the timestamp's millisecond clock saw as 0
// or 1. The exchanges let the average leave the bulk transfer's queue
// behind, so a loaded CI machine does not make it a millisecond. The
// kernel's ss -ti for its end of the same connection is logged beside
// ours.
func TestTCPRTTMicrosecondsKernel(t *testing.T) {
	h := newTapHost(t)
	ln := kernelListen(t, h, "10.0.0.2:7610")
	ours, theirs := stackDialKernel(t, h, ln)
	defer ours.Close()
	defer theirs.Close()

	size := 8 << 20
	data := stacktest.RandomBytes(size, 21)
	go ours.Write(data) // a failure shows as missing bytes below
	got := make([]byte, size)
	theirs.SetReadDeadline(time.Now().Add(sncTimeout))
	if n, err := io.ReadFull(theirs, got); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the kernel read %d of %d bytes (%v), equal %v", n, size, err, bytes.Equal(got, data))
	}
	var out syncbuf.Buffer
	sh := newShell(h, &out)
	afterBulk := ourSSLine(t, sh, &out)

	go io.Copy(theirs, theirs) // the kernel's side echoes; it ends when theirs closes
	ours.SetDeadline(time.Now().Add(sncTimeout))
	one := make([]byte, 1)
	for i := range 32 {
		if _, err := ours.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(ours, one); err != nil || one[0] != byte(i) {
			t.Fatalf("exchange %d: read %v (%v), want the byte echoed", i, one, err)
		}
	}
	line := ourSSLine(t, sh, &out)
	kss := nstest.Run(t, h.ns, "ss", "-tin", "src", "10.0.0.2:7610")
	t.Logf("ours after 8 MB:%s\nours after 32 exchanges:%s\nthe kernel's:\n%s", afterBulk, line, kss)

	m := ssRTT.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no rtt:SRTT/RTTVAR in our ss -ti:%s", line)
	}
	srtt, _ := strconv.ParseFloat(m[1], 64)
	if srtt <= 0 || srtt >= 1 {
		t.Errorf("our srtt %s ms over a TAP, want above 0 and below 1 ms (microseconds from send times):%s", m[1], line)
	}
	// The average of samples cannot fall below their minimum (but for
	// the truncation to microseconds): samples of 0 ms could.
	mm := ssMinRTT.FindStringSubmatch(line)
	if mm == nil {
		t.Fatalf("no minrtt in our ss -ti:%s", line)
	}
	if minRTT, _ := strconv.ParseFloat(mm[1], 64); minRTT <= 0 || srtt < minRTT-0.001 {
		t.Errorf("our srtt %v ms and minrtt %v ms: want 0 < minrtt <= srtt:%s", srtt, minRTT, line)
	}
}

// ourSSLine runs ss -ti in sh and returns the internals line of its one
// connection.
func ourSSLine(t *testing.T, sh *shell.Shell, out *syncbuf.Buffer) string {
	t.Helper()
	out.Reset()
	if err := sh.Execute(bgCtx(), "ss -ti"); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "\t") {
			return l
		}
	}
	t.Fatalf("no internals line in our ss -ti:\n%s", out.String())
	return ""
}
