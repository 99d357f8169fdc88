package tcp

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// TCP options (RFC 9293 3.2, RFC 7323, RFC 2018), each kind, length, value:
//
//	EOL   +--------+                 NOP   +--------+
//	      |00000000|                       |00000001|
//	      +--------+                       +--------+
//	MSS   +--------+--------+--------+--------+
//	      |00000010|00000100|  max seg size   |
//	      +--------+--------+--------+--------+
//	WS    +--------+--------+--------+
//	      |00000011|00000011| shift  |
//	      +--------+--------+--------+
//	SACK-permitted +--------+--------+
//	               |00000100|00000010|
//	               +--------+--------+
//	SACK  +--------+--------+---------------------------------+
//	      |00000101| 8n+2   | n x (left edge, right edge)     |
//	      +--------+--------+---------------------------------+
//	TS    +--------+--------+-------------------+-------------------+
//	      |00001000|00001010| TS Value (TSval)  |TS Echo Reply(TSecr)|
//	      +--------+--------+-------------------+-------------------+

const (
	optEOL       = 0
	optNOP       = 1
	optMSS       = 2
	optWScale    = 3
	optSACKPerm  = 4
	optSACK      = 5
	optTimestamp = 8

	// MaxSACKBlocks is how many blocks fit in 40 bytes of options (4);
	// with timestamps only 3 fit (RFC 2018 3).
	MaxSACKBlocks = 4
	// MaxWScale is the largest shift RFC 7323 2.3 allows.
	MaxWScale = 14
	// MaxOptionsLen is the room options have in a header.
	MaxOptionsLen = MaxHeaderLen - HeaderLen
)

// SACKBlock is one block of received data past a hole: [Left, Right).
type SACKBlock struct{ Left, Right Seq }

// Options are the options a segment carries. Has* say which are present.
type Options struct {
	HasMSS, HasWScale, SACKPermitted, HasTimestamp bool

	MSS          uint16
	WScale       uint8 // as received: the caller caps it at MaxWScale (RFC 7323 2.3)
	TSVal, TSEcr uint32
	NumSACK      int
	SACK         [MaxSACKBlocks]SACKBlock
}

// Parse fills o from raw option bytes. Unknown options are skipped by
// their length; a length that runs past the end or is below 2, or a known
// option of the wrong length, is an error. It does not allocate.
func (o *Options) Parse(b []byte) error {
	*o = Options{}
	for i := 0; i < len(b); {
		kind := b[i]
		switch kind {
		case optEOL:
			return nil
		case optNOP:
			i++
			continue
		}
		if i+1 >= len(b) {
			return fmt.Errorf("tcp: option %d at %d has no length: %w", kind, i, ErrBadOption)
		}
		n := int(b[i+1])
		if n < 2 || i+n > len(b) {
			return fmt.Errorf("tcp: option %d at %d: length %d (%d bytes left): %w", kind, i, n, len(b)-i, ErrBadOption)
		}
		if err := o.parseOne(kind, b[i+2:i+n]); err != nil {
			return err
		}
		i += n
	}
	return nil
}

// parseOne reads one option's value v.
func (o *Options) parseOne(kind byte, v []byte) error {
	bad := func() error {
		return fmt.Errorf("tcp: option %d with %d value bytes: %w", kind, len(v), ErrBadOption)
	}
	switch kind {
	case optMSS:
		if len(v) != 2 {
			return bad()
		}
		o.HasMSS, o.MSS = true, binary.BigEndian.Uint16(v)
	case optWScale:
		if len(v) != 1 {
			return bad()
		}
		o.HasWScale, o.WScale = true, v[0]
	case optSACKPerm:
		if len(v) != 0 {
			return bad()
		}
		o.SACKPermitted = true
	case optTimestamp:
		if len(v) != 8 {
			return bad()
		}
		o.HasTimestamp = true
		o.TSVal, o.TSEcr = binary.BigEndian.Uint32(v), binary.BigEndian.Uint32(v[4:])
	case optSACK:
		if len(v) == 0 || len(v)%8 != 0 || len(v)/8 > MaxSACKBlocks {
			return bad()
		}
		o.NumSACK = len(v) / 8
		clear(o.SACK[:]) // a second SACK option replaces the first whole
		for j := range o.NumSACK {
			o.SACK[j] = SACKBlock{Seq(binary.BigEndian.Uint32(v[8*j:])), Seq(binary.BigEndian.Uint32(v[8*j+4:]))}
		}
	}
	return nil
}

// Len is the encoded length of o, padded to a multiple of 4.
func (o *Options) Len() int {
	n := 0
	if o.HasMSS {
		n += 4
	}
	if o.HasWScale {
		n += 4 // NOP + 3
	}
	if o.HasTimestamp {
		n += 12 // NOP NOP + 10, or SACK-permitted + 10
	} else if o.SACKPermitted {
		n += 4 // NOP NOP + 2
	}
	if o.NumSACK > 0 {
		n += 4 + 8*o.NumSACK // NOP NOP + 2 + blocks
	}
	return n
}

// Encode writes o into b (at least o.Len() bytes) in the layout Linux
// uses, NOP-padded to 32-bit words, and returns the length written. The
// caller keeps NumSACK within the room left (Len() <= MaxOptionsLen). It
// does not allocate.
func (o *Options) Encode(b []byte) int {
	i := 0
	if o.HasMSS {
		b[0], b[1] = optMSS, 4
		binary.BigEndian.PutUint16(b[2:], o.MSS)
		i = 4
	}
	if o.HasTimestamp {
		if o.SACKPermitted {
			b[i], b[i+1] = optSACKPerm, 2
		} else {
			b[i], b[i+1] = optNOP, optNOP
		}
		b[i+2], b[i+3] = optTimestamp, 10
		binary.BigEndian.PutUint32(b[i+4:], o.TSVal)
		binary.BigEndian.PutUint32(b[i+8:], o.TSEcr)
		i += 12
	} else if o.SACKPermitted {
		b[i], b[i+1], b[i+2], b[i+3] = optNOP, optNOP, optSACKPerm, 2
		i += 4
	}
	if o.HasWScale {
		b[i], b[i+1], b[i+2], b[i+3] = optNOP, optWScale, 3, o.WScale
		i += 4
	}
	if o.NumSACK > 0 {
		b[i], b[i+1], b[i+2], b[i+3] = optNOP, optNOP, optSACK, byte(2+8*o.NumSACK)
		i += 4
		for j := range o.NumSACK {
			binary.BigEndian.PutUint32(b[i:], uint32(o.SACK[j].Left))
			binary.BigEndian.PutUint32(b[i+4:], uint32(o.SACK[j].Right))
			i += 8
		}
	}
	return i
}

// String lists the options as tcpdump does: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7".
func (o *Options) String() string {
	var parts []string
	if o.HasMSS {
		parts = append(parts, fmt.Sprintf("mss %d", o.MSS))
	}
	if o.SACKPermitted {
		parts = append(parts, "sackOK")
	}
	if o.HasTimestamp {
		parts = append(parts, fmt.Sprintf("TS val %d ecr %d", o.TSVal, o.TSEcr))
	}
	if o.HasWScale {
		parts = append(parts, fmt.Sprintf("wscale %d", o.WScale))
	}
	if o.NumSACK > 0 {
		var bs []string
		for _, s := range o.SACK[:o.NumSACK] {
			bs = append(bs, fmt.Sprintf("{%d:%d}", uint32(s.Left), uint32(s.Right)))
		}
		parts = append(parts, fmt.Sprintf("sack %d %s", o.NumSACK, strings.Join(bs, "")))
	}
	return strings.Join(parts, ",")
}
