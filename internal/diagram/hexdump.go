package diagram

import (
	"fmt"
	"strings"
)

// HexDump prints up to limit bytes of b as hexdump -C does: the offset, 16
// bytes in hex in two groups of 8, and the same bytes as ASCII ('.' for
// what does not print). If b is longer, a last line says how many bytes
// were left out.
func HexDump(b []byte, limit int) []string {
	if len(b) == 0 {
		return []string{"(no bytes)"}
	}
	shown := b[:min(len(b), max(limit, 0))]
	var lines []string
	for off := 0; off < len(shown); off += 16 {
		row := shown[off:min(off+16, len(shown))]
		var hex, text strings.Builder
		for i := range 16 {
			if i == 8 {
				hex.WriteByte(' ')
			}
			if i < len(row) {
				fmt.Fprintf(&hex, "%02x ", row[i])
				text.WriteByte(asciiOrDot(row[i]))
			} else {
				hex.WriteString("   ")
			}
		}
		lines = append(lines, fmt.Sprintf("%04x  %s |%s|", off, hex.String(), text.String()))
	}
	if n := len(b) - len(shown); n > 0 {
		lines = append(lines, fmt.Sprintf("... %d more bytes", n))
	}
	return lines
}

func asciiOrDot(c byte) byte {
	if c >= 0x20 && c < 0x7f {
		return c
	}
	return '.'
}
