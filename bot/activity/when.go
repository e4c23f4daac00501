package activity

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Deadlines as members type them. A start command's words are tokens; the ones that make a
// time are taken out and the rest is the title or the prize:
//
//	30m 2h 3d · 30分钟 2小时 3天        from now
//	20:00 · 20点 · 晚上8点 · 8点半     today (tomorrow if it has passed)
//	明天 20:00 · 后天 · 周五 20:00 · 下周一 · 12-24 20:00 · 12月24日 20:00 · 2026-12-24 20:00
//	截止 / 截止到 before any of these is allowed and ignored
//
// A day without a time of day means 23:59 of that day.

var (
	relRe      = regexp.MustCompile(`^(\d{1,4})(m|min|分钟|h|小时|d|天)$`)
	clockRe    = regexp.MustCompile(`^(上午|中午|下午|晚上|今晚)?(\d{1,2})(?:[:：](\d{2})|点(半|(\d{1,2})分?)?)$`)
	isoDayRe   = regexp.MustCompile(`^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$`)
	shortDayRe = regexp.MustCompile(`^(\d{1,2})[-/](\d{1,2})$`)
	cnDayRe    = regexp.MustCompile(`^(\d{1,2})月(\d{1,2})[日号]?$`)
	weekdayRe  = regexp.MustCompile(`^(下)?(?:周|星期|礼拜)([一二三四五六日天])$`)
	// dayThenClockRe cuts a day written together with a time of day.
	dayThenClockRe = regexp.MustCompile(`^(今天|明天|后天|昨天|前天|下?(?:周|星期|礼拜)[一二三四五六日天]|\d{1,2}月\d{1,2}[日号]?|\d{1,2}[-/]\d{1,2})(.+)$`)
)

// whenParts is what the tokens said.
type whenParts struct {
	rel      time.Duration
	hasRel   bool
	day      time.Time // local midnight; zero: not said
	hasClock bool
	hour     int
	min      int
}

// takeWhen removes the tokens that make a deadline and returns the rest. ok is false when
// no token did. A token like "明天20:00" (no space) is split first.
func takeWhen(fields []string, now time.Time) (deadline time.Time, rest []string, ok bool) {
	var w whenParts
	for _, f := range fields {
		f = strings.TrimPrefix(strings.TrimPrefix(f, "截止到"), "截止")
		if f == "" || f == "前" {
			continue
		}
		if !w.parse(f, now) {
			rest = append(rest, f)
		}
	}
	deadline, ok = w.resolve(now)
	return deadline, rest, ok
}

func (w *whenParts) parse(f string, now time.Time) bool {
	f = strings.TrimSuffix(f, "前")
	if m := dayThenClockRe.FindStringSubmatch(f); m != nil {
		// "明天20:00", "周五晚上8点": a day and a time of day written together.
		var probe whenParts
		if probe.parse(m[1], now) && probe.parse(m[2], now) {
			return w.parse(m[1], now) && w.parse(m[2], now)
		}
	}
	if m := weekdayRe.FindStringSubmatch(f); m != nil {
		target := time.Sunday // 日 and 天
		for i, r := range []rune("日一二三四五六") {
			if string(r) == m[2] {
				target = time.Weekday(i)
			}
		}
		today := midnight(now)
		ahead := (int(target) - int(today.Weekday()) + 7) % 7
		if m[1] == "下" {
			// 下周五: the Friday of next week (weeks start on Monday).
			toMonday := (8 - int(today.Weekday())) % 7
			if toMonday == 0 {
				toMonday = 7
			}
			ahead = toMonday + (int(target)+6)%7
		}
		w.day = today.AddDate(0, 0, ahead)
		return true
	}
	if m := relRe.FindStringSubmatch(f); m != nil && !w.hasRel {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"m": time.Minute, "min": time.Minute, "分钟": time.Minute, "h": time.Hour, "小时": time.Hour,
			"d": 24 * time.Hour, "天": 24 * time.Hour}[m[2]]
		w.rel, w.hasRel = time.Duration(n)*unit, true
		return true
	}
	today := midnight(now)
	switch f {
	case "今天", "今晚":
		w.day = today
		if f == "今晚" && !w.hasClock {
			w.hasClock, w.hour, w.min = true, 20, 0
		}
		return true
	case "明天":
		w.day = today.AddDate(0, 0, 1)
		return true
	case "后天":
		w.day = today.AddDate(0, 0, 2)
		return true
	case "昨天", "前天":
		// Never a valid deadline, but taken as one so the answer says it has passed
		// instead of making 「昨天」 part of the prize.
		w.day = today.AddDate(0, 0, -1-strings.Count(f, "前"))
		return true
	}
	if m := clockRe.FindStringSubmatch(f); m != nil {
		h, _ := strconv.Atoi(m[2])
		mi := 0
		switch {
		case m[3] != "":
			mi, _ = strconv.Atoi(m[3])
		case m[4] == "半":
			mi = 30
		case m[5] != "":
			mi, _ = strconv.Atoi(m[5])
		}
		if (m[1] == "下午" || m[1] == "晚上" || m[1] == "今晚") && h < 12 {
			h += 12
		}
		if h > 23 || mi > 59 {
			return false
		}
		if m[1] == "今晚" && w.day.IsZero() {
			w.day = today
		}
		w.hasClock, w.hour, w.min = true, h, mi
		return true
	}
	if m := isoDayRe.FindStringSubmatch(f); m != nil {
		return w.setDay(atoi(m[1]), atoi(m[2]), atoi(m[3]), now)
	}
	if m := shortDayRe.FindStringSubmatch(f); m != nil {
		return w.setDay(0, atoi(m[1]), atoi(m[2]), now)
	}
	if m := cnDayRe.FindStringSubmatch(f); m != nil {
		return w.setDay(0, atoi(m[1]), atoi(m[2]), now)
	}
	return false
}

// setDay takes a calendar day; without a year it is the next such day from today.
func (w *whenParts) setDay(y, m, d int, now time.Time) bool {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	year := y
	if year == 0 {
		year = now.Year()
	}
	day := time.Date(year, time.Month(m), d, 0, 0, 0, 0, now.Location())
	if day.Month() != time.Month(m) {
		return false // 2月30日
	}
	if y == 0 && day.Before(midnight(now)) {
		day = day.AddDate(1, 0, 0)
	}
	w.day = day
	return true
}

func (w *whenParts) resolve(now time.Time) (time.Time, bool) {
	switch {
	case w.hasRel:
		return now.Add(w.rel), true
	case w.day.IsZero() && !w.hasClock:
		return time.Time{}, false
	}
	day := w.day
	if day.IsZero() {
		day = midnight(now)
	}
	if !w.hasClock {
		return time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 0, 0, day.Location()), true
	}
	at := time.Date(day.Year(), day.Month(), day.Day(), w.hour, w.min, 0, 0, day.Location())
	if w.day.IsZero() && !at.After(now) {
		at = at.AddDate(0, 0, 1) // "20:00" said at 21:00 means tomorrow
	}
	return at, true
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// showTime shows a deadline as members read it: "今天 20:00", "明天 09:30", "12月24日 20:00".
func showTime(at, now time.Time) string {
	switch days := int(midnight(at).Sub(midnight(now)).Hours() / 24); days {
	case 0:
		return "今天 " + at.Format("15:04")
	case 1:
		return "明天 " + at.Format("15:04")
	case 2:
		return "后天 " + at.Format("15:04")
	}
	if at.Year() != now.Year() {
		return at.Format("2006年1月2日 15:04")
	}
	return at.Format("1月2日 15:04")
}
