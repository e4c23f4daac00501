package chart

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"qunbot/storage"
)

func TestNiceMax(t *testing.T) {
	for _, tc := range []struct{ v, ticks, want int }{
		{0, 4, 4}, {3, 4, 4}, {4, 4, 4}, {5, 4, 8}, {9, 4, 20}, {18, 4, 20}, {21, 4, 40},
		{95, 4, 100}, {101, 4, 200}, {230, 4, 400}, {1234, 4, 2000},
	} {
		if got := niceMax(tc.v, tc.ticks); got != tc.want {
			t.Errorf("niceMax(%d, %d) = %d, want %d", tc.v, tc.ticks, got, tc.want)
		}
	}
}

func week(t *testing.T) []Day {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, loc)
	var days []Day
	for i, v := range []int{12, 40, 7, 0, 95, 63, 21} {
		days = append(days, Day{Date: start.AddDate(0, 0, i), Messages: v, Active: []int{5, 11, 3, 0, 18, 14, 6}[i]})
	}
	return days
}

func TestSVG(t *testing.T) {
	days := week(t)
	svg := SVG(days, `<script>"x"</script>`)
	for _, want := range []string{
		`<svg class="chart"`, `viewBox="0 0 340 236"`, "消息数（条）", "活跃成员（人）", "日期",
		"11月22日", // the last day is always labelled
		"<title>11月20日：消息 95 条，活跃 18 人</title>",
		`aria-label="&lt;script&gt;&#34;x&#34;&lt;/script&gt;"`,
		`>100</text>`, // the messages axis tops out at a round 100
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Contains(svg, "<script>") {
		t.Error("the title must be escaped")
	}
	if n := strings.Count(svg, `<g class="day"`); n != len(days) {
		t.Errorf("%d day groups, want %d", n, len(days))
	}
	if n := strings.Count(svg, `class="bar"`); n != 6 {
		t.Errorf("%d bars, want 6 (a quiet day has none)", n)
	}
	if !strings.Contains(SVG(make([]Day, 3), "t"), "这段时间还没有消息") {
		t.Error("an empty chart should say so")
	}
	if !strings.HasSuffix(SVG(nil, "t"), "</svg>") {
		t.Error("no days: still a closed element")
	}
}

func TestPNG(t *testing.T) {
	b, err := PNG(week(t))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != pngW || r.Dy() != pngH {
		t.Fatalf("size %v", r)
	}
	// The tallest bar (95 of 100) fills the plot close to its top (the line passes above).
	slot := (pngR - pngL) / 7
	cx := pngL + slot*4 + slot/2
	want := hex(barColour)
	if r, g, b, _ := img.At(cx, pngTop+plotFrac(20)).RGBA(); uint8(r>>8) != want.R || uint8(g>>8) != want.G || uint8(b>>8) != want.B {
		t.Errorf("pixel in the tallest bar is %d,%d,%d, want the bar colour", r>>8, g>>8, b>>8)
	}
	if _, err := PNG(nil); err != nil {
		t.Errorf("no days: %v", err)
	}
	if _, err := PNG(make([]Day, 31)); err != nil {
		t.Errorf("a month: %v", err)
	}
}

// plotFrac is pct percent of the plot's height, from the top.
func plotFrac(pct int) int { return (pngBot - pngTop) * pct / 100 }

func TestGlyphsAreWellFormed(t *testing.T) {
	for _, r := range "0123456789-/" {
		rows, ok := glyph(r)
		if !ok {
			t.Fatalf("no glyph for %q", r)
		}
		for _, row := range rows {
			if len(row) != digitW || strings.Trim(row, ".#") != "" {
				t.Errorf("glyph %q row %q", r, row)
			}
		}
	}
	if _, ok := glyph('x'); ok {
		t.Error("no glyph expected for x")
	}
	if w := textWidth("11-16", 2); w != (5*6-1)*2 {
		t.Errorf("textWidth = %d", w)
	}
}

func TestSeriesFillsQuietDays(t *testing.T) {
	ctx := context.Background()
	st, err := storage.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	days := week(t)
	from := days[0].Date
	var key int64
	err = st.Update(ctx, func(tx *storage.Tx) error {
		g, err := tx.EnsureGroup("读书会", from)
		if err != nil {
			return err
		}
		key = g.Key
		for i, name := range []string{"甲", "乙"} {
			m, err := tx.InsertMember(storage.Member{GroupKey: key, Nickname: name, FirstSeen: from})
			if err != nil {
				return err
			}
			// 甲 speaks on days 1 and 3, 乙 on day 3.
			for _, d := range []int{1, 3}[i:] {
				if err := tx.CountMessage(key, m.Key, from.AddDate(0, 0, d).Format("2006-01-02"), true); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []Day
	if err := st.View(ctx, func(tx *storage.Tx) error {
		got, err = Series(tx, key, from, from.AddDate(0, 0, 7))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Fatalf("%d days", len(got))
	}
	for i, d := range got {
		wantMsgs, wantActive := 0, 0
		switch i {
		case 1:
			wantMsgs, wantActive = 1, 1
		case 3:
			wantMsgs, wantActive = 2, 2
		}
		if d.Messages != wantMsgs || d.Active != wantActive || !d.Date.Equal(from.AddDate(0, 0, i)) {
			t.Errorf("day %d: %+v, want %d messages, %d active", i, d, wantMsgs, wantActive)
		}
	}
}

func TestHealthCharts(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, loc)
	days := []ShareDay{
		{Date: start, Members: 60, Bot: 20, Has: true},
		{Date: start.AddDate(0, 0, 1)}, // quiet: breaks the lines
		{Date: start.AddDate(0, 0, 2), Members: 30, Bot: 50, Has: true},
		{Date: start.AddDate(0, 0, 3), Members: 55, Bot: 10, Has: true},
	}
	svg := SharesSVG(days, 50, 40, `成员<对话>`)
	for _, want := range []string{`class="threshold"`, "≥50%", "≤40%", "成员之间", "机器人", "11月16日：成员之间 60%，机器人 20%", "成员&lt;对话&gt;"} {
		if !strings.Contains(svg, want) {
			t.Errorf("shares lack %q", want)
		}
	}
	if n := strings.Count(svg, `class="members"`); n != 2 {
		t.Errorf("%d member lines, want 2 (a quiet day breaks the line)", n)
	}
	if strings.Contains(svg, "11月17日：") {
		t.Error("a quiet day has no point")
	}

	bars := BarsSVG([]Bar{
		{Label: "新人 3 天留存", Value: 60, Max: 100, Threshold: 50, Above: true, Text: "60%"},
		{Label: "新人 30 天留存", Value: 40, Max: 100, Threshold: 60, Above: true, Text: "40%"},
		{Label: "群人数", Value: 470, Max: 500, Threshold: 450, Text: "470 / 500"},
		{Label: "空的", Empty: "还没有可以统计的新人"},
	}, "留存")
	if n := strings.Count(bars, okColour); n != 1 {
		t.Errorf("%d healthy bars, want 1", n)
	}
	if n := strings.Count(bars, warnColour); n != 2 {
		t.Errorf("%d bars past their threshold, want 2 (retention below, size above)", n)
	}
	if !strings.Contains(bars, "还没有可以统计的新人") || strings.Count(bars, `class="threshold"`) != 3 {
		t.Errorf("bars:\n%s", bars)
	}

	stack := StackSVG([]Segment{{"核心", 2}, {"活跃", 3}, {"普通", 10}, {"潜水", 5}}, 30, "分层")
	for _, want := range []string{"核心 2 人（10%）", "潜水 5 人（25%）", `class="threshold"`} {
		if !strings.Contains(stack, want) {
			t.Errorf("stack lacks %q", want)
		}
	}
	if empty := StackSVG([]Segment{{"核心", 0}}, 30, "分层"); !strings.Contains(empty, "还没有成员") {
		t.Error("an empty group says so")
	}
}
