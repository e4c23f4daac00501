package chart

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// Health charts for the dashboard: the articles' metrics, each drawn against its threshold
// from the config so the owner sees at a glance which side of the line the group is on.

// Colours of the health charts (the activity chart's blue and red are reused for the two
// shares, so "members" reads blue and "bot" red everywhere).
const (
	okColour       = "#59a14f"
	warnColour     = "#f28e2b"
	silentColour   = "#bab0ac"
	ordinaryColour = "#a0cbe8"
	thresholdDash  = "4 3"
)

// ShareDay is one day's shares of a group's messages, in percent. Has is false on a day
// with no messages at all (no point is drawn).
type ShareDay struct {
	Date    time.Time
	Members float64 // ordinary members' share
	Bot     float64 // the bot's share
	Has     bool
}

// Share geometry: the same box as the activity chart, so the two stack neatly on a phone.
const (
	shareTop, shareBot = 34, 194
)

// SharesSVG draws two daily lines in percent — members talking to members (blue) and the
// bot (red) — over dashed lines at their thresholds (members at least memberMin, the bot at
// most botMax; a threshold of 0 or less is not drawn).
func SharesSVG(days []ShareDay, memberMin, botMax float64, title string) string {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`, svgW, svgH, esc(title), esc(title))
	fmt.Fprintf(&b, `<line x1="%d" y1="12" x2="%d" y2="12" stroke="%s" stroke-width="2.5"/><text x="%d" y="16" font-size="12" fill="%s">成员之间</text>`,
		plotL, plotL+16, barColour, plotL+20, textColour)
	fmt.Fprintf(&b, `<line x1="%d" y1="12" x2="%d" y2="12" stroke="%s" stroke-width="2.5"/><text x="%d" y="16" font-size="12" fill="%s">机器人</text>`,
		legend2-30, legend2-14, lineColour, legend2-10, textColour)
	fmt.Fprintf(&b, `<line x1="%d" y1="12" x2="%d" y2="12" stroke="%s" stroke-dasharray="%s"/><text x="%d" y="16" font-size="12" fill="%s">建议线</text>`,
		legend2+45, legend2+61, textColour, thresholdDash, legend2+65, textColour)
	plotH := float64(shareBot - shareTop)
	y := func(pct float64) float64 { return float64(shareBot) - plotH*min(max(pct, 0), 100)/100 }
	for _, v := range []int{0, 25, 50, 75, 100} {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/><text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="%s">%d</text>`,
			plotL, y(float64(v)), plotR, y(float64(v)), gridColour, plotL-4, y(float64(v))+4, textColour, v)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end" fill="%s">%%</text>`, plotL-4, shareTop-8, textColour)
	threshold := func(pct float64, colour, label string) {
		if pct <= 0 {
			return
		}
		// The label sits inside the plot, above its line's right end: the box has no margin
		// on the right for it on a phone.
		fmt.Fprintf(&b, `<line class="threshold" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-dasharray="%s"/><text x="%d" y="%.1f" font-size="10" text-anchor="end" fill="%s">%s</text>`,
			plotL, y(pct), plotR, y(pct), colour, thresholdDash, plotR-2, y(pct)-3, colour, esc(label))
	}
	threshold(memberMin, barColour, fmt.Sprintf("≥%s%%", trim(memberMin)))
	threshold(botMax, lineColour, fmt.Sprintf("≤%s%%", trim(botMax)))
	if len(days) > 0 {
		slot := float64(plotR-plotL) / float64(len(days))
		var member, bot []string
		flush := func(pts *[]string, colour, class string) {
			if len(*pts) > 0 {
				fmt.Fprintf(&b, `<polyline class="%s" points="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"/>`, class, strings.Join(*pts, " "), colour)
				*pts = nil
			}
		}
		for i, d := range days {
			cx := float64(plotL) + slot*(float64(i)+0.5)
			label := fmt.Sprintf("%d月%d日", d.Date.Month(), d.Date.Day())
			if !d.Has {
				// A day without messages breaks the lines: nothing was said, not 0%.
				flush(&member, barColour, "members")
				flush(&bot, lineColour, "bot")
			} else {
				member = append(member, fmt.Sprintf("%.1f,%.1f", cx, y(d.Members)))
				bot = append(bot, fmt.Sprintf("%.1f,%.1f", cx, y(d.Bot)))
				fmt.Fprintf(&b, `<g class="sday" data-day="%s"><title>%s：成员之间 %.0f%%，机器人 %.0f%%</title><rect x="%.1f" y="%d" width="%.1f" height="%d" fill="transparent"/></g>`,
					dayKey(d.Date), label, d.Members, d.Bot, cx-slot/2, shareTop, slot, shareBot-shareTop)
			}
			if (len(days)-1-i)%svgLabelEveryNDays == 0 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="%s">%s</text>`, cx, shareBot+17, textColour, label)
			}
		}
		flush(&member, barColour, "members")
		flush(&bot, lineColour, "bot")
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// Bar is one horizontal bar: Value out of Max, with an optional threshold marker; Above
// says which side of the threshold is healthy. Empty, when set, is shown instead of a
// value (nothing to measure yet).
type Bar struct {
	Label     string
	Value     float64
	Max       float64
	Text      string // shown at the bar's end, e.g. "60%（3/5）"
	Threshold float64
	Above     bool // healthy when Value ≥ Threshold (else when ≤)
	Empty     string
}

// BarsSVG draws horizontal bars, one a row, each coloured by whether it is on the healthy
// side of its threshold (a dashed tick).
func BarsSVG(bars []Bar, title string) string {
	const rowH, top, barL, barR = 30, 8, 92, 262
	h := top + rowH*len(bars) + 6
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`, svgW, h, esc(title), esc(title))
	for i, bar := range bars {
		y := top + rowH*i
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="%s">%s</text>`, barL-6, y+16, textColour, esc(bar.Label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="18" fill="%s" rx="3"/>`, barL, y+3, barR-barL, gridColour)
		if bar.Empty != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="%s">%s</text>`, barL+6, y+16, textColour, esc(bar.Empty))
			continue
		}
		scale := func(v float64) float64 {
			if bar.Max <= 0 {
				return 0
			}
			return float64(barR-barL) * min(max(v, 0), bar.Max) / bar.Max
		}
		colour := okColour
		if bar.Threshold > 0 && ((bar.Above && bar.Value < bar.Threshold) || (!bar.Above && bar.Value > bar.Threshold)) {
			colour = warnColour
		}
		fmt.Fprintf(&b, `<g class="bar"><title>%s：%s</title><rect x="%d" y="%d" width="%.1f" height="18" fill="%s" rx="3"/></g>`,
			esc(bar.Label), esc(bar.Text), barL, y+3, scale(bar.Value), colour)
		if bar.Threshold > 0 {
			x := float64(barL) + scale(bar.Threshold)
			fmt.Fprintf(&b, `<line class="threshold" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="1.5" stroke-dasharray="3 2"/>`, x, y, x, y+24, textColour)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="%s">%s</text>`, barR+5, y+16, textColour, esc(bar.Text))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// Segment is one part of a stacked bar.
type Segment struct {
	Label string
	Count int
}

// tierColours go from the most engaged to the silent.
var tierColours = []string{barColour, okColour, ordinaryColour, silentColour}

// StackSVG draws one bar split into segments (member tiers), with a legend of counts and
// shares, and a dashed marker where the last segment (the silent) should begin at most
// (silentMax percent; 0: none).
func StackSVG(segs []Segment, silentMax float64, title string) string {
	const barL, barR, barY = 10, 330, 10
	var b strings.Builder
	esc := html.EscapeString
	total := 0
	for _, s := range segs {
		total += s.Count
	}
	h := barY + 30 + len(segs)*18 + 6
	fmt.Fprintf(&b, `<svg class="chart stack" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`, svgW, h, esc(title), esc(title))
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="20" fill="%s" rx="3"/>`, barL, barY, barR-barL, gridColour)
	x := float64(barL)
	for i, s := range segs {
		if total == 0 {
			break
		}
		w := float64(barR-barL) * float64(s.Count) / float64(total)
		if w > 0 {
			fmt.Fprintf(&b, `<g class="seg"><title>%s：%d 人（%.0f%%）</title><rect x="%.1f" y="%d" width="%.1f" height="20" fill="%s"/></g>`,
				esc(s.Label), s.Count, float64(s.Count)*100/float64(total), x, barY, w, tierColours[i%len(tierColours)])
		}
		x += w
	}
	if silentMax > 0 && total > 0 {
		mx := float64(barR) - float64(barR-barL)*silentMax/100
		fmt.Fprintf(&b, `<line class="threshold" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="1.5" stroke-dasharray="3 2"/>`, mx, barY-4, mx, barY+24, textColour)
	}
	for i, s := range segs {
		lx, ly := barL, barY+42+i*18 // one a row: the labels are too long for two columns on a phone
		pct := "—"
		if total > 0 {
			pct = fmt.Sprintf("%.0f%%", float64(s.Count)*100/float64(total))
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="11" height="11" fill="%s"/><text x="%d" y="%d" font-size="12" fill="%s">%s %d 人（%s）</text>`,
			lx, ly-10, tierColours[i%len(tierColours)], lx+15, ly, textColour, esc(s.Label), s.Count, pct)
	}
	if total == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="%s">还没有成员</text>`, barL+6, barY+15, textColour)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// trim prints a threshold without trailing zeros.
func trim(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".")
}
