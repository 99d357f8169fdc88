package diagram

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s (-want +got):\n-%s\n+%s", name, strings.ReplaceAll(string(want), "\n", "\n-"), strings.ReplaceAll(got, "\n", "\n+"))
	}
}

// sameWidth fails unless every line is Width runes wide.
func sameWidth(t *testing.T, lines []string) {
	t.Helper()
	for i, l := range lines {
		if n := utf8.RuneCountInString(l); n != Width {
			t.Errorf("line %d is %d columns wide, want %d: %q", i, n, Width, l)
		}
	}
}

func TestRender(t *testing.T) {
	cases := []struct {
		name   string
		fields []Field
	}{
		// 48-bit fields cross rows: gaps in the border join their cells
		// (netdev/ether.go), and the last row is half full.
		{"crossing", []Field{
			{Name: "Destination", Bits: 48, Value: "ff:ff:ff:ff:ff:ff"},
			{Name: "Source", Bits: 48, Value: "02:00:0a:00:00:01"},
			{Name: "EtherType", Bits: 16, Value: "ARP (0x0806)"},
		}},
		// A 32-bit field that wraps from the right half of one row to the
		// left half of the next shares no column: its second cell is named.
		{"wrapping", []Field{
			{Name: "Sender MAC", Bits: 48, Value: "02:00:0a:00:00:01"},
			{Name: "Sender IP", Bits: 32, Value: "10.0.0.1"},
			{Name: "Target MAC", Bits: 48, Value: "00:00:00:00:00:00"},
		}},
		// Too long: the value alone if it fits, else cut with "…"; narrow
		// cells; an empty name; a field of no width is skipped.
		{"fitting", []Field{
			{Name: "Flags", Bits: 3, Value: "DF"},
			{Name: "Fragment Offset", Bits: 13, Value: "8191 (65528 bytes)", Short: "Offset"},
			{Name: "Time to Live", Bits: 8, Value: "255", Short: "TTL"},
			{Name: "Long", Bits: 8, Value: "0xdeadbeef01", Short: "L"},
			{Name: "", Bits: 8, Value: "bare"},
			{Name: "Nothing", Bits: 0, Value: "x"},
			{Name: "A very long name indeed", Bits: 8, Value: "and a long value"},
			{Name: "B", Bits: 1, Value: "1"},
			{Name: "C", Bits: 1, Value: "10"},
			{Name: "Name only", Bits: 14},
			{Name: "Ünïcode", Bits: 32, Value: "✓ and a tab\there"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := Render(c.fields)
			sameWidth(t, lines)
			golden(t, c.name, strings.Join(lines, "\n")+"\n")
		})
	}
}

func TestRenderNothing(t *testing.T) {
	if got := Render(nil); got != nil {
		t.Errorf("Render(nil) = %q, want nil", got)
	}
	if got := Render([]Field{{Name: "x", Bits: -3}}); got != nil {
		t.Errorf("Render of a negative width = %q, want nil", got)
	}
}

// Whatever the fields, the lines are all Width columns wide.
func FuzzRender(f *testing.F) {
	f.Add("Ver", 4, "4", "Destination", 48, "ff:ff:ff:ff:ff:ff", 3)
	f.Add("", 1, "", "x", 31, "\x00\xff", 100)
	f.Fuzz(func(t *testing.T, n1 string, b1 int, v1, n2 string, b2 int, v2 string, repeat int) {
		var fields []Field
		for range repeat % 20 {
			fields = append(fields, Field{Name: n1, Bits: b1 % 200, Value: v1, Short: v2}, Field{Name: n2, Bits: b2 % 200, Value: v2, Short: n1})
		}
		sameWidth(t, Render(fields))
	})
}

func TestHexDump(t *testing.T) {
	b := []byte("GET / HTTP/1.0\r\n\x00\x01\x7f\xffend")
	cases := []struct {
		name  string
		b     []byte
		limit int
		want  []string
	}{
		{"all", b, 128, []string{
			"0000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 30 0d 0a  |GET / HTTP/1.0..|",
			"0010  00 01 7f ff 65 6e 64                              |....end|",
		}},
		{"bounded", b, 16, []string{
			"0000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 30 0d 0a  |GET / HTTP/1.0..|",
			"... 7 more bytes",
		}},
		{"short", b[:3], 128, []string{"0000  47 45 54                                          |GET|"}},
		{"empty", nil, 128, []string{"(no bytes)"}},
		{"no limit", b[:3], -1, []string{"... 3 more bytes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := HexDump(c.b, c.limit)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("HexDump (-want +got):\n-%s\n+%s", strings.Join(c.want, "\n-"), strings.Join(got, "\n+"))
			}
		})
	}
}
