package diagram

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field is one header field, Bits wide, drawn as "Name=Value".
type Field struct {
	Name  string // may be empty: the cell shows the value alone
	Bits  int    // fields of no width are skipped
	Value string
	Short string // a shorter name, for when Name=Value does not fit (optional)
}

const (
	// RowBits is the width of one row of the diagram, as in the RFCs.
	RowBits = 32
	// Width is the width in columns of every line Render returns: two
	// columns per bit and the closing border.
	Width = 2*RowBits + 1
)

// piece is the part of a field in one row: columns [from, to) of row row.
type piece struct {
	field, row, from, to int
}

// Render draws fields left to right in 32-bit rows under the bit ruler.
// Text that does not fit its cell is shortened: with the short name, or
// the value alone, if that fits, else cut with "…". A last row that is not full is drawn as far as
// it goes and padded with spaces. Each rune counts as one column.
func Render(fields []Field) []string {
	pieces := layout(fields)
	if len(pieces) == 0 {
		return nil
	}
	rows := pieces[len(pieces)-1].row + 1
	owner := make([][RowBits]int, rows) // field index of each bit, -1 for none
	for r := range owner {
		for c := range owner[r] {
			owner[r][c] = -1
		}
	}
	for _, p := range pieces {
		for c := p.from; c < p.to; c++ {
			owner[p.row][c] = p.field
		}
	}
	at := func(r, c int) int {
		if r < 0 || r >= rows {
			return -1
		}
		return owner[r][c]
	}
	text := cellTexts(fields, pieces)
	lines := append(ruler(), border(at, -1))
	for r := range rows {
		var b strings.Builder
		b.WriteByte('|')
		for i, p := range pieces {
			if p.row == r {
				b.WriteString(center(text[i], 2*(p.to-p.from)-1))
				b.WriteByte('|')
			}
		}
		lines = append(lines, pad(b.String()), border(at, r))
	}
	return lines
}

// layout places each field after the one before, splitting it at row
// boundaries.
func layout(fields []Field) []piece {
	var ps []piece
	pos := 0
	for i, f := range fields {
		for left := f.Bits; left > 0; {
			row, col := pos/RowBits, pos%RowBits
			n := min(left, RowBits-col)
			ps = append(ps, piece{field: i, row: row, from: col, to: col + n})
			pos += n
			left -= n
		}
	}
	return ps
}

// cellTexts gives each field's text to its widest piece (the first, on a
// tie); its other pieces are continuation cells. One joined to the piece
// above or below by a gap in the border stays blank; one that is not (the
// second half of ARP's sender address, which wraps to the next row's left
// side) says whose it is.
func cellTexts(fields []Field, pieces []piece) []string {
	widest := make(map[int]int, len(fields))
	for i, p := range pieces {
		if w, ok := widest[p.field]; !ok || p.to-p.from > pieces[w].to-pieces[w].from {
			widest[p.field] = i
		}
	}
	text := make([]string, len(pieces))
	for i, p := range pieces {
		w := 2*(p.to-p.from) - 1
		switch {
		case widest[p.field] == i:
			text[i] = fit(fields[p.field], w)
		case !joined(pieces, i):
			text[i] = fit(Field{Name: strings.TrimSpace(fields[p.field].Name + " (cont.)")}, w)
		}
	}
	return text
}

// joined reports whether piece i shares a column with another piece of its
// field in the row above or below.
func joined(pieces []piece, i int) bool {
	p := pieces[i]
	for j, q := range pieces {
		if j != i && q.field == p.field && (q.row == p.row-1 || q.row == p.row+1) && q.from < p.to && p.from < q.to {
			return true
		}
	}
	return false
}

// fit returns the text of f in at most w columns.
func fit(f Field, w int) string {
	name, value := printable(f.Name), printable(f.Value)
	full := value
	switch {
	case name != "" && value != "":
		full = name + "=" + value
	case name != "":
		full = name
	}
	if utf8.RuneCountInString(full) <= w {
		return full
	}
	if short := printable(f.Short); short != "" {
		full = short
		if value != "" {
			full += "=" + value
		}
		if utf8.RuneCountInString(full) <= w {
			return full
		}
	}
	if value != "" && utf8.RuneCountInString(value) <= w {
		return value
	}
	return truncate(full, w)
}

// truncate cuts s to w columns, ending in "…".
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	return string(r[:w-1]) + "…"
}

// printable replaces the runes a terminal would not print in one column.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}

// center pads s to w columns, the text in the middle (left of it when the
// spare columns are odd), as the RFCs centre their field names.
func center(s string, w int) string {
	n := utf8.RuneCountInString(s)
	if n >= w {
		return s
	}
	left := (w - n) / 2
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", w-n-left)
}

// pad fills s with spaces to Width columns.
func pad(s string) string {
	if n := utf8.RuneCountInString(s); n < Width {
		return s + strings.Repeat(" ", Width-n)
	}
	return s
}

// ruler is the two lines of bit numbers above every RFC diagram.
func ruler() []string {
	tens, ones := []byte(strings.Repeat(" ", Width)), []byte(strings.Repeat(" ", Width))
	for bit := range RowBits {
		ones[2*bit+1] = byte('0' + bit%10)
		if bit%10 == 0 {
			tens[2*bit+1] = byte('0' + bit/10)
		}
	}
	return []string{string(tens), string(ones)}
}

// border draws the line under row r (r = -1: the top line). A field that
// goes on in the row below leaves a gap; every other bit gets "-", and
// every bit boundary next to a cell gets "+".
func border(at func(r, c int) int, r int) string {
	b := []byte(strings.Repeat(" ", Width))
	goesOn := func(c int) bool { return at(r, c) >= 0 && at(r, c) == at(r+1, c) }
	present := func(c int) bool { return c >= 0 && c < RowBits && (at(r, c) >= 0 || at(r+1, c) >= 0) }
	for c := range RowBits {
		if present(c) && !goesOn(c) {
			b[2*c+1] = '-'
		}
	}
	for c := 0; c <= RowBits; c++ { // the boundary left of bit c
		inside := c > 0 && c < RowBits && goesOn(c-1) && goesOn(c)
		if !inside && (present(c-1) || present(c)) {
			b[2*c] = '+'
		}
	}
	return string(b)
}
