package dhcp

import (
	"bytes"
	"testing"
)

// FuzzParse: no input makes Parse or an accessor panic, and the routes of
// option 121 that parse encode back to the same bytes.
func FuzzParse(f *testing.F) {
	f.Add(offerBytes())                                             // a good OFFER
	f.Add(append(offerBytes()[:HeaderLen], 53, 1, 2, 3, 200, 10))   // a length that lies
	f.Add(append(offerBytes()[:HeaderLen], 121, 5, 33, 1, 2, 3, 4)) // a route width over 32
	f.Add(offerBytes()[:239])                                       // one byte short
	f.Fuzz(func(t *testing.T, b []byte) {
		m, o, err := Parse(b)
		if err != nil {
			return
		}
		_ = m.String()
		_ = o.Type.String()
		if len(o.Routes) > 0 {
			again, err := ParseRoutes(AppendRoutes(nil, o.Routes))
			if err != nil || len(again) != len(o.Routes) {
				t.Fatalf("routes %v do not survive a round trip: %v", o.Routes, err)
			}
		}
		if len(o.Routers) > maxAddrs || len(o.DNS) > maxAddrs {
			t.Fatalf("address lists over the bound: %d, %d", len(o.Routers), len(o.DNS))
		}
		if !bytes.Equal(m, b) {
			t.Fatal("the view is not over the input")
		}
	})
}
