package dhcp

// A DHCP message (RFC 2131 section 2, figure 1), carried in UDP from port
// 68 to port 67 and back. Options follow the magic cookie 99.130.83.99
// (RFC 2131 3, RFC 2132 2).
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+---------------+---------------+---------------+---------------+
//	|     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
//	+---------------+---------------+---------------+---------------+
//	|                            xid (4)                            |
//	+-------------------------------+-------------------------------+
//	|           secs (2)            |           flags (2)           |
//	+-------------------------------+-------------------------------+
//	|                          ciaddr  (4)                          |
//	+---------------------------------------------------------------+
//	|                          yiaddr  (4)                          |
//	+---------------------------------------------------------------+
//	|                          siaddr  (4)                          |
//	+---------------------------------------------------------------+
//	|                          giaddr  (4)                          |
//	+---------------------------------------------------------------+
//	|                          chaddr  (16)                         |
//	+---------------------------------------------------------------+
//	|                          sname   (64)                         |
//	+---------------------------------------------------------------+
//	|                          file    (128)                        |
//	+---------------------------------------------------------------+
//	|                          options (variable)                   |
//	+---------------------------------------------------------------+

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gotapip/gotapip/netdev"
)

// Ports (RFC 2131 4.1).
const (
	ServerPort = 67
	ClientPort = 68
)

// Ops (BOOTP's, RFC 951).
const (
	OpRequest = 1 // client to server
	OpReply   = 2 // server to client
)

// Byte offsets of the fixed fields.
const (
	offOp     = 0
	offHtype  = 1
	offHlen   = 2
	offHops   = 3
	offXID    = 4
	offSecs   = 8
	offFlags  = 10
	offCiaddr = 12
	offYiaddr = 16
	offSiaddr = 20
	offGiaddr = 24
	offChaddr = 28
	offSname  = 44
	offFile   = 108
	offCookie = 236
	// HeaderLen is the fixed part and the magic cookie: where options start.
	HeaderLen = 240
	// MinLen is the smallest message BOOTP relays accept (RFC 951, RFC 1542
	// 2.1); we pad what we send to it.
	MinLen = 300
)

// htypeEthernet is ARP's hardware type for Ethernet (RFC 1700).
const htypeEthernet = 1

// FlagBroadcast asks the server to broadcast its answer: a client that
// cannot receive unicast before it has an address sets it (RFC 2131 4.1).
const FlagBroadcast = 0x8000

var magicCookie = [4]byte{99, 130, 83, 99}

// Errors of Parse, for callers to test with errors.Is.
var (
	ErrTruncated = errors.New("message shorter than its fixed part")
	ErrNotDHCP   = errors.New("no DHCP magic cookie")
	ErrHardware  = errors.New("hardware type is not Ethernet")
	ErrOption    = errors.New("malformed option")
)

// Message is a typed view over a DHCP message. Parse checks it; after
// that no accessor can panic.
type Message []byte

// Parse checks that b holds a DHCP message for Ethernet whose options are
// well formed (each length within the message) and returns the view with
// its options decoded.
func Parse(b []byte) (Message, Options, error) {
	if len(b) < HeaderLen {
		return nil, Options{}, fmt.Errorf("dhcp: %d bytes: %w (%d)", len(b), ErrTruncated, HeaderLen)
	}
	m := Message(b)
	if [4]byte(b[offCookie:HeaderLen]) != magicCookie {
		return nil, Options{}, fmt.Errorf("dhcp: %w (BOOTP without options is not supported)", ErrNotDHCP)
	}
	if b[offHtype] != htypeEthernet || b[offHlen] != 6 {
		return nil, Options{}, fmt.Errorf("dhcp: %w (htype %d, hlen %d)", ErrHardware, b[offHtype], b[offHlen])
	}
	opts, err := parseOptions(b[HeaderLen:])
	if err != nil {
		return nil, Options{}, err
	}
	return m, opts, nil
}

func (m Message) Op() uint8            { return m[offOp] }
func (m Message) Hops() uint8          { return m[offHops] }
func (m Message) XID() uint32          { return binary.BigEndian.Uint32(m[offXID:]) }
func (m Message) Secs() uint16         { return binary.BigEndian.Uint16(m[offSecs:]) }
func (m Message) Flags() uint16        { return binary.BigEndian.Uint16(m[offFlags:]) }
func (m Message) ClientIP() netip.Addr { return addrAt(m, offCiaddr) }
func (m Message) YourIP() netip.Addr   { return addrAt(m, offYiaddr) }
func (m Message) ServerIP() netip.Addr { return addrAt(m, offSiaddr) }
func (m Message) RelayIP() netip.Addr  { return addrAt(m, offGiaddr) }
func (m Message) ClientMAC() netdev.MAC {
	return netdev.MAC(m[offChaddr : offChaddr+6])
}

func addrAt(b []byte, off int) netip.Addr { return netip.AddrFrom4([4]byte(b[off : off+4])) }

// Fields are the fixed fields of a message to build.
type Fields struct {
	Op                                  uint8
	XID                                 uint32
	Secs, Flags                         uint16
	ClientIP, YourIP, ServerIP, RelayIP netip.Addr // the zero Addr: 0.0.0.0
	ClientMAC                           netdev.MAC
}

// Append appends the message with fields f and options opts (an option
// list built with Builder, without the end mark) to b, padded to MinLen.
func Append(b []byte, f Fields, opts []byte) []byte {
	start := len(b)
	b = append(b, make([]byte, HeaderLen)...)
	m := b[start:]
	m[offOp], m[offHtype], m[offHlen] = f.Op, htypeEthernet, 6
	binary.BigEndian.PutUint32(m[offXID:], f.XID)
	binary.BigEndian.PutUint16(m[offSecs:], f.Secs)
	binary.BigEndian.PutUint16(m[offFlags:], f.Flags)
	putAddr(m[offCiaddr:], f.ClientIP)
	putAddr(m[offYiaddr:], f.YourIP)
	putAddr(m[offSiaddr:], f.ServerIP)
	putAddr(m[offGiaddr:], f.RelayIP)
	copy(m[offChaddr:], f.ClientMAC[:])
	copy(m[offCookie:], magicCookie[:])
	b = append(b, opts...)
	b = append(b, OptEnd)
	for len(b)-start < MinLen {
		b = append(b, OptPad)
	}
	return b
}

func putAddr(b []byte, a netip.Addr) {
	if a.Is4() {
		a4 := a.As4()
		copy(b, a4[:])
	}
}

// String is the message on one line, as a trace shows it.
func (m Message) String() string {
	return fmt.Sprintf("DHCP op %d xid 0x%08x secs %d flags 0x%04x ciaddr %v yiaddr %v siaddr %v giaddr %v chaddr %v",
		m.Op(), m.XID(), m.Secs(), m.Flags(), m.ClientIP(), m.YourIP(), m.ServerIP(), m.RelayIP(), m.ClientMAC())
}
