package tcpgraph

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// The size of a picture, in SVG user units (pixels in a browser), and
// the margins around a plot for its ticks, labels and title.
const (
	width        = 960
	height       = 600
	marginLeft   = 90
	marginRight  = 30
	marginTop    = 56
	marginBottom = 56
)

// canvas writes an SVG document through encoding/xml, so every name and
// text is escaped and every element closed.
type canvas struct {
	e   *xml.Encoder
	err error
}

func newCanvas(w io.Writer, title string) *canvas {
	c := &canvas{e: xml.NewEncoder(w)}
	c.open("svg", "xmlns", "http://www.w3.org/2000/svg", "viewBox", fmt.Sprintf("0 0 %d %d", width, height),
		"width", strconv.Itoa(width), "height", strconv.Itoa(height), "font-family", "sans-serif", "font-size", "12")
	c.leaf("rect", "x", "0", "y", "0", "width", strconv.Itoa(width), "height", strconv.Itoa(height), "fill", "white")
	c.text(width/2, 20, "middle", "title", title, "font-size", "15", "font-weight", "bold")
	return c
}

func (c *canvas) token(t xml.Token) {
	if c.err == nil {
		c.err = c.e.EncodeToken(t)
	}
}

func attrs(kv []string) []xml.Attr {
	a := make([]xml.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		a = append(a, xml.Attr{Name: xml.Name{Local: kv[i]}, Value: kv[i+1]})
	}
	return a
}

// open starts an element with attributes given as name, value pairs.
func (c *canvas) open(name string, kv ...string) {
	c.token(xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs(kv)})
}

func (c *canvas) close(name string) { c.token(xml.EndElement{Name: xml.Name{Local: name}}) }

// leaf writes an element with no content.
func (c *canvas) leaf(name string, kv ...string) {
	c.open(name, kv...)
	c.close(name)
}

// text writes s at (x, y), anchored "start", "middle" or "end".
func (c *canvas) text(x, y float64, anchor, class, s string, kv ...string) {
	c.open("text", append([]string{"x", num(x), "y", num(y), "text-anchor", anchor, "class", class}, kv...)...)
	c.token(xml.CharData(s))
	c.close("text")
}

// finish closes the document and reports the first error.
func (c *canvas) finish() error {
	c.close("svg")
	if c.err == nil {
		c.err = c.e.Flush()
	}
	return c.err
}

// num formats a coordinate with one decimal, enough at this size.
func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// scale maps data values [lo, hi] onto pixels [from, to].
type scale struct{ lo, hi, from, to float64 }

func (s scale) at(v float64) float64 {
	if s.hi == s.lo {
		return s.from
	}
	return s.from + (v-s.lo)/(s.hi-s.lo)*(s.to-s.from)
}

// niceTicks returns tick values covering [lo, hi] at a step of 1, 2 or 5
// times a power of ten, about n of them.
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow * 10
	for _, m := range []float64{1, 2, 5} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	var out []float64
	for k := math.Ceil(lo / step); k*step <= hi+step*1e-9; k++ {
		out = append(out, k*step)
	}
	return out
}

// plot is one panel: a frame with axes, ticks and labels around the
// rectangle x0..x1, y0..y1 (y1 at the bottom), and the scales into it.
type plot struct {
	x, y   scale
	x0, x1 float64
	y0, y1 float64
}

func newPlot(y0, y1, t0, t1, vlo, vhi float64) plot {
	x0, x1 := float64(marginLeft), float64(width-marginRight)
	return plot{x: scale{t0, t1, x0, x1}, y: scale{vlo, vhi, y1, y0}, x0: x0, x1: x1, y0: y0, y1: y1}
}

// axes draws the frame, the grid, the ticks and their labels (time in
// seconds along x; ylabel formats the y values) and the axis titles.
func (c *canvas) axes(p plot, xTitle, yTitle string, ylabel func(float64) string) {
	c.open("g", "class", "axes", "stroke", "#888", "fill", "none")
	c.leaf("rect", "x", num(p.x0), "y", num(p.y0), "width", num(p.x1-p.x0), "height", num(p.y1-p.y0))
	c.close("g")
	c.open("g", "class", "ticks", "fill", "#222")
	for _, t := range niceTicks(p.x.lo, p.x.hi, 8) {
		x := p.x.at(t)
		c.leaf("line", "class", "xtick", "x1", num(x), "y1", num(p.y1), "x2", num(x), "y2", num(p.y1+5), "stroke", "#888")
		c.leaf("line", "class", "grid", "x1", num(x), "y1", num(p.y0), "x2", num(x), "y2", num(p.y1), "stroke", "#eee")
		c.text(x, p.y1+18, "middle", "xlabel", seconds(t))
	}
	for _, v := range niceTicks(p.y.lo, p.y.hi, 6) {
		y := p.y.at(v)
		c.leaf("line", "class", "ytick", "x1", num(p.x0-5), "y1", num(y), "x2", num(p.x0), "y2", num(y), "stroke", "#888")
		c.leaf("line", "class", "grid", "x1", num(p.x0), "y1", num(y), "x2", num(p.x1), "y2", num(y), "stroke", "#eee")
		c.text(p.x0-8, y+4, "end", "ylabel", ylabel(v))
	}
	c.close("g")
	if xTitle != "" {
		c.text((p.x0+p.x1)/2, p.y1+40, "middle", "xtitle", xTitle)
	}
	my := (p.y0 + p.y1) / 2
	c.text(18, my, "middle", "ytitle", yTitle, "transform", fmt.Sprintf("rotate(-90 18 %s)", num(my)))
}

// legendItem is one line of a legend: a swatch of colour and its words.
type legendItem struct{ colour, words string }

// legend draws items in a row under the title, above the plots, so it
// hides nothing.
func (c *canvas) legend(items []legendItem) {
	x, y := float64(marginLeft), float64(marginTop-14)
	c.open("g", "class", "legend")
	for _, it := range items {
		c.leaf("rect", "x", num(x), "y", num(y-9), "width", "16", "height", "10", "fill", it.colour)
		c.text(x+21, y, "start", "legend-text", it.words, "font-size", "11")
		x += 21 + 6.2*float64(utf8.RuneCountInString(it.words)) + 18
	}
	c.close("g")
}

// seconds labels a time tick: "0", "0.25", "1.5".
func seconds(t float64) string { return strconv.FormatFloat(t, 'g', 6, 64) }

// bytesLabel labels a byte count tick as Wireshark does not bother to,
// in k and M for legibility (1k = 1000).
func bytesLabel(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 6, 64) + "M"
	case a >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 6, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}
