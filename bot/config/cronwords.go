package config

import (
	"fmt"
	"strconv"
	"strings"

	"qunbot/rules"
)

// Words says when a schedule runs the way an owner would: 「每周一 09:00」, 「每天 08:00」,
// 「工作日 20:00」, 「每月 1 日 09:00」, 「每 30 分钟」. A spec it cannot put into words
// is shown as written, quoted: 「cron 0 9 1-7 * 1」.
func (c CronSpec) Words() string { return CronWords(c.Spec) }

// CronWords is Words for a spec string (job names carry their spec as text).
func CronWords(spec string) string {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "@yearly", "@annually":
		return "每年 1 月 1 日 00:00"
	case "@monthly":
		return "每月 1 日 00:00"
	case "@weekly":
		return "每周日 00:00"
	case "@daily", "@midnight":
		return "每天 00:00"
	case "@hourly":
		return "每小时整点"
	}
	if every, ok := strings.CutPrefix(spec, "@every "); ok {
		if d, err := ParseDuration(every); err == nil && d > 0 {
			return "每隔 " + rules.DurationZH(d)
		}
	}
	if w, ok := cronWords(strings.Fields(spec)); ok {
		return w
	}
	return "cron " + spec
}

func cronWords(f []string) (string, bool) {
	if len(f) == 6 { // a leading seconds field: only whole minutes read naturally
		if f[0] != "0" {
			return "", false
		}
		f = f[1:]
	}
	if len(f) != 5 {
		return "", false
	}
	minute, hour, dom, month, dow := f[0], f[1], f[2], f[3], f[4]
	if month != "*" {
		return "", false
	}
	// Every N minutes / every hour at a minute.
	if hour == "*" && dom == "*" && dow == "*" {
		if n, ok := strings.CutPrefix(minute, "*/"); ok && isNumber(n) {
			return "每 " + n + " 分钟", true
		}
		if isNumber(minute) {
			if minute == "0" {
				return "每小时整点", true
			}
			return "每小时第 " + minute + " 分", true
		}
		return "", false
	}
	if !isNumber(minute) {
		return "", false
	}
	var times []string
	for _, h := range strings.Split(hour, ",") {
		if !isNumber(h) {
			return "", false
		}
		hh, _ := strconv.Atoi(h)
		mm, _ := strconv.Atoi(minute)
		times = append(times, fmt.Sprintf("%02d:%02d", hh, mm))
	}
	at := strings.Join(times, "、")
	switch {
	case dom == "*" && dow == "*":
		return "每天 " + at, true
	case dom == "*":
		days, ok := weekdayWords(dow)
		if !ok {
			return "", false
		}
		return days + " " + at, true
	case dow == "*":
		var ds []string
		for _, d := range strings.Split(dom, ",") {
			if !isNumber(d) {
				return "", false
			}
			ds = append(ds, d)
		}
		return "每月 " + strings.Join(ds, "、") + " 日 " + at, true
	}
	return "", false
}

var weekdayZH = map[string]string{"0": "日", "7": "日", "1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六",
	"sun": "日", "mon": "一", "tue": "二", "wed": "三", "thu": "四", "fri": "五", "sat": "六"}

// weekdayWords reads a day-of-week field: "1" 每周一, "1,3,5" 每周一、三、五, "1-5" 工作日,
// "6,0" / "0,6" 周末, "2-4" 每周二至周四.
func weekdayWords(dow string) (string, bool) {
	d := strings.ToLower(dow)
	switch d {
	case "1-5", "mon-fri":
		return "工作日", true
	case "6,0", "0,6", "6,7", "sat,sun", "sun,sat", "6-7":
		return "每周末", true
	}
	if a, b, ok := strings.Cut(d, "-"); ok {
		za, oka := weekdayZH[a]
		zb, okb := weekdayZH[b]
		if !oka || !okb {
			return "", false
		}
		return "每周" + za + "至周" + zb, true
	}
	var names []string
	for _, p := range strings.Split(d, ",") {
		z, ok := weekdayZH[p]
		if !ok {
			return "", false
		}
		names = append(names, z)
	}
	return "每周" + strings.Join(names, "、"), true
}

func isNumber(s string) bool {
	if s == "" || len(s) > 2 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
