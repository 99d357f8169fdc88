package dhcp

// DHCP options (RFC 2132): after the magic cookie, a list of
//
//	+------+--------+--------------------+
//	| code | length | data (length bytes)|
//	+------+--------+--------------------+
//
// with Pad (0) and End (255) one byte each. An option that appears more
// than once is the concatenation of its parts (RFC 3396).

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// Option codes used here (RFC 2132, RFC 3442).
const (
	OptPad            = 0
	OptSubnetMask     = 1
	OptRouter         = 3
	OptDNS            = 6
	OptDomainName     = 15
	OptRequestedIP    = 50
	OptLeaseTime      = 51
	OptOverload       = 52
	OptMessageType    = 53
	OptServerID       = 54
	OptParamList      = 55
	OptMessage        = 56
	OptMaxMessageSize = 57
	OptRenewalTime    = 58 // T1
	OptRebindingTime  = 59 // T2
	OptClientID       = 61
	OptClasslessRoute = 121
	OptEnd            = 255
)

// MessageType is option 53's value (RFC 2132 9.6).
type MessageType uint8

// The message types.
const (
	Discover MessageType = 1
	Offer    MessageType = 2
	Request  MessageType = 3
	Decline  MessageType = 4
	Ack      MessageType = 5
	Nak      MessageType = 6
	Release  MessageType = 7
	Inform   MessageType = 8
)

var typeNames = [...]string{"", "DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPDECLINE", "DHCPACK", "DHCPNAK", "DHCPRELEASE", "DHCPINFORM"}

func (t MessageType) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("DHCP type %d", uint8(t))
}

// Options are the options this client and the sim's server understand,
// decoded and checked; absent ones are zero. Others are skipped.
type Options struct {
	Type        MessageType
	ServerID    netip.Addr
	RequestedIP netip.Addr
	// Lease, T1, T2: the lease time and the renewal and rebinding times
	// (0: absent; 0xffffffff seconds is "infinite", RFC 2132 9.2).
	Lease, T1, T2 time.Duration
	MaskBits      int // option 1 as a prefix length; -1: absent
	Routers, DNS  []netip.Addr
	DomainName    string
	Routes        []Route // option 121 (RFC 3442)
	Message       string  // option 56: why a NAK
}

// Infinite is an infinite lease time (RFC 2132 9.2).
const Infinite = time.Duration(0xffffffff) * time.Second

// parseOptions walks the option list b, joins repeated options and decodes
// the known ones. An option whose length runs past the message, or whose
// value does not fit its type, is an error naming it.
func parseOptions(b []byte) (Options, error) {
	var raw [256][]byte // at most len(b) bytes in all: bounded by the message
	var seen [256]bool
	for i := 0; i < len(b); {
		code := b[i]
		if code == OptPad {
			i++
			continue
		}
		if code == OptEnd {
			break
		}
		if i+1 >= len(b) || i+2+int(b[i+1]) > len(b) {
			return Options{}, fmt.Errorf("dhcp: option %d: %w (its length runs past the message)", code, ErrOption)
		}
		n := int(b[i+1])
		raw[code] = append(raw[code], b[i+2:i+2+n]...)
		seen[code] = true
		i += 2 + n
	}
	o := Options{MaskBits: -1}
	var err error
	for code := range raw {
		if seen[code] {
			if err = o.decode(uint8(code), raw[code]); err != nil {
				return Options{}, fmt.Errorf("dhcp: option %d: %w (%v)", code, ErrOption, err)
			}
		}
	}
	return o, nil
}

// decode sets the field of one known option from its value v.
func (o *Options) decode(code uint8, v []byte) error {
	var err error
	switch code {
	case OptMessageType:
		if len(v) != 1 || v[0] < uint8(Discover) || v[0] > uint8(Inform) {
			return fmt.Errorf("message type %v is not 1 byte of 1 to 8", v)
		}
		o.Type = MessageType(v[0])
	case OptServerID:
		o.ServerID, err = oneAddr(v)
	case OptRequestedIP:
		o.RequestedIP, err = oneAddr(v)
	case OptLeaseTime:
		o.Lease, err = seconds(v)
	case OptRenewalTime:
		o.T1, err = seconds(v)
	case OptRebindingTime:
		o.T2, err = seconds(v)
	case OptSubnetMask:
		o.MaskBits, err = maskBits(v)
	case OptRouter:
		o.Routers, err = addrList(v)
	case OptDNS:
		o.DNS, err = addrList(v)
	case OptDomainName:
		o.DomainName = string(v)
	case OptMessage:
		o.Message = string(v)
	case OptClasslessRoute:
		o.Routes, err = ParseRoutes(v)
	}
	return err
}

func oneAddr(v []byte) (netip.Addr, error) {
	if len(v) != 4 {
		return netip.Addr{}, fmt.Errorf("length %d, want 4", len(v))
	}
	return netip.AddrFrom4([4]byte(v)), nil
}

func seconds(v []byte) (time.Duration, error) {
	if len(v) != 4 {
		return 0, fmt.Errorf("length %d, want 4", len(v))
	}
	return time.Duration(binary.BigEndian.Uint32(v)) * time.Second, nil
}

// maskBits turns a subnet mask into a prefix length; the mask must be
// contiguous ones then zeros (RFC 950).
func maskBits(v []byte) (int, error) {
	if len(v) != 4 {
		return 0, fmt.Errorf("length %d, want 4", len(v))
	}
	m := binary.BigEndian.Uint32(v)
	bits := 0
	for m&(1<<31) != 0 {
		bits++
		m <<= 1
	}
	if m != 0 {
		return 0, fmt.Errorf("mask %v is not contiguous", netip.AddrFrom4([4]byte(v)))
	}
	return bits, nil
}

// maxAddrs bounds an address list (routers, DNS servers) kept from a
// message: more than a host would ever use.
const maxAddrs = 8

func addrList(v []byte) ([]netip.Addr, error) {
	if len(v) == 0 || len(v)%4 != 0 {
		return nil, fmt.Errorf("length %d is not a multiple of 4", len(v))
	}
	var out []netip.Addr
	for i := 0; i+4 <= len(v) && len(out) < maxAddrs; i += 4 {
		out = append(out, netip.AddrFrom4([4]byte(v[i:i+4])))
	}
	return out, nil
}

// Builder appends options to a list (without the End mark: Append adds it).
type Builder []byte

// Add appends option code with value v, split into parts of at most 255
// bytes as RFC 3396 allows.
func (b *Builder) Add(code uint8, v []byte) {
	for {
		n := min(len(v), 255)
		*b = append(*b, code, byte(n))
		*b = append(*b, v[:n]...)
		if v = v[n:]; len(v) == 0 {
			return
		}
	}
}

// AddType appends the message type (option 53).
func (b *Builder) AddType(t MessageType) { b.Add(OptMessageType, []byte{byte(t)}) }

// AddAddrs appends an option holding addresses.
func (b *Builder) AddAddrs(code uint8, addrs ...netip.Addr) {
	v := make([]byte, 0, 4*len(addrs))
	for _, a := range addrs {
		a4 := a.As4()
		v = append(v, a4[:]...)
	}
	b.Add(code, v)
}

// AddSeconds appends a time option (lease, T1, T2) in whole seconds.
func (b *Builder) AddSeconds(code uint8, d time.Duration) {
	b.Add(code, binary.BigEndian.AppendUint32(nil, uint32(d/time.Second)))
}

// AddMask appends the subnet mask of a prefix length.
func (b *Builder) AddMask(bits int) {
	b.Add(OptSubnetMask, binary.BigEndian.AppendUint32(nil, ^uint32(0)<<(32-bits)))
}
