package bot

import (
	"fmt"
	"strings"
	"time"

	"qunbot/internal/safetext"
)

// cmdStatus answers 状态: in the console, for every group; in a group (admins and the
// owner), for that group. It says what an owner needs to trust the bot: whether it is
// logged in, whether the config in force is the one on disk, what it sent and failed
// today, what is due next, and who waits to be removed or is muted.
func (e *Engine) cmdStatus(t *Turn, a Args) error {
	console := t.Event != nil && t.Event.Console
	now := t.Now.In(e.Location())
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if console {
		line("📊 qunbot 状态（%s）", now.Format("01-02 15:04"))
	} else {
		line("📊「%s」状态（%s）", t.Group.Name, now.Format("01-02 15:04"))
	}
	if c, ok := e.platform.(Connection); ok {
		line("🔌 %s", c.ConnectionLine())
	}
	e.statusConfig(line, now, console)
	e.statusModules(line, now) // backups and the integrity check (statusextra.go)
	if err := e.statusOutbox(t, line, now); err != nil {
		return err
	}
	e.statusJobs(t, line, console)
	if console {
		if err := e.statusGroups(t, line); err != nil {
			return err
		}
	} else if err := e.statusGroup(t, line, t.Group.Key, ""); err != nil {
		return err
	}
	return t.Answer(strings.TrimSpace(b.String()))
}

type liner func(format string, args ...any)

// statusConfig: the config in force and the last reload. The problems of a failed reload
// are listed in the console only (the group needs to know that, not the file's lines).
func (e *Engine) statusConfig(line liner, now time.Time, console bool) {
	st := e.ConfigStatus()
	when := func(at time.Time) string { return shortTime(at.In(now.Location()), now) }
	line("⚙️ 配置：%s，%s 起生效", st.Source, when(st.Loaded))
	switch {
	case e.loader == nil:
		line("   用的是内置配置，没有配置文件可以重载")
	case st.LastAttempt.IsZero():
		line("   启动后还没有重载过")
	case len(st.Errors) == 0:
		line("   %s 重载成功", when(st.LastAttempt))
	default:
		line("   ❌ %s 重载失败，仍在用原来的配置（%d 处错误）", when(st.LastAttempt), len(st.Errors))
		if console {
			for _, p := range st.Errors {
				line("   %s", p)
			}
		} else {
			line("   错误详情已发到群主的文件传输助手")
		}
	}
}

func (e *Engine) statusOutbox(t *Turn, line liner, now time.Time) error {
	y, m, d := now.Date()
	c, err := t.Tx.OutboxCounts(time.Date(y, m, d, 0, 0, 0, 0, now.Location()))
	if err != nil {
		return err
	}
	line("📤 今天发出 %d 条 · 失败 %d 条 · 待发 %d 条", c.Sent, c.Failed, c.Pending)
	if c.LastError != "" {
		line("   最近一次失败：%s", clipRunes(c.LastError, 60))
	}
	return nil
}

// statusJobs lists what is due next: the first five in the console, the group's first
// three in a group.
func (e *Engine) statusJobs(t *Turn, line liner, console bool) {
	limit := 5
	if !console {
		limit = 3
	}
	now := t.Now.In(e.Location())
	var lines []string
	for _, j := range e.jobsSnapshot() {
		what, group := j.Label.What, j.Label.Group
		if !console && group != t.Group.Name && group != AllGroups {
			continue
		}
		entry := shortTime(j.Next.In(now.Location()), now) + " " + what
		if console && group != "" {
			entry += "（" + group + "）"
		}
		lines = append(lines, entry)
		if len(lines) == limit {
			break
		}
	}
	if len(lines) == 0 {
		line("⏰ 接下来没有定时任务")
		return
	}
	line("⏰ 接下来：")
	for _, l := range lines {
		line("· %s", l)
	}
}

func (e *Engine) statusGroups(t *Turn, line liner) error {
	groups, err := t.Tx.Groups()
	if err != nil {
		return err
	}
	if len(groups) == 0 {
		line("👥 还没有见到任何群")
		return nil
	}
	line("👥 群：")
	for _, g := range groups {
		n, err := e.MemberCount(t.Tx, g.Key)
		if err != nil {
			return err
		}
		if _, managed := e.Config().ForGroup(g.Name); !managed {
			line("· %s：%d 人，不管理（配置里没有列出，或 enabled: false）", g.Name, n)
			continue
		}
		line("· %s：%d 人，管理中", g.Name, n)
		if err := e.statusGroup(t, line, g.Key, "  "); err != nil {
			return err
		}
	}
	return nil
}

// statusGroup: who waits to be removed and who is muted in one group.
func (e *Engine) statusGroup(t *Turn, line liner, groupKey int64, indent string) error {
	now := t.Now.In(e.Location())
	name := func(key int64) (string, error) {
		m, err := t.Tx.Member(key)
		return safetext.Name(m.Name()), err // members' names: one line, nothing hidden
	}
	removals, err := t.Tx.PendingRemovals(groupKey)
	if err != nil {
		return err
	}
	var parts []string
	for _, r := range removals {
		n, err := name(r.MemberKey)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s（%s，%s 起，#%d）", n, safetext.Quote(r.Reason, 20), shortTime(r.RequestedAt.In(now.Location()), now), r.ID))
	}
	if len(parts) == 0 {
		line("%s🚪 没有待移出的人", indent)
	} else {
		line("%s🚪 待移出 %d 人：%s", indent, len(parts), strings.Join(parts, "、"))
	}
	mutes, err := t.Tx.ActiveMutes(groupKey, t.Now)
	if err != nil {
		return err
	}
	parts = parts[:0]
	for _, m := range mutes {
		n, err := name(m.MemberKey)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s（到 %s）", n, shortTime(m.Until.In(now.Location()), now)))
	}
	if len(parts) > 0 {
		line("%s🔇 禁言中 %d 人：%s", indent, len(parts), strings.Join(parts, "、"))
	}
	return nil
}

// shortTime is "15:04" today, "01-02 15:04" on another day.
func shortTime(at, now time.Time) string {
	if at.IsZero() {
		return "—"
	}
	if at.YearDay() == now.YearDay() && at.Year() == now.Year() {
		return at.Format("15:04")
	}
	return at.Format("01-02 15:04")
}

func clipRunes(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}
