package chart

import (
	"fmt"
	"html"
	"strings"
)

// Colours shared by the SVG and the PNG, so the dashboard and the weekly image read alike.
const (
	barColour  = "#4e79a7"
	lineColour = "#e15759"
	gridColour = "#e3e6ea"
	textColour = "#555"
)

// SVG geometry, in viewBox units. The box is narrow on purpose: on a phone the chart is
// scaled to the screen's width, and a narrow box keeps its labels readable there.
const (
	svgW, svgH         = 340, 236
	plotL, plotR       = 30, 312
	plotTop, plotBot   = 34, 194
	svgTicks           = 4
	svgLabelEveryNDays = 7
	legend2            = 170 // x of the second legend entry
)

// SVG renders days as an inline SVG element: messages per day as bars (left axis, 条),
// active members per day as a line (right axis, 人), dates along the bottom, and a
// tooltip (<title>) on every day. title is the chart's accessible name. The markup is
// self-contained and safe to embed in HTML: every text is escaped.
func SVG(days []Day, title string) string {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s">`, svgW, svgH, esc(title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	// Legend.
	fmt.Fprintf(&b, `<rect x="%d" y="6" width="12" height="12" fill="%s"/><text x="%d" y="16" font-size="12" fill="%s">消息数（条）</text>`,
		plotL, barColour, plotL+16, textColour)
	fmt.Fprintf(&b, `<line x1="%d" y1="12" x2="%d" y2="12" stroke="%s" stroke-width="2.5"/><circle cx="%d" cy="12" r="3" fill="%s"/>`+
		`<text x="%d" y="16" font-size="12" fill="%s">活跃成员（人）</text>`, legend2, legend2+16, lineColour, legend2+8, lineColour, legend2+20, textColour)

	maxMsg, maxActive, total := 0, 0, 0
	for _, d := range days {
		maxMsg, maxActive, total = max(maxMsg, d.Messages), max(maxActive, d.Active), total+d.Messages+d.Active
	}
	topMsg, topActive := niceMax(maxMsg, svgTicks), niceMax(maxActive, svgTicks)
	plotH := float64(plotBot - plotTop)
	// Gridlines with both axes' values.
	for i := 0; i <= svgTicks; i++ {
		y := float64(plotBot) - plotH*float64(i)/svgTicks
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="1"/>`, plotL, y, plotR, y, gridColour)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="%s">%d</text>`, plotL-4, y+4, barColour, topMsg*i/svgTicks)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" fill="%s">%d</text>`, plotR+4, y+4, lineColour, topActive*i/svgTicks)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end" fill="%s">条</text>`, plotL-4, plotTop-8, barColour)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="%s">人</text>`, plotR+4, plotTop-8, lineColour)
	if len(days) == 0 {
		b.WriteString(`</svg>`)
		return b.String()
	}
	slot := float64(plotR-plotL) / float64(len(days))
	barW := max(slot*0.7, 1)
	var points []string
	for i, d := range days {
		cx := float64(plotL) + slot*(float64(i)+0.5)
		h := plotH * float64(d.Messages) / float64(topMsg)
		label := fmt.Sprintf("%d月%d日", d.Date.Month(), d.Date.Day())
		fmt.Fprintf(&b, `<g class="day" data-day="%s"><title>%s：消息 %d 条，活跃 %d 人</title>`, dayKey(d.Date), label, d.Messages, d.Active)
		// An invisible full-height target makes a quiet day tappable too.
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="transparent"/>`, cx-slot/2, plotTop, slot, plotBot-plotTop)
		if d.Messages > 0 {
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, cx-barW/2, float64(plotBot)-h, barW, h, barColour)
		}
		b.WriteString(`</g>`)
		points = append(points, fmt.Sprintf("%.1f,%.1f", cx, float64(plotBot)-plotH*float64(d.Active)/float64(topActive)))
		// Date labels: the last day and every seventh before it, so "today" is always named.
		if (len(days)-1-i)%svgLabelEveryNDays == 0 {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`, cx, plotBot, cx, plotBot+4, textColour)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="%s">%s</text>`, cx, plotBot+17, textColour, label)
		}
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1"/>`, plotL, plotBot, plotR, plotBot, textColour)
	fmt.Fprintf(&b, `<polyline class="active" points="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"/>`, strings.Join(points, " "), lineColour)
	if len(days) <= 31 {
		for _, p := range points {
			x, y, _ := strings.Cut(p, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2.2" fill="%s"/>`, x, y, lineColour)
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="%s">日期</text>`, (plotL+plotR)/2, svgH-6, textColour)
	if total == 0 {
		fmt.Fprintf(&b, `<text class="empty" x="%d" y="%d" font-size="14" text-anchor="middle" fill="%s">这段时间还没有消息</text>`,
			(plotL+plotR)/2, (plotTop+plotBot)/2, textColour)
	}
	b.WriteString(`</svg>`)
	return b.String()
}
