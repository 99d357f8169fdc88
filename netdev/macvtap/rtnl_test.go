//go:build linux

package macvtap

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
)

// linkMessage is an RTM_NEWLINK body as the kernel sends it, built with
// the request builder: a macvtap mvtap3 on index 2.
func linkMessage() []byte {
	q := newRequest(unix.RTM_NEWLINK, 0, 7, unix.IFF_UP|unix.IFF_LOWER_UP, 0)
	q.attr(unix.IFLA_IFNAME, cstring("mvtap3"))
	q.attr(unix.IFLA_ADDRESS, []byte{2, 0, 10, 0, 0, 1})
	q.attr(unix.IFLA_LINK, u32(2))
	q.attr(unix.IFLA_MTU, u32(1500))
	info := q.attr(unix.IFLA_LINKINFO|0x8000, nil) // NLA_F_NESTED, as the kernel sets it
	q.attr(unix.IFLA_INFO_KIND, cstring("macvtap"))
	q.end(info)
	return q.b[nlmsgHdrLen:]
}

func TestParseLink(t *testing.T) {
	l, err := parseLink(linkMessage())
	want := link{index: 7, name: "mvtap3", mac: netdev.MAC{2, 0, 10, 0, 0, 1}, flags: unix.IFF_UP | unix.IFF_LOWER_UP, parent: 2, kind: "macvtap", mtu: 1500}
	if err != nil || l != want {
		t.Errorf("parseLink = %+v, %v\nwant %+v", l, err, want)
	}
	if _, err := parseLink(make([]byte, ifinfoLen-1)); err == nil {
		t.Error("a short message parsed")
	}
}

// Every truncation of a well-formed message, and attribute lengths that
// lie, parse without a panic; what cannot be read is left out.
func TestParseLinkTruncated(t *testing.T) {
	msg := linkMessage()
	for n := ifinfoLen; n < len(msg); n++ {
		if l, err := parseLink(msg[:n]); err != nil || l.index != 7 {
			t.Fatalf("%d bytes: %+v, %v", n, l, err)
		}
	}
	bad := append([]byte(nil), msg...)
	bad[ifinfoLen] = 0xff // the first attribute claims 255 bytes
	if l, _ := parseLink(bad); l.name != "" || l.kind != "" {
		t.Errorf("attributes after a lying length were read: %+v", l)
	}
}

func FuzzParseLink(f *testing.F) {
	f.Add(linkMessage())
	f.Add(make([]byte, ifinfoLen+4))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseLink(b)
		if err == nil && len(l.name) > len(b) {
			t.Fatalf("name %q longer than the message", l.name)
		}
	})
}
