package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// PNG geometry, in pixels: sized for a phone screen in portrait and landscape alike.
const (
	pngW, pngH             = 720, 420
	pngL, pngR             = 72, 660
	pngTop, pngBot         = 56, 340
	pngTicks               = 4
	pngDigitScale          = 2
	pngLabelScale          = 2
	pngLineWidth           = 3
	pngDotRadius           = 5
	pngLegendW, pngLegendH = 28, 14
)

// PNG renders days as a PNG for the weekly report: messages per day as bars (values on
// top, scale on the left), active members as a line (scale on the right), dates as MM-DD
// below. The standard library has no text rendering, so numbers are drawn with a small
// built-in bitmap font and words are left to the message that goes with the image.
func PNG(days []Day) ([]byte, error) {
	// Five colours: a paletted image is a quarter of the memory and encodes several times
	// faster than RGBA, and the file is smaller.
	const white, bar, line, grid, text = 0, 1, 2, 3, 4
	img := image.NewPaletted(image.Rect(0, 0, pngW, pngH),
		color.Palette{color.White, hex(barColour), hex(lineColour), hex(gridColour), hex("#333333")})

	maxMsg, maxActive := 0, 0
	for _, d := range days {
		maxMsg, maxActive = max(maxMsg, d.Messages), max(maxActive, d.Active)
	}
	topMsg, topActive := niceMax(maxMsg, pngTicks), niceMax(maxActive, pngTicks)
	plotH := pngBot - pngTop
	for i := 0; i <= pngTicks; i++ {
		y := pngBot - plotH*i/pngTicks
		fill(img, image.Rect(pngL, y, pngR, y+1), grid)
		s := fmt.Sprint(topMsg * i / pngTicks)
		drawText(img, pngL-8-textWidth(s, pngDigitScale), y-digitH*pngDigitScale/2, s, pngDigitScale, bar)
		drawText(img, pngR+8, y-digitH*pngDigitScale/2, fmt.Sprint(topActive*i/pngTicks), pngDigitScale, line)
	}
	// Legend: a bar swatch on the left, a line swatch on the right, above their scales.
	fill(img, image.Rect(pngL, 16, pngL+pngLegendW, 16+pngLegendH), bar)
	thickLine(img, pngR-pngLegendW, 23, pngR, 23, pngLineWidth, line)
	disc(img, pngR-pngLegendW/2, 23, pngDotRadius, line)

	if len(days) > 0 {
		slot := (pngR - pngL) / len(days)
		barW := max(slot*6/10, 2)
		var pts []image.Point
		type label struct {
			x, y int
			s    string
		}
		var values []label
		for i, d := range days {
			cx := pngL + slot*i + slot/2
			h := plotH * d.Messages / topMsg
			if d.Messages > 0 {
				fill(img, image.Rect(cx-barW/2, pngBot-h, cx+barW/2, pngBot), bar)
				v := fmt.Sprint(d.Messages)
				values = append(values, label{cx - textWidth(v, pngDigitScale)/2, pngBot - h - 6 - digitH*pngDigitScale, v})
			}
			pts = append(pts, image.Pt(cx, pngBot-plotH*d.Active/topActive))
			label := fmt.Sprintf("%02d-%02d", int(d.Date.Month()), d.Date.Day())
			if textWidth(label, pngLabelScale) <= slot || (len(days)-1-i)%7 == 0 {
				drawText(img, cx-textWidth(label, pngLabelScale)/2, pngBot+14, label, pngLabelScale, text)
			}
		}
		for i := 1; i < len(pts); i++ {
			thickLine(img, pts[i-1].X, pts[i-1].Y, pts[i].X, pts[i].Y, pngLineWidth, line)
		}
		for _, p := range pts {
			disc(img, p.X, p.Y, pngDotRadius, line)
		}
		// Values last, on a white patch, so that the line never crosses a number.
		for _, v := range values {
			fill(img, image.Rect(v.x-3, v.y-3, v.x+textWidth(v.s, pngDigitScale)+3, v.y+digitH*pngDigitScale+3), white)
			drawText(img, v.x, v.y, v.s, pngDigitScale, text)
		}
	}
	fill(img, image.Rect(pngL, pngBot, pngR, pngBot+2), text)

	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode chart png: %w", err)
	}
	return buf.Bytes(), nil
}

func hex(s string) color.RGBA {
	var r, g, b uint8
	if len(s) == 4 { // #rgb
		fmt.Sscanf(s, "#%1x%1x%1x", &r, &g, &b)
		return color.RGBA{r * 17, g * 17, b * 17, 255}
	}
	fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b)
	return color.RGBA{r, g, b, 255}
}

// fill paints r (clipped to the image) with palette index c.
func fill(img *image.Paletted, r image.Rectangle, c uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = c
		}
	}
}

// thickLine draws a line w pixels wide (Bresenham, stamping squares).
func thickLine(img *image.Paletted, x0, y0, x1, y1, w int, c uint8) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		fill(img, image.Rect(x0-w/2, y0-w/2, x0-w/2+w, y0-w/2+w), c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func disc(img *image.Paletted, cx, cy, r int, c uint8) {
	for y := -r; y <= r; y++ {
		for x := -r; x <= r; x++ {
			if x*x+y*y <= r*r {
				img.SetColorIndex(cx+x, cy+y, c)
			}
		}
	}
}

func abs(v int) int { return max(v, -v) }

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// The bitmap font: 5×7 glyphs for the characters charts need.
const digitW, digitH = 5, 7

func glyph(r rune) (rows [digitH]string, ok bool) {
	switch r {
	case '0':
		return [digitH]string{".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."}, true
	case '1':
		return [digitH]string{"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."}, true
	case '2':
		return [digitH]string{".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"}, true
	case '3':
		return [digitH]string{"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."}, true
	case '4':
		return [digitH]string{"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."}, true
	case '5':
		return [digitH]string{"#####", "#....", "####.", "....#", "....#", "#...#", ".###."}, true
	case '6':
		return [digitH]string{"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."}, true
	case '7':
		return [digitH]string{"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."}, true
	case '8':
		return [digitH]string{".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."}, true
	case '9':
		return [digitH]string{".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."}, true
	case '-':
		return [digitH]string{".....", ".....", ".....", "#####", ".....", ".....", "....."}, true
	case '/':
		return [digitH]string{".....", "....#", "...#.", "..#..", ".#...", "#....", "....."}, true
	}
	return rows, false
}

func textWidth(s string, scale int) int {
	n := len([]rune(s))
	if n == 0 {
		return 0
	}
	return (n*(digitW+1) - 1) * scale
}

// drawText draws s with its top-left corner at (x, y); characters without a glyph are
// left blank.
func drawText(img *image.Paletted, x, y int, s string, scale int, c uint8) {
	for _, r := range s {
		if rows, ok := glyph(r); ok {
			for gy, row := range rows {
				for gx, px := range row {
					if px == '#' {
						fill(img, image.Rect(x+gx*scale, y+gy*scale, x+(gx+1)*scale, y+(gy+1)*scale), c)
					}
				}
			}
		}
		x += (digitW + 1) * scale
	}
}
