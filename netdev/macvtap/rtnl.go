//go:build linux

package macvtap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/gotapip/gotapip/netdev"
)

// rtnetlink (RFC 3549; linux/rtnetlink.h, linux/if_link.h): the requests
// that make, bring up, find and delete a macvtap, and the link events that
// say it lost its carrier or went away. Every field is in host byte order.
//
//	struct nlmsghdr (16 bytes)                struct ifinfomsg (16 bytes)
//	 0  u32 nlmsg_len    the whole message     0  u8  ifi_family  AF_UNSPEC
//	 4  u16 nlmsg_type   RTM_NEWLINK, ...      2  u16 ifi_type    ARPHRD_*
//	 6  u16 nlmsg_flags  NLM_F_REQUEST, ...    4  i32 ifi_index
//	 8  u32 nlmsg_seq                          8  u32 ifi_flags   IFF_UP, IFF_LOWER_UP
//	12  u32 nlmsg_pid                         12  u32 ifi_change  the flags to change
//
//	then attributes, each padded to 4 bytes:  0 u16 rta_len  2 u16 rta_type  4 value
//
// A new macvtap is RTM_NEWLINK with IFLA_IFNAME, IFLA_LINK (the parent's
// index), IFLA_ADDRESS and IFLA_LINKINFO { IFLA_INFO_KIND "macvtap",
// IFLA_INFO_DATA { IFLA_MACVLAN_MODE bridge } }. Each request asks for an
// acknowledgement (NLMSG_ERROR, error 0 on success).

const (
	nlmsgHdrLen   = unix.SizeofNlMsghdr
	ifinfoLen     = unix.SizeofIfInfomsg
	rtaHdrLen     = unix.SizeofRtAttr
	nlaTypeMask   = 0x3fff // drops NLA_F_NESTED and NLA_F_NET_BYTEORDER
	macvlanBridge = 4      // MACVLAN_MODE_BRIDGE
	rtnlReplyWait = 5      // seconds a request waits for its answer
)

var ne = binary.NativeEndian

// link is what rtnetlink says of one interface.
type link struct {
	index  int
	name   string
	mac    netdev.MAC
	flags  uint32 // IFF_UP, IFF_LOWER_UP, ...
	parent int    // IFLA_LINK: the lower device's index (0: none)
	kind   string // IFLA_INFO_KIND: "macvtap", "veth", ... ("" for a plain NIC)
	mtu    int
}

// rtnl is a NETLINK_ROUTE socket for requests, in the network namespace
// of the thread that opened it; it stays there whichever thread uses it.
type rtnl struct {
	mu  sync.Mutex // one request at a time
	fd  int
	seq uint32
	buf []byte
}

func openRtnl(groups uint32) (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return -1, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("netlink bind: %w", err)
	}
	return fd, nil
}

func newRtnl() (*rtnl, error) {
	fd, err := openRtnl(0)
	if err != nil {
		return nil, err
	}
	tv := unix.Timeval{Sec: rtnlReplyWait}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return &rtnl{fd: fd, buf: make([]byte, 32<<10)}, nil
}

func (r *rtnl) close() { unix.Close(r.fd) }

// request builds one rtnetlink message: header, ifinfomsg, attributes.
type request struct{ b []byte }

func newRequest(typ, flags uint16, index int, ifFlags, change uint32) *request {
	b := make([]byte, nlmsgHdrLen+ifinfoLen, 256)
	ne.PutUint16(b[4:], typ)
	ne.PutUint16(b[6:], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	ne.PutUint32(b[nlmsgHdrLen+4:], uint32(int32(index)))
	ne.PutUint32(b[nlmsgHdrLen+8:], ifFlags)
	ne.PutUint32(b[nlmsgHdrLen+12:], change)
	return &request{b: b}
}

// attr appends an attribute and returns its offset, for nest.
func (q *request) attr(typ uint16, val []byte) int {
	at := len(q.b)
	var h [rtaHdrLen]byte
	ne.PutUint16(h[0:], uint16(rtaHdrLen+len(val)))
	ne.PutUint16(h[2:], typ)
	q.b = append(q.b, h[:]...)
	q.b = append(q.b, val...)
	for len(q.b)%4 != 0 {
		q.b = append(q.b, 0)
	}
	return at
}

// end closes the nested attribute begun at at: its length now covers
// everything appended since.
func (q *request) end(at int) { ne.PutUint16(q.b[at:], uint16(len(q.b)-at)) }

func u32(v uint32) []byte { b := make([]byte, 4); ne.PutUint32(b, v); return b }

func cstring(s string) []byte { return append([]byte(s), 0) }

// do sends q and waits for its answer: the acknowledgement, or for
// RTM_GETLINK the link (then want is that message's body).
func (r *rtnl) do(q *request) (body []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	ne.PutUint32(q.b[0:], uint32(len(q.b)))
	ne.PutUint32(q.b[8:], r.seq)
	if err := unix.Sendto(r.fd, q.b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(r.fd, r.buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("netlink: no answer: %w", err)
		}
		for m := r.buf[:n]; len(m) >= nlmsgHdrLen; {
			l := int(ne.Uint32(m[0:]))
			if l < nlmsgHdrLen || l > len(m) {
				return nil, errors.New("netlink: malformed answer")
			}
			typ, seq, data := ne.Uint16(m[4:]), ne.Uint32(m[8:]), m[nlmsgHdrLen:l]
			m = m[min(nlmAlign(l), len(m)):]
			if seq != r.seq {
				continue // a late answer to an earlier request
			}
			switch {
			case typ == unix.NLMSG_ERROR && len(data) >= 4:
				if e := int32(ne.Uint32(data)); e != 0 {
					return body, unix.Errno(-e)
				}
				return body, nil
			case typ == unix.RTM_NEWLINK:
				body = append([]byte(nil), data...) // the ACK follows
			}
		}
	}
}

func nlmAlign(n int) int { return (n + 3) &^ 3 }

// getLink asks for the interface named name (index 0) or of index.
func (r *rtnl) getLink(name string, index int) (link, error) {
	q := newRequest(unix.RTM_GETLINK, 0, index, 0, 0)
	if name != "" {
		q.attr(unix.IFLA_IFNAME, cstring(name))
	}
	body, err := r.do(q)
	if err != nil {
		return link{}, err
	}
	return parseLink(body)
}

// newMacvtap makes a macvtap in bridge mode named name on the interface
// of index parent, with MAC mac.
func (r *rtnl) newMacvtap(name string, parent int, mac netdev.MAC) error {
	q := newRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, 0, 0, 0)
	q.attr(unix.IFLA_IFNAME, cstring(name))
	q.attr(unix.IFLA_LINK, u32(uint32(parent)))
	q.attr(unix.IFLA_ADDRESS, mac[:])
	info := q.attr(unix.IFLA_LINKINFO, nil)
	q.attr(unix.IFLA_INFO_KIND, cstring("macvtap"))
	data := q.attr(unix.IFLA_INFO_DATA, nil)
	q.attr(unix.IFLA_MACVLAN_MODE, u32(macvlanBridge))
	q.end(data)
	q.end(info)
	_, err := r.do(q)
	return err
}

// setUp brings the interface of index up.
func (r *rtnl) setUp(index int) error {
	_, err := r.do(newRequest(unix.RTM_NEWLINK, 0, index, unix.IFF_UP, unix.IFF_UP))
	return err
}

// delLink deletes the interface of index.
func (r *rtnl) delLink(index int) error {
	_, err := r.do(newRequest(unix.RTM_DELLINK, 0, index, 0, 0))
	return err
}

// parseLink reads an RTM_NEWLINK body: ifinfomsg and attributes.
func parseLink(b []byte) (link, error) {
	if len(b) < ifinfoLen {
		return link{}, errors.New("netlink: short link message")
	}
	l := link{index: int(int32(ne.Uint32(b[4:]))), flags: ne.Uint32(b[8:])}
	attrs(b[ifinfoLen:], func(typ uint16, v []byte) {
		switch typ {
		case unix.IFLA_IFNAME:
			l.name = trimNUL(v)
		case unix.IFLA_ADDRESS:
			if len(v) == len(l.mac) {
				l.mac = netdev.MAC(v)
			}
		case unix.IFLA_LINK:
			if len(v) == 4 {
				l.parent = int(ne.Uint32(v))
			}
		case unix.IFLA_MTU:
			if len(v) == 4 {
				l.mtu = int(ne.Uint32(v))
			}
		case unix.IFLA_LINKINFO:
			attrs(v, func(typ uint16, v []byte) {
				if typ == unix.IFLA_INFO_KIND {
					l.kind = trimNUL(v)
				}
			})
		}
	})
	return l, nil
}

// attrs calls f for each well-formed attribute in b, stopping at the first
// one whose length lies.
func attrs(b []byte, f func(typ uint16, val []byte)) {
	for len(b) >= rtaHdrLen {
		l := int(ne.Uint16(b[0:]))
		if l < rtaHdrLen || l > len(b) {
			return
		}
		f(ne.Uint16(b[2:])&nlaTypeMask, b[rtaHdrLen:l])
		b = b[min(nlmAlign(l), len(b)):]
	}
}

func trimNUL(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}
