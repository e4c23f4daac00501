package rules

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ParseDuration is qunbot's one reader of durations: the config file, the ladder, admin
// commands (禁言 @x 30分钟), the owner's console and the simulator's @advance all call it,
// so whatever an owner can write in one place works in every other. It reads
//
//   - Go durations and days: 90s, 10m, 1h30m, 1500ms, 1.5h, 7d, 1d12h, 0;
//   - Chinese units and numbers: 30分钟, 1小时, 2天, 半小时, 一个半小时, 两天, 十分钟,
//     1小时30分, 3天半, 2周, 45秒;
//   - full-width digits and spaces anywhere: １小时, 1 小时.
//
// A number needs a unit ("30" alone is refused, except 0), and the total is at most ten
// years. Errors are Chinese with English, and say how to write it.
func ParseDuration(s string) (time.Duration, error) {
	orig := strings.TrimSpace(s)
	in := []rune(foldDuration(orig))
	if len(in) == 0 {
		return 0, errors.New("时长为空，请写成 30分钟、1小时、2天 或 30m、1h、2d / empty duration")
	}
	bad := func(why string) error {
		return fmt.Errorf("无效的时长「%s」：%s，请写成 30分钟、1小时、半小时、2天 或 30m、1h、2d / %s", truncateRunes(orig, 20), why, durationWhyEN[why])
	}
	if string(in) == "0" {
		return 0, nil
	}
	var total float64 // nanoseconds; float so that 半 and 1.5h need no special case
	for len(in) > 0 {
		n, rest, ok := durationNumber(in)
		if !ok {
			return 0, bad("看不懂")
		}
		in = rest
		if len(in) > 0 && in[0] == '个' { // 两个小时, 一个半小时
			in = in[1:]
		}
		if len(in) > 0 && in[0] == '半' && n >= 0 { // 一个半小时: the half belongs to the number
			n += 0.5
			in = in[1:]
		}
		unit, rest, ok := durationUnit(in)
		if !ok {
			return 0, bad("缺少单位或单位不认识")
		}
		in = rest
		if len(in) > 0 && in[0] == '半' { // 1小时半, 3天半
			n += 0.5
			in = in[1:]
		}
		total += n * float64(unit)
		if total > float64(maxDuration) {
			return 0, bad("太长，最长 10 年")
		}
	}
	return time.Duration(math.Round(total)), nil
}

const maxDuration = 10 * 365 * 24 * time.Hour

var durationWhyEN = map[string]string{
	"看不懂": "bad duration", "缺少单位或单位不认识": "missing or unknown unit", "太长，最长 10 年": "duration too long",
}

// foldDuration drops spaces and turns full-width digits and letters into ASCII, lower case.
func foldDuration(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

var zhDigits = map[rune]float64{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// durationNumber reads a number at the start of in: ASCII digits with an optional
// fraction (at most 6 digits each side), Chinese numerals up to 九十九 (十, 十五, 二十,
// 三十五), or 半 alone (half a unit).
func durationNumber(in []rune) (float64, []rune, bool) {
	i := 0
	for i < len(in) && in[i] >= '0' && in[i] <= '9' {
		i++
	}
	if i > 0 {
		whole := i
		if i < len(in) && in[i] == '.' {
			i++
			for i < len(in) && in[i] >= '0' && in[i] <= '9' {
				i++
			}
			if i == whole+1 {
				return 0, in, false
			}
		}
		if whole > 6 || i-whole > 7 {
			return 0, in, false
		}
		n, err := strconv.ParseFloat(string(in[:i]), 64)
		return n, in[i:], err == nil
	}
	if in[0] == '半' {
		return 0.5, in[1:], true
	}
	// Chinese numerals: [d]十[d] or d.
	var n float64
	tens := false
	if d, ok := zhDigits[in[i]]; ok {
		n, i = d, i+1
	}
	if i < len(in) && in[i] == '十' {
		if i == 0 {
			n = 1
		}
		n, tens, i = n*10, true, i+1
		if i < len(in) {
			if d, ok := zhDigits[in[i]]; ok && d > 0 {
				n, i = n+d, i+1
			}
		}
	}
	if i == 0 || (!tens && i > 1) {
		return 0, in, false
	}
	return n, in[i:], true
}

var durationUnits = []struct {
	word string
	unit time.Duration
}{
	// Longest first: 分钟 must not be read as 分 followed by 钟, nor ms as m then s.
	{"milliseconds", time.Millisecond}, {"millisecond", time.Millisecond},
	{"minutes", time.Minute}, {"minute", time.Minute}, {"seconds", time.Second}, {"second", time.Second},
	{"hours", time.Hour}, {"hour", time.Hour}, {"weeks", 7 * 24 * time.Hour}, {"week", 7 * 24 * time.Hour},
	{"days", 24 * time.Hour}, {"day", 24 * time.Hour}, {"mins", time.Minute}, {"secs", time.Second},
	{"min", time.Minute}, {"sec", time.Second}, {"hrs", time.Hour}, {"hr", time.Hour},
	{"ms", time.Millisecond}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"w", 7 * 24 * time.Hour},
	{"分钟", time.Minute}, {"小时", time.Hour}, {"钟头", time.Hour}, {"星期", 7 * 24 * time.Hour}, {"礼拜", 7 * 24 * time.Hour},
	{"毫秒", time.Millisecond}, {"秒钟", time.Second},
	{"天", 24 * time.Hour}, {"日", 24 * time.Hour}, {"周", 7 * 24 * time.Hour}, {"时", time.Hour}, {"分", time.Minute}, {"秒", time.Second},
}

func durationUnit(in []rune) (time.Duration, []rune, bool) {
	s := string(in)
	for _, u := range durationUnits {
		if strings.HasPrefix(s, u.word) {
			return u.unit, in[len([]rune(u.word)):], true
		}
	}
	return 0, in, false
}
