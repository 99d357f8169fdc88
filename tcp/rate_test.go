package tcp

import (
	"bytes"
	"testing"
)

// Delivery rate (draft-cheng-iccrg-delivery-rate-estimation) on the
// 10 ms peer: a flight of k segments all acknowledged one RTT after it
// went was delivered at k*1448 bytes per 10 ms. The warm-up's flights of
// 10 left cwnd room, so their samples are app-limited; a write larger
// than cwnd is not (after the flight that was in the air when the
// application-limited period ended).
func TestDeliveryRate(t *testing.T) {
	n, c, pr := rackConn(t, nil)
	info := c.Info()
	if want := int64(10*1448) * 100; info.DeliveryRate != want || !info.AppLimited || info.Delivered != 40 {
		t.Fatalf("after four flights of 10: delivery rate %d B/s, app-limited %v, delivered %d; want %d, true, 40",
			info.DeliveryRate, info.AppLimited, info.Delivered, want)
	}
	c.Write(bytes.Repeat([]byte("d"), 200*1448))
	var k int
	for round := range 3 {
		sent := n.drain()
		for _, h := range sent {
			pr.take(h)
		}
		k = len(sent)
		n.clk.Advance(rackRTT)
		pr.sackAck(pr.ack)
		if round == 0 && !c.Info().AppLimited {
			t.Errorf("the flight sent while app-limited gave a sample not marked so")
		}
	}
	info = c.Info()
	if want := int64(k*1448) * 100; info.DeliveryRate != want || info.AppLimited {
		t.Errorf("a cwnd-limited flight of %d: delivery rate %d B/s, app-limited %v; want %d, false", k, info.DeliveryRate, info.AppLimited, want)
	}
}

// An app-limited sample says only that the path carries at least that
// much: it replaces the last sample when higher, never when lower.
func TestDeliveryRateAppLimitedKeepsHigher(t *testing.T) {
	n, c, pr := rackConn(t, nil) // samples of 10 segments per RTT
	for _, tc := range []struct{ k, rateSegs int }{{2, 10}, {12, 12}} {
		flight(t, n, c, pr, tc.k)
		n.clk.Advance(rackRTT)
		pr.sackAck(pr.ack)
		if got, want := c.Info().DeliveryRate, int64(tc.rateSegs*1448)*100; got != want {
			t.Errorf("after an app-limited flight of %d: delivery rate %d, want %d", tc.k, got, want)
		}
	}
}
