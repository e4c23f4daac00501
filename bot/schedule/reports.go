package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/chart"
	"qunbot/bot/config"
	"qunbot/bot/moderate"
	"qunbot/internal/safetext"
	"qunbot/storage"
)

type reportKind int

const (
	daily reportKind = iota
	weekly
)

func (k reportKind) String() string {
	if k == weekly {
		return "weekly"
	}
	return "daily"
}

func (m *Module) reportJob(group string, kind reportKind) bot.JobFunc {
	return func(t *bot.Turn) error {
		ok, err := groupTurn(t, group)
		if err != nil || !ok {
			return err
		}
		r, err := collect(t, kind)
		if err != nil {
			return err
		}
		if err := t.NotifyOwner(r.text(t.Group.Config.Reports, t.Group.Config.Silent)); err != nil {
			return err
		}
		if kind == weekly {
			if err := chart.SendWeek(t, r.from, r.to); err != nil { // the week's chart as an image, where the platform can
				return err
			}
		}
		return t.Audit("report", 0, map[string]any{"kind": kind.String(), "from": dayKey(r.from), "to": dayKey(r.last)})
	}
}

// report holds one report's numbers. Joins, leaves and violations come from the audit
// log; messages and active members from the activity counters.
type report struct {
	kind       reportKind
	group      string
	from, to   time.Time // local midnights; to is exclusive
	last       time.Time // the last day covered
	members    int
	joins      int
	leaves     int
	messages   int
	active     int // distinct members who spoke in the period
	activeDays int // sum over the days of members who spoke that day (weekly average)
	firstSeen  time.Time
	observed   int // days of the period the bot watched the group (weekly average)
	week       int // messages in the 7 days ending with the last day
	violations []storage.RuleCount
	pending    int
	silent     map[int]int
	top        []topMember
	alerts     []string

	// The articles' metrics (metrics.go).
	share   DayShare // the period's messages by who sent them
	tiers   *Tiers   // weekly
	ret3    *Retention
	ret30   *Retention
	notes   []string // what the owner should know that is not a threshold (a holiday table missing the year)
	held    []string // posts the daily post cap held back in the period
	postCap int
}

type topMember struct {
	name  string
	count int
}

// period is what a report covers. The daily report covers the day it runs on (a report
// set to run before 06:00 covers the day before: "0 0 * * *" reports the day that just
// ended); the weekly report covers the seven days before the day it runs on.
func period(kind reportKind, now time.Time) (from, to time.Time) {
	today := midnight(now)
	if kind == weekly {
		return today.AddDate(0, 0, -7), today
	}
	if now.Hour() < 6 {
		today = today.AddDate(0, 0, -1)
	}
	return today, today.AddDate(0, 0, 1)
}

func collect(t *bot.Turn, kind reportKind) (*report, error) {
	e := t.Engine()
	g := t.Group
	from, to := period(kind, t.Now.In(e.Location()))
	r := &report{kind: kind, group: g.Name, from: from, to: to, last: to.AddDate(0, 0, -1)}
	fromDay, lastDay := dayKey(from), dayKey(r.last)
	var err error
	if r.members, err = e.MemberCount(t.Tx, g.Key); err != nil {
		return nil, err
	}
	if r.firstSeen, err = groupFirstSeen(t); err != nil {
		return nil, err
	}
	r.observed = 0
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		if r.firstSeen.Before(d.AddDate(0, 0, 1)) {
			r.observed++
		}
	}
	counts, err := t.Tx.CountActions(g.Key, from, to, "join", "leave")
	if err != nil {
		return nil, err
	}
	r.joins, r.leaves = counts["join"], counts["leave"]
	days, err := t.Tx.GroupActivity(g.Key, fromDay, lastDay)
	if err != nil {
		return nil, err
	}
	for _, d := range days {
		r.messages += d.Messages
		r.activeDays += d.Active
	}
	if r.active, err = t.Tx.ActiveMembers(g.Key, fromDay, lastDay); err != nil {
		return nil, err
	}
	week, err := t.Tx.GroupActivity(g.Key, dayKey(r.last.AddDate(0, 0, -6)), lastDay)
	if err != nil {
		return nil, err
	}
	for _, d := range week {
		r.week += d.Messages
	}
	if r.violations, err = t.Tx.Violations(g.Key, from, to); err != nil {
		return nil, err
	}
	pending, err := t.Tx.PendingRemovals(g.Key)
	if err != nil {
		return nil, err
	}
	r.pending = len(pending)
	if g.Config.Silent.Enabled {
		if r.silent, err = silentCounts(t); err != nil {
			return nil, err
		}
	}
	if n := g.Config.Reports.Top; n > 0 {
		top, err := t.Tx.TopActive(g.Key, fromDay, lastDay, n)
		if err != nil {
			return nil, err
		}
		for _, a := range top {
			mem, err := t.Tx.Member(a.MemberKey)
			if err != nil {
				return nil, err
			}
			r.top = append(r.top, topMember{safetext.Name(mem.Name()), a.Valid}) // the owner's report: quoted safely
		}
	}
	if err := collectMetrics(t, r); err != nil {
		return nil, err
	}
	if r.alerts, err = alerts(t, r); err != nil {
		return nil, err
	}
	r.alerts = append(r.alerts, metricAlerts(g.Config.Reports.Alerts, r)...)
	return r, nil
}

// collectMetrics adds the articles' metrics the config asks for.
func collectMetrics(t *bot.Turn, r *report) error {
	a := t.Group.Config.Reports.Alerts
	g := t.Group
	if a.MemberShare.Enabled || a.BotShare.Enabled {
		days, err := Shares(t.Tx, g.Key, r.from, r.to)
		if err != nil {
			return err
		}
		r.share = SumShares(days)
	}
	if a.MemberTiers.Enabled && r.kind == weekly {
		tiers, err := MemberTiers(t.Tx, g.Key, r.last, a.MemberTiers)
		if err != nil {
			return err
		}
		r.tiers = &tiers
	}
	if a.Retention.Enabled {
		r3, err := Retention3(t.Tx, g.Key, r.last)
		if err != nil {
			return err
		}
		r.ret3 = &r3
		if r.kind == weekly {
			r30, err := Retention30(t.Tx, g.Key, r.last)
			if err != nil {
				return err
			}
			r.ret30 = &r30
		}
	}
	if r.kind == daily {
		r.notes = t.Engine().Config().Warnings(t.Now, true)
	}
	held, err := t.Tx.HeldPosts(g.Key, r.from, r.to)
	if err != nil {
		return err
	}
	r.held, r.postCap = held, g.Config.PostCap.Daily
	return nil
}

// metricAlerts are the metrics' thresholds crossed.
func metricAlerts(a config.Alerts, r *report) []string {
	var out []string
	if s := a.GroupSize; s.Enabled {
		switch {
		case r.members >= s.FullAt:
			out = append(out, fmt.Sprintf("成员 %d 人，已到 %d 人上限：新人进不来了，尽快开分群（按地域、兴趣或入群时间分）", r.members, s.FullAt))
		case r.members >= s.WarnAt:
			out = append(out, fmt.Sprintf("成员 %d 人，接近 %d 人上限：提前准备分群", r.members, s.FullAt))
		}
	}
	all := r.share.All()
	if a.MemberShare.Enabled && all >= minShareMessages {
		if pct := float64(r.share.Ordinary) * 100 / float64(all); pct < a.MemberShare.MinPercent {
			out = append(out, fmt.Sprintf("成员之间的对话只占 %.0f%%，低于 %s%%：消息多来自群主、管理员或机器人，多抛开放的问题，让成员之间聊起来", pct, num(a.MemberShare.MinPercent)))
		}
	}
	if a.BotShare.Enabled && all >= minShareMessages {
		if pct := float64(r.share.Bot) * 100 / float64(all); pct > a.BotShare.MaxPercent {
			out = append(out, fmt.Sprintf("机器人的消息占 %.0f%%，超过 %s%%：减少定时帖和自动回复，多留点人味儿", pct, num(a.BotShare.MaxPercent)))
		}
	}
	if rt := a.Retention; rt.Enabled {
		if r.ret3 != nil && r.ret3.Eligible >= rt.MinNewcomers && r.ret3.Percent() < rt.Day3MinPercent {
			out = append(out, fmt.Sprintf("新人 3 天留存 %.0f%%，低于 %s%%：新人入群第 3 天最容易流失，用好见面礼和新人任务，多和新人互动", r.ret3.Percent(), num(rt.Day3MinPercent)))
		}
		if r.ret30 != nil && r.ret30.Eligible >= rt.MinNewcomers && r.ret30.Percent() < rt.Day30MinPercent {
			out = append(out, fmt.Sprintf("新人 30 天留存 %.0f%%，低于 %s%%：定期做活动、点名欢迎，让新人留下来", r.ret30.Percent(), num(rt.Day30MinPercent)))
		}
	}
	if tc := a.MemberTiers; tc.Enabled && r.tiers != nil && r.tiers.Total() > 0 && r.observed >= 7 {
		total := float64(r.tiers.Total())
		if pct := float64(r.tiers.Silent) * 100 / total; pct > tc.MaxSilentPercent {
			out = append(out, fmt.Sprintf("潜水成员占 %.0f%%，超过 %s%%：个性化唤醒，或按沉默提醒的步骤清理", pct, num(tc.MaxSilentPercent)))
		}
		if pct := float64(r.tiers.Core) * 100 / total; pct < tc.MinCorePercent {
			out = append(out, fmt.Sprintf("核心成员只占 %.0f%%，低于 %s%%：培养几位常发言的「群红」，给他们身份和福利", pct, num(tc.MinCorePercent)))
		}
	}
	return out
}

// minShareMessages: below this many messages in the period a share says nothing.
const minShareMessages = 20

// alerts checks the seeds' health thresholds. Each needs the bot to have watched the group
// for its whole window (seen on the window's first day at the latest): a bot installed
// yesterday knows nothing about last week.
func alerts(t *bot.Turn, r *report) ([]string, error) {
	a := t.Group.Config.Reports.Alerts
	watched := func(windowStart time.Time) bool { return r.firstSeen.Before(windowStart.AddDate(0, 0, 1)) }
	var out []string
	if r.members <= 0 {
		return nil, nil
	}
	if r.kind == daily && a.LowDailyActive.Enabled {
		n := a.LowDailyActive.Days
		start := r.last.AddDate(0, 0, -(n - 1))
		if watched(start) {
			days, err := t.Tx.GroupActivity(t.Group.Key, dayKey(start), dayKey(r.last))
			if err != nil {
				return nil, err
			}
			active := map[string]int{}
			for _, d := range days {
				active[d.Day] = d.Active
			}
			low := true
			for d := start; !d.After(r.last); d = d.AddDate(0, 0, 1) {
				if float64(active[dayKey(d)])*100/float64(r.members) >= a.LowDailyActive.BelowPercent {
					low = false
					break
				}
			}
			if low {
				out = append(out, fmt.Sprintf("日活连续 %d 天低于 %s%%：策划个话题或活动，私聊几位核心成员带动一下", n, num(a.LowDailyActive.BelowPercent)))
			}
		}
	}
	if r.kind != weekly {
		return out, nil
	}
	if w := a.LowWeeklyMessages; w.Enabled && watched(r.from) {
		if per100 := r.messages * 100 / r.members; per100 < w.BelowPer100 {
			out = append(out, fmt.Sprintf("每百人消息 %d 条/周，低于 %d 条：多发起话题引导", per100, w.BelowPer100))
		}
	}
	if l := a.HighLeaveRate; l.Enabled {
		start := r.to.AddDate(0, 0, -30)
		if watched(start) {
			c, err := t.Tx.CountActions(t.Group.Key, start, r.to, "join", "leave")
			if err != nil {
				return nil, err
			}
			// The base is everyone who was in the group during the 30 days: those still in
			// it and those who left. (Members 30 days ago, now + leaves − joins, is 1 when
			// four joined and one of them left: "100%" for one in five.)
			left := c["leave"]
			if base := r.members + left; base > 0 && left > 0 {
				if rate := float64(left) * 100 / float64(base); rate > l.AbovePercent {
					out = append(out, fmt.Sprintf("30 天内 %d/%d 人退群（%s），高于 %s%%：优化入群欢迎和群内容", left, base, percent(left, base), num(l.AbovePercent)))
				}
			}
		}
	}
	if ng := a.NegativeGrowth; ng.Enabled && watched(r.to.AddDate(0, 0, -7*ng.Weeks)) {
		shrinking := true
		for w := 0; w < ng.Weeks && shrinking; w++ {
			end := r.to.AddDate(0, 0, -7*w)
			c, err := t.Tx.CountActions(t.Group.Key, end.AddDate(0, 0, -7), end, "join", "leave")
			if err != nil {
				return nil, err
			}
			shrinking = c["join"] < c["leave"]
		}
		if shrinking {
			out = append(out, fmt.Sprintf("连续 %d 周退群多于入群：检查入群渠道，优化迎新流程", ng.Weeks))
		}
	}
	return out, nil
}

func groupFirstSeen(t *bot.Turn) (time.Time, error) {
	g, ok, err := t.Tx.GroupByKey(t.Group.Key)
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		return t.Now, nil
	}
	return g.FirstSeen, nil
}

// num prints a threshold without trailing zeros: 15, 5.5.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ruleName shows the moderation rules members know by their Chinese names; rules named
// otherwise are shown as written.
// text renders the report for a phone screen: one fact a line, units on every number.
func (r *report) text(cfg config.Reports, silent config.Silent) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if r.kind == daily {
		line("📊「%s」日报 %s %s", r.group, dateCN(r.from), weekdayCN(r.from.Weekday()))
		line("👥 成员 %d 人，今日 +%d / -%d", r.members, r.joins, r.leaves)
		line("💬 消息 %d 条，发言 %d 人", r.messages, r.active)
		line("📈 日活 %s", ofMembers(r.active, r.members))
		line("📅 近7天每百人 %s", per100(r.week, r.members))
	} else {
		line("📊「%s」周报 %s—%s", r.group, dateCN(r.from), dateCN(r.last))
		line("👥 成员 %d 人，本周 +%d / -%d", r.members, r.joins, r.leaves)
		line("💬 消息 %d 条，每百人 %s", r.messages, per100(r.messages, r.members))
		line("📈 发言 %s，日均日活 %s", ofMembers(r.active, r.members), percent(r.activeDays, r.observed*r.members))
		if r.observed < 7 {
			line("ℹ️ 机器人从%s开始统计", dateCN(r.firstSeen.In(r.from.Location())))
		}
	}
	r.metricLines(line, cfg.Alerts)
	total := 0
	var rules []string
	for _, v := range r.violations {
		total += v.Count
		rules = append(rules, fmt.Sprintf("%s %d", moderate.RuleLabel(v.Rule), v.Count))
	}
	if total == 0 {
		line("🚫 违规 0 次")
	} else {
		line("🚫 违规 %d 次：%s", total, strings.Join(rules, " · "))
	}
	line("🚪 待移出 %d 人", r.pending)
	if silent.Enabled {
		var parts []string
		for _, s := range []struct {
			n       int
			enabled bool
			after   config.Duration
		}{{stepRemind, silent.Remind.Enabled, silent.Remind.After}, {stepBenefit, silent.Benefit.Enabled, silent.Benefit.After},
			{stepRemove, silent.Remove.Enabled, silent.Remove.After}} {
			if s.enabled {
				parts = append(parts, fmt.Sprintf("满%d天 %d 人", days(s.after), r.silent[s.n]))
			}
		}
		if len(parts) > 0 {
			line("🤫 沉默 %s", strings.Join(parts, " · "))
		}
	}
	if cfg.Top > 0 {
		if len(r.top) == 0 {
			line("🏆 暂无有效发言")
		} else {
			var tops []string
			for _, m := range r.top {
				tops = append(tops, fmt.Sprintf("%s %d 条", m.name, m.count))
			}
			line("🏆 %s", strings.Join(tops, " · "))
		}
	}
	for _, a := range r.alerts {
		line("⚠️ %s", a)
	}
	for _, n := range r.notes {
		line("📅 %s", n)
	}
	return strings.TrimSpace(b.String())
}

// ofMembers says a share of the members with its base: "3/7 人（42.9%）".
func ofMembers(n, members int) string {
	if members <= 0 {
		return fmt.Sprintf("%d 人", n)
	}
	return fmt.Sprintf("%d/%d 人（%s）", n, members, percent(n, members))
}

// metricLines writes the articles' metrics, one a line.
func (r *report) metricLines(line func(string, ...any), a config.Alerts) {
	if all := r.share.All(); all > 0 && (a.MemberShare.Enabled || a.BotShare.Enabled) {
		var parts []string
		if a.MemberShare.Enabled {
			parts = append(parts, fmt.Sprintf("成员之间 %s", percent(r.share.Ordinary, all)))
		}
		if a.BotShare.Enabled {
			parts = append(parts, fmt.Sprintf("机器人 %s（%d 条）", percent(r.share.Bot, all), r.share.Bot))
		}
		line("🗣 谁在说话：%s", strings.Join(parts, " · "))
	}
	if r.tiers != nil {
		t := *r.tiers
		note := ""
		if r.firstSeen.After(r.last.AddDate(0, 0, -(TierWindow - 1))) {
			note = "，机器人统计还不满30天"
		}
		line("🧭 成员分层（近30天发言天数%s）：核心 %d · 活跃 %d · 普通 %d · 潜水 %d（%s）", note, t.Core, t.Active, t.Ordinary, t.Silent, percent(t.Silent, t.Total()))
	}
	if r.ret3 != nil {
		line("🌱 新人留存：%s", RetentionText(*r.ret3, "近30天"))
	}
	if r.ret30 != nil {
		line("🌱 30 天留存：%s", RetentionText(*r.ret30, "30~60 天前"))
	}
	if len(r.held) > 0 {
		var shown []string
		for _, h := range r.held[:min(len(r.held), 3)] {
			shown = append(shown, "「"+clipText(h, 16)+"」")
		}
		more := ""
		if len(r.held) > len(shown) {
			more = " 等"
		}
		line("🚦 帖子超过每天 %d 条的上限，拦下 %d 条没发：%s%s", r.postCap, len(r.held), strings.Join(shown, "、"), more)
	}
}

// clipText shows the start of a post on one line.
func clipText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// per100 is messages per 100 members ("240 条").
func per100(messages, members int) string {
	if members <= 0 {
		return "—"
	}
	return fmt.Sprintf("%d 条", messages*100/members)
}
