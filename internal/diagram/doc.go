// Package diagram draws protocol headers the way the RFCs draw them — the
// diagrams at the top of our wire files, with the values filled in — and
// dumps bytes in hex. It knows no protocol: a caller lists the fields of a
// header, left to right, with their widths in bits, and Render lays them
// out in 32-bit rows:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Ver=4 | IHL=5 |   TOS=0x00    |        Total Length=84        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A field that crosses a row boundary (a 48-bit MAC address) is split into
// continuation cells joined by gaps in the border, as RFC 826 draws it; its
// text goes in its widest cell. Every line Render returns has the same
// width, Width columns, whatever the fields.
package diagram
