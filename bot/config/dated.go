package config

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"qunbot/bot/holiday"
)

// The calendar values of dated posts are written as owners write them and resolved in the
// config timezone when used (the timezone is validated after the values are decoded).

// LocalDateTime is a wall-clock moment without a zone: "2026-12-24 20:00".
type LocalDateTime struct {
	Year  int
	Month time.Month
	Day   int
	Hour  int
	Min   int
	set   bool
}

// IsZero reports whether no moment was given.
func (d LocalDateTime) IsZero() bool { return !d.set }

// In is the moment in loc.
func (d LocalDateTime) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, d.Hour, d.Min, 0, 0, loc)
}

func (d LocalDateTime) String() string {
	if !d.set {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d %02d:%02d", d.Year, d.Month, d.Day, d.Hour, d.Min)
}

// ParseLocalDateTime reads "2026-12-24 20:00" (also "2026-12-24T20:00", "2026/12/24 20:00").
func ParseLocalDateTime(s string) (LocalDateTime, error) {
	s = strings.NewReplacer("T", " ", "/", "-").Replace(strings.TrimSpace(s))
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		return LocalDateTime{}, err
	}
	return LocalDateTime{Year: t.Year(), Month: t.Month(), Day: t.Day(), Hour: t.Hour(), Min: t.Minute(), set: true}, nil
}

// UnmarshalYAML parses the moment; a mistake is a type error so every one is listed.
func (d *LocalDateTime) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseLocalDateTime(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return typeError(n, "无效的时间「%s」，请写成 \"2026-12-24 20:00\"（年-月-日 时:分，按 timezone）/ invalid date and time, write e.g. \"2026-12-24 20:00\"", n.Value)
	}
	*d = v
	return nil
}

// MarshalYAML writes the same form.
func (d LocalDateTime) MarshalYAML() (any, error) { return d.String(), nil }

// Date is a calendar day: "2026-12-31".
type Date struct {
	Year  int
	Month time.Month
	Day   int
	set   bool
}

// IsZero reports whether no day was given.
func (d Date) IsZero() bool { return !d.set }

// In is the day's midnight in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

func (d Date) String() string {
	if !d.set {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// UnmarshalYAML parses the day.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse("2006-01-02", strings.ReplaceAll(strings.TrimSpace(n.Value), "/", "-"))
	if err != nil || n.Kind != yaml.ScalarNode {
		return typeError(n, "无效的日期「%s」，请写成 2026-12-31 / invalid date, write e.g. 2026-12-31", n.Value)
	}
	*d = Date{Year: t.Year(), Month: t.Month(), Day: t.Day(), set: true}
	return nil
}

// MarshalYAML writes the same form.
func (d Date) MarshalYAML() (any, error) { return d.String(), nil }

// ClockTime is a time of day: "09:00".
type ClockTime struct {
	Hour, Min int
	set       bool
}

// IsZero reports whether no time was given.
func (c ClockTime) IsZero() bool { return !c.set }

// Or returns c, or def when c was not given.
func (c ClockTime) Or(def ClockTime) ClockTime {
	if c.set {
		return c
	}
	return def
}

func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Min) }

// At is the time of day c on the local day of day.
func (c ClockTime) At(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, c.Hour, c.Min, 0, 0, day.Location())
}

// MustClock is for built-in defaults.
func MustClock(hour, min int) ClockTime { return ClockTime{Hour: hour, Min: min, set: true} }

// UnmarshalYAML parses "HH:MM".
func (c *ClockTime) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse("15:04", strings.ReplaceAll(strings.TrimSpace(n.Value), "：", ":"))
	if err != nil || n.Kind != yaml.ScalarNode {
		return typeError(n, "无效的时刻「%s」，请写成 \"09:00\" / invalid time of day, write e.g. \"09:00\"", n.Value)
	}
	*c = ClockTime{Hour: t.Hour(), Min: t.Minute(), set: true}
	return nil
}

// MarshalYAML writes the same form.
func (c ClockTime) MarshalYAML() (any, error) { return c.String(), nil }

// MonthDay is a day of every year: "03-01", or "2024-03-01" to count the years since
// ({{.Years}}: the group's anniversary).
type MonthDay struct {
	Year  int // 0: not given
	Month time.Month
	Day   int
	set   bool
}

// IsZero reports whether no day was given.
func (m MonthDay) IsZero() bool { return !m.set }

func (m MonthDay) String() string {
	if m.Year > 0 {
		return fmt.Sprintf("%04d-%02d-%02d", m.Year, m.Month, m.Day)
	}
	return fmt.Sprintf("%02d-%02d", m.Month, m.Day)
}

// UnmarshalYAML parses "MM-DD" or "YYYY-MM-DD" (02-29 is allowed: such a post is sent in
// leap years).
func (m *MonthDay) UnmarshalYAML(n *yaml.Node) error {
	v := strings.ReplaceAll(strings.TrimSpace(n.Value), "/", "-")
	year := 0
	if t, err := time.Parse("2006-01-02", v); err == nil && n.Kind == yaml.ScalarNode {
		*m = MonthDay{Year: t.Year(), Month: t.Month(), Day: t.Day(), set: true}
		return nil
	}
	t, err := time.Parse("2006-01-02", "2024-"+v)
	if err != nil || n.Kind != yaml.ScalarNode {
		return typeError(n, "无效的日期「%s」，请写成 月-日（例如 \"03-01\"），或带上年份（\"2024-03-01\"，可用 {{.Years}} 算周年）/ invalid month-day", n.Value)
	}
	*m = MonthDay{Year: year, Month: t.Month(), Day: t.Day(), set: true}
	return nil
}

// MarshalYAML writes the same form.
func (m MonthDay) MarshalYAML() (any, error) { return m.String(), nil }

// Countdown makes a post count the days to an event: {{.Countdown}} is
// 「距离共读结束还有 3 天」 and the post stops after the day.
type Countdown struct {
	To    Date   `yaml:"to"`
	Event string `yaml:"event"`
}

// validateWhen checks that a post says when it goes out in exactly one way, and that what
// it relies on exists (a festival the holiday table knows, a countdown with a day).
func validateWhen(p Post, pp string, at reporter, hol *holiday.Table) {
	var ways []string
	if !p.Cron.IsZero() {
		ways = append(ways, "cron")
	}
	if !p.At.IsZero() {
		ways = append(ways, "at")
	}
	if p.Festival != "" {
		ways = append(ways, "festival")
	}
	if !p.Annual.IsZero() {
		ways = append(ways, "annual")
	}
	switch len(ways) {
	case 0:
		at(pp+".cron", "缺少发帖时间：写 cron（重复，例如 \"0 8 * * *\" 每天 8:00）、at（只发一次，例如 \"2026-12-24 20:00\"）、festival（节日当天，例如 春节）或 annual（每年这一天，例如 \"03-01\"）之一 / say when: cron, at, festival or annual")
	case 1:
	default:
		at(pp+"."+ways[1], "%s 只能写一种，现在写了 %s / only one of cron, at, festival, annual", strings.Join(ways, "、"), strings.Join(ways, " 和 "))
	}
	if !p.Time.IsZero() && p.Festival == "" && p.Annual.IsZero() {
		at(pp+".time", "time 只用于 festival 和 annual 帖子（cron 和 at 自己带时间）/ time is for festival and annual posts")
	}
	if p.Festival != "" && hol != nil {
		if _, ok := hol.Canonical(p.Festival); !ok {
			at(pp+".festival", "节假日表里没有「%s」，可以写：%s / unknown festival", p.Festival, strings.Join(hol.Names(), "、"))
		}
	}
	if (p.SkipOnHolidays || p.WorkdaysOnly) && p.Festival != "" {
		at(pp+".festival", "节日帖不能同时写 skip_on_holidays 或 workdays_only（节日本身多半是假日）/ a festival post cannot skip holidays")
	}
	if p.SkipOnHolidays && p.WorkdaysOnly {
		at(pp+".workdays_only", "workdays_only 已经不在假日发帖，不用再写 skip_on_holidays / workdays_only already skips holidays")
	}
	if c := p.Countdown; c != nil {
		if c.To.IsZero() {
			at(pp+".countdown.to", "倒计时要写日期 to，例如 2026-12-31 / countdown needs a day")
		}
		if strings.TrimSpace(c.Event) == "" {
			at(pp+".countdown.event", "倒计时要写事件名 event，例如 共读结束 / countdown needs an event")
		}
		if !p.At.IsZero() && !c.To.IsZero() && p.At.In(time.UTC).After(c.To.In(time.UTC).AddDate(0, 0, 1)) {
			at(pp+".countdown.to", "帖子的时间 %s 已经在倒计时的日子 %s 之后了 / the post is after the countdown's day", p.At, c.To)
		}
	}
}

func validateMetrics(a Alerts, path string, at reporter) {
	pct := func(key string, v float64) {
		if v < 0 || v > 100 {
			at(path+"."+key, "应在 0 到 100 之间 / must be between 0 and 100")
		}
	}
	if t := a.MemberTiers; t.Enabled {
		if t.ActiveDays < 1 || t.ActiveDays > 30 {
			at(path+".member_tiers.active_days", "应在 1 到 30 之间 / must be between 1 and 30")
		}
		if t.CoreDays <= t.ActiveDays || t.CoreDays > 30 {
			at(path+".member_tiers.core_days", "应大于 active_days（%d）且不超过 30 / must be above active_days and at most 30", t.ActiveDays)
		}
		pct("member_tiers.max_silent_percent", t.MaxSilentPercent)
		pct("member_tiers.min_core_percent", t.MinCorePercent)
	}
	if a.MemberShare.Enabled {
		pct("member_share.min_percent", a.MemberShare.MinPercent)
	}
	if r := a.Retention; r.Enabled {
		pct("retention.day3_min_percent", r.Day3MinPercent)
		pct("retention.day30_min_percent", r.Day30MinPercent)
		if r.MinNewcomers < 1 || r.MinNewcomers > 1000 {
			at(path+".retention.min_newcomers", "应在 1 到 1000 之间 / must be between 1 and 1000")
		}
	}
	if s := a.GroupSize; s.Enabled {
		if s.WarnAt < 1 || s.FullAt <= s.WarnAt || s.FullAt > 100000 {
			at(path+".group_size", "要满足 0 < warn_at < full_at（微信群上限 500，默认 450 / 500），现在是 %d / %d / need 0 < warn_at < full_at", s.WarnAt, s.FullAt)
		}
	}
	if a.BotShare.Enabled {
		pct("bot_share.max_percent", a.BotShare.MaxPercent)
	}
}
