package config

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Checkin configures daily check-in (签到).
//
// A check-in pays Base + min(StreakBonus × (streak − 1), MaxBonus), where streak counts
// consecutive local days including today. With the defaults (10, 2, 10): day 1 = 10,
// day 2 = 12, day 3 = 14, day 4 = 16, day 5 = 18, day 6 and later = 20.
type Checkin struct {
	Enabled     bool   `yaml:"enabled"`
	Base        int    `yaml:"base"`         // points for every check-in
	StreakBonus int    `yaml:"streak_bonus"` // extra points per consecutive day after the first
	MaxBonus    int    `yaml:"max_bonus"`    // the streak bonus never exceeds this
	Makeup      Makeup `yaml:"makeup"`
}

// Makeup lets a member buy back a missed day (补签) so the streak goes on.
type Makeup struct {
	Enabled bool `yaml:"enabled"`
	Cost    int  `yaml:"cost"`     // points it costs
	MaxDays int  `yaml:"max_days"` // only days at most this far back can be made up
}

// Points configures points for taking part in the chat.
type Points struct {
	Enabled    bool `yaml:"enabled"`
	PerMessage int  `yaml:"per_message"` // points for one valid message
	MinChars   int  `yaml:"min_chars"`   // letters, digits or Chinese characters a message needs
	DailyCap   int  `yaml:"daily_cap"`   // at most this many message points per member per day
	// AdminMax bounds one 加分/扣分, so a typo (an extra zero or ten) cannot wreck the board.
	AdminMax int `yaml:"admin_max"`
	// AdminDailyCap bounds what one admin may grant (加分) in a group in a day, all
	// targets together; past it only the owner grants. 0: only the owner grants. An admin
	// never grants to himself.
	AdminDailyCap int `yaml:"admin_daily_cap"`
}

// Redeem is the redemption catalogue (兑换).
type Redeem struct {
	Enabled bool         `yaml:"enabled"`
	Items   []RedeemItem `yaml:"items"`
}

// RedeemItem is one thing members can buy with points; the owner hands it out.
type RedeemItem struct {
	Name string `yaml:"name"`
	Cost int    `yaml:"cost"`
}

// AutoReply is one keyword auto-reply (关键词回复).
type AutoReply struct {
	Triggers []string  `yaml:"triggers"`
	Match    MatchMode `yaml:"match"`
	Reply    Template  `yaml:"reply"`
	// Cooldown: the group gets this answer at most once per cooldown, however many ask.
	// Left out it is DefaultAutoReplyCooldown (a pointer, because list items are decoded
	// afresh and could not otherwise inherit a default).
	Cooldown *Duration `yaml:"cooldown"`
}

// DefaultAutoReplyCooldown applies to an auto-reply that sets no cooldown.
const DefaultAutoReplyCooldown = 5 * time.Minute

// minAutoReplyCooldown keeps a popular question from making the bot answer every few
// seconds: every message the bot sends costs the owner's account ban risk.
const minAutoReplyCooldown = 10 * time.Second

// EffectiveCooldown is the configured cooldown or the default.
func (r AutoReply) EffectiveCooldown() time.Duration {
	if r.Cooldown == nil {
		return DefaultAutoReplyCooldown
	}
	return r.Cooldown.D()
}

// Mode is the match mode, contains when left out.
func (r AutoReply) Mode() MatchMode {
	if r.Match == "" {
		return MatchContains
	}
	return r.Match
}

// MatchMode says how an auto-reply trigger matches a message (both normalised first).
type MatchMode string

// Match modes.
const (
	MatchContains MatchMode = "contains" // the trigger appears anywhere in the message
	MatchExact    MatchMode = "exact"    // the message is the trigger and nothing else
)

// UnmarshalYAML accepts the English words and their Chinese equivalents.
func (m *MatchMode) UnmarshalYAML(n *yaml.Node) error {
	switch strings.TrimSpace(n.Value) {
	case "contains", "包含":
		*m = MatchContains
	case "exact", "精确", "完全":
		*m = MatchExact
	default:
		return typeError(n, "match 只能是 contains（包含）或 exact（精确），现在是「%s」/ match must be contains or exact", clip(n.Value, 20))
	}
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "match 只能是 contains 或 exact / match must be contains or exact")
	}
	return nil
}

// AutoReplyData are the variables an auto-reply template can use.
//
//	{{.Mention}}  "@王五 " — mentions the member who asked
//	{{.Name}}     the asker's name, without @
//	{{.Group}}    the group's name
//	{{.Time}}     the local time, e.g. 08:00
type AutoReplyData struct {
	Mention string
	Name    string
	Group   string
	Time    string
}

// SampleAutoReply is used to check a template before it goes live.
func SampleAutoReply() AutoReplyData {
	return AutoReplyData{Mention: "@王五\u2005", Name: "王五", Group: "读书会", Time: "08:00"}
}

// WeeklyTop configures the weekly top-contributors post.
type WeeklyTop struct {
	Enabled bool     `yaml:"enabled"`
	Cron    CronSpec `yaml:"cron"` // when to post; covers the 7 local days before that day
	Top     int      `yaml:"top"`  // how many members to name
	// Awards are points for 1st, 2nd, … place (reason "award"); empty pays nothing.
	Awards []int `yaml:"awards"`
	// ThanksWeight: one thanks received (谢谢 @某人) counts as this many messages in the
	// ranking, so the week's star is not only who talked most. 0: messages alone.
	ThanksWeight int `yaml:"thanks_weight"`
}

// Limits on engagement numbers: large enough for any real group, small enough that sums
// can never overflow and a typo is caught.
const (
	maxPointsSetting = 1_000_000
	maxRedeemItems   = 50
	maxWeeklyTop     = 20
)

func defaultCheckin() Checkin {
	return Checkin{Enabled: true, Base: 10, StreakBonus: 2, MaxBonus: 10,
		Makeup: Makeup{Enabled: false, Cost: 30, MaxDays: 3}}
}

func defaultPoints() Points {
	return Points{Enabled: true, PerMessage: 1, MinChars: 5, DailyCap: 20, AdminMax: 10000, AdminDailyCap: 200}
}

// defaultRedeem opens no catalogue: the owner hands rewards out by hand, so offering any
// is their decision.
func defaultRedeem() Redeem { return Redeem{Enabled: true} }

func defaultAutoReplies() []AutoReply { return nil }

func defaultWeeklyTop() WeeklyTop {
	return WeeklyTop{Enabled: true, Cron: MustCron("0 9 * * 1"), Top: 3, ThanksWeight: 5}
}

func validateEngagement(g *Group, path string, at reporter) {
	inRange := func(key string, v, lo, hi int) {
		if v < lo || v > hi {
			at(path+"."+key, "应在 %d 到 %d 之间，现在是 %d / must be between %d and %d", lo, hi, v, lo, hi)
		}
	}

	c := g.Checkin
	inRange("checkin.base", c.Base, 0, maxPointsSetting)
	inRange("checkin.streak_bonus", c.StreakBonus, 0, maxPointsSetting)
	inRange("checkin.max_bonus", c.MaxBonus, 0, maxPointsSetting)
	if c.Makeup.Enabled {
		inRange("checkin.makeup.cost", c.Makeup.Cost, 1, maxPointsSetting)
		inRange("checkin.makeup.max_days", c.Makeup.MaxDays, 1, 30)
	}

	p := g.Points
	inRange("points.per_message", p.PerMessage, 0, 1000)
	inRange("points.min_chars", p.MinChars, 0, 1000)
	inRange("points.daily_cap", p.DailyCap, 0, maxPointsSetting)
	inRange("points.admin_max", p.AdminMax, 1, maxPointsSetting)
	inRange("points.admin_daily_cap", p.AdminDailyCap, 0, maxPointsSetting)

	if len(g.Redeem.Items) > maxRedeemItems {
		at(path+".redeem.items", "最多 %d 件商品，现在有 %d 件 / at most %d items", maxRedeemItems, len(g.Redeem.Items), maxRedeemItems)
	}
	for i, it := range g.Redeem.Items {
		ip := path + ".redeem.items[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(it.Name) == "" {
			at(ip+".name", "商品名称不能为空 / item name must not be empty")
		}
		if it.Cost < 1 || it.Cost > maxPointsSetting {
			at(ip+".cost", "所需积分应在 1 到 %d 之间，现在是 %d / cost must be between 1 and %d", maxPointsSetting, it.Cost, maxPointsSetting)
		}
	}

	for i, r := range g.AutoReplies {
		rp := path + ".auto_replies[" + strconv.Itoa(i) + "]"
		if len(r.Triggers) == 0 {
			at(rp+".triggers", "至少要有一个触发词 / at least one trigger is required")
		}
		for j, tr := range r.Triggers {
			if strings.TrimSpace(tr) == "" {
				at(rp+".triggers["+strconv.Itoa(j)+"]", "触发词不能为空 / a trigger must not be empty")
			}
		}
		if r.Reply.IsZero() {
			at(rp+".reply", "回复内容不能为空 / reply must not be empty")
		} else if _, err := r.Reply.Execute(SampleAutoReply()); err != nil {
			at(rp+".reply", "模板无法执行 / template fails: %s（可用变量：{{.Mention}} {{.Name}} {{.Group}} {{.Time}}）", cleanTemplateError(err))
		}
		if cd := r.EffectiveCooldown(); cd < minAutoReplyCooldown || cd > 7*24*time.Hour {
			at(rp+".cooldown", "冷却时间应在 10s 到 7d 之间，现在是 %s / cooldown must be between 10s and 7d", FormatDuration(cd))
		}
	}

	w := g.WeeklyTop
	if w.Enabled {
		if w.Cron.IsZero() {
			at(path+".weekly_top.cron", "启用了每周之星但没有写时间 / weekly_top is enabled but cron is empty")
		}
		inRange("weekly_top.top", w.Top, 1, maxWeeklyTop)
	}
	inRange("weekly_top.thanks_weight", w.ThanksWeight, 0, 1000)
	if len(w.Awards) > max(w.Top, 1) {
		at(path+".weekly_top.awards", "奖励有 %d 项，比上榜人数 top=%d 还多 / more awards than places", len(w.Awards), w.Top)
	}
	for i, a := range w.Awards {
		if a < 0 || a > maxPointsSetting {
			at(path+".weekly_top.awards["+strconv.Itoa(i)+"]", "奖励积分应在 0 到 %d 之间，现在是 %d / award must be between 0 and %d", maxPointsSetting, a, maxPointsSetting)
		}
	}
}
