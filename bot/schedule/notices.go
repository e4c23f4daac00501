package schedule

import (
	"context"
	"fmt"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/bot/holiday"
	"qunbot/storage"
)

// Things the owner is told once (the notices table remembers), in the file helper.

// tellHolidayWarnings tells the owner what the holiday table cannot answer for the posts
// that rely on it (the current year missing, a year without make-up workdays): once per
// warning, on start and on every reload. The daily report repeats it while it holds.
func tellHolidayWarnings(ctx context.Context, e *bot.Engine) error {
	warnings := e.Config().Warnings(e.Now(), false)
	if len(warnings) == 0 {
		return nil
	}
	for _, w := range warnings {
		e.Logger().WarnContext(ctx, "holiday table", "warning", w)
	}
	return e.Update(ctx, func(t *bot.Turn) error {
		for _, w := range warnings {
			fresh, err := t.Tx.Notice("holidays:"+w, t.Now)
			if err != nil {
				return err
			}
			if fresh {
				if err := t.NotifyOwner("📅 " + w); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// tellPassedPosts tells the owner, once per post, about a one-off post (at:) whose time
// has passed without it going out: written for a time already past, or missed while the
// bot was down for longer than scheduler.grace.
func tellPassedPosts(ctx context.Context, e *bot.Engine, group string, cfg *config.Group, managed bool) error {
	if !managed {
		return nil
	}
	now := e.Now()
	grace := e.Config().Scheduler.Grace.D()
	type passed struct{ name, id, at string }
	var list []passed
	err := e.Store().View(ctx, func(tx *storage.Tx) error {
		for i, p := range cfg.Posts {
			if p.At.IsZero() {
				continue
			}
			at := p.At.In(e.Location())
			if !now.After(at.Add(grace)) {
				continue
			}
			name := postJobName(group, p.ID(i))
			last, err := tx.JobLastRun(name)
			if err != nil {
				return err
			}
			if last.Before(at) {
				list = append(list, passed{name, p.ID(i), p.At.String()})
			}
		}
		return nil
	})
	if err != nil || len(list) == 0 {
		return err
	}
	return e.Update(ctx, func(t *bot.Turn) error {
		for _, p := range list {
			fresh, err := t.Tx.Notice("post-passed:"+p.name+":"+p.at, t.Now)
			if err != nil {
				return err
			}
			if !fresh {
				continue
			}
			e.Logger().Warn("one-off post's time has passed: not sent", "job", p.name, "at", p.at)
			if err := t.NotifyOwner(fmt.Sprintf("🗓 「%s」的定时帖「%s」设定在 %s，这个时间已经过了（当时机器人没在运行，或者帖子是之后才加的），不会再发。要发请改 at: 的时间。",
				group, p.id, p.at)); err != nil {
				return err
			}
		}
		return nil
	})
}

func sizeKey(level string, groupKey int64) string { return fmt.Sprintf("size-%s:%d", level, groupKey) }

// sizeAlert tells the owner when a join takes the group to reports.alerts.group_size's
// thresholds (450 and 500 by default): once per crossing.
func sizeAlert(t *bot.Turn) error {
	s := t.Group.Config.Reports.Alerts.GroupSize
	if !s.Enabled {
		return nil
	}
	n, err := t.Engine().MemberCount(t.Tx, t.Group.Key)
	if err != nil {
		return err
	}
	var level, text string
	switch {
	case n >= s.FullAt:
		level = "full"
		text = fmt.Sprintf("🚨「%s」已经有 %d 人，到了 %d 人上限：新人进不来了。尽快开分群（按地域、兴趣或入群时间分），在群公告里放上新群的入口。", t.Group.Name, n, s.FullAt)
	case n >= s.WarnAt:
		level = "warn"
		text = fmt.Sprintf("⚠️「%s」已经有 %d 人，接近 %d 人上限：可以提前准备分群了。", t.Group.Name, n, s.FullAt)
	default:
		return nil
	}
	fresh, err := t.Tx.Notice(sizeKey(level, t.Group.Key), t.Now)
	if err != nil || !fresh {
		return err
	}
	return t.NotifyOwner(text)
}

// sizeRearm lets the size alerts be given again once the group has shrunk below them.
func sizeRearm(t *bot.Turn) error {
	s := t.Group.Config.Reports.Alerts.GroupSize
	if !s.Enabled {
		return nil
	}
	n, err := t.Engine().MemberCount(t.Tx, t.Group.Key)
	if err != nil {
		return err
	}
	if n < s.FullAt {
		if err := t.Tx.ForgetNotice(sizeKey("full", t.Group.Key)); err != nil {
			return err
		}
	}
	if n < s.WarnAt {
		return t.Tx.ForgetNotice(sizeKey("warn", t.Group.Key))
	}
	return nil
}

// cmdHolidays is 节假日 (the owner and admins): what the holiday table knows, what comes
// next, and what it is missing.
func (m *Module) cmdHolidays(t *bot.Turn, a bot.Args) error {
	e := t.Engine()
	table := holidaysOf(e)
	now := t.Now.In(e.Location())
	var b strings.Builder
	b.WriteString("📅 节假日表：" + table.Describe())
	if f := e.Config().HolidaysFile; f != "" {
		b.WriteString("\n（内置表 + " + f + "）")
	}
	if name, off, _ := table.DayOff(now); off {
		b.WriteString("\n今天放假：" + name)
	}
	if h, ok := nextHoliday(table, now.Format("2006-01-02")); ok {
		from, _ := time.Parse("2006-01-02", h.Off[0])
		to, _ := time.Parse("2006-01-02", h.Off[1])
		fmt.Fprintf(&b, "\n下一个假日：%s %s ~ %s，放假 %d 天", h.Name, h.Off[0], h.Off[1], int(to.Sub(from).Hours()/24)+1)
		if len(h.Workdays) > 0 {
			b.WriteString("，调休上班 " + strings.Join(h.Workdays, "、"))
		}
	} else {
		b.WriteString("\n表里没有更晚的假日了。")
	}
	for _, w := range table.Warnings(now) {
		b.WriteString("\n⚠️ " + w.Text)
	}
	return t.Answer(b.String())
}

// nextHoliday is the first holiday whose days off are not over on day.
func nextHoliday(table *holiday.Table, day string) (holiday.Holiday, bool) {
	for _, y := range table.Years() {
		for _, h := range y.Holidays {
			if h.Off[1] >= day {
				return h, true
			}
		}
	}
	return holiday.Holiday{}, false
}

// Commands implements bot.CommandSource.
func (m *Module) Commands() []*bot.Command {
	return []*bot.Command{{
		Name: "节假日", Aliases: []string{"holidays"}, Usage: "节假日", Summary: "查看节假日表：下一个假日、缺了哪一年",
		Perm: bot.AdminOnly, Where: bot.Anywhere, Run: m.cmdHolidays,
	}}
}
