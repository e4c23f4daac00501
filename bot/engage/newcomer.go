package engage

import (
	"fmt"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// Newcomers (the articles' 冷启动: 见面礼 and 三日新手任务): a gift on joining, and tasks
// for the first days — an introduction, a first check-in, a few valid messages — that pay a
// bonus when all are done in time. Both are once per member of a group: leaving and
// joining again pays nothing more (the gift's ledger ref and the tasks row are per member).

func giftRef(m storage.Member) string { return fmt.Sprintf("gift:%d:%d", m.GroupKey, m.Key) }

func newcomerRef(m storage.Member) string { return fmt.Sprintf("newcomer:%d:%d", m.GroupKey, m.Key) }

// welcomeNewcomers pays the gift and opens the tasks of members who just joined.
func welcomeNewcomers(t *bot.Turn, joined []storage.Member) error {
	cfg := t.Group.Config.Newcomer
	if !cfg.Enabled {
		return nil
	}
	for _, mem := range joined {
		if mem.Role == bot.RoleOwner {
			continue
		}
		if cfg.Gift > 0 {
			if _, _, err := pay(t, mem, int64(cfg.Gift), storage.ReasonGift, giftRef(mem), "见面礼", nil); err != nil {
				return fmt.Errorf("welcome gift of member %d: %w", mem.Key, err)
			}
		}
		if cfg.Tasks.Enabled {
			if _, err := t.Tx.StartNewcomer(storage.Newcomer{MemberKey: mem.Key, GroupKey: mem.GroupKey, Started: t.Now,
				Deadline: t.Now.Add(cfg.Tasks.Within.D())}); err != nil {
				return err
			}
		}
	}
	return nil
}

// openNewcomer returns the member's tasks when they are still open: started, not done,
// not past the deadline.
func openNewcomer(t *bot.Turn, m storage.Member) (storage.Newcomer, bool, error) {
	cfg := t.Group.Config.Newcomer
	if !cfg.Enabled || !cfg.Tasks.Enabled || m.JoinedAt.IsZero() {
		return storage.Newcomer{}, false, nil
	}
	n, ok, err := t.Tx.NewcomerOf(m.Key)
	if err != nil || !ok || !n.DoneAt.IsZero() || t.Now.After(n.Deadline) {
		return n, false, err
	}
	return n, true, nil
}

func tasksDone(n storage.Newcomer, c config.NewcomerTasks) bool {
	return (c.IntroMinChars == 0 || !n.IntroAt.IsZero()) && n.Messages >= c.Messages && (!c.Checkin || !n.CheckinAt.IsZero())
}

// newcomerMessage counts a newcomer's valid message towards the tasks. Only members who
// joined within the task window are looked up: an ordinary message costs nothing here.
func (m *Module) newcomerMessage(t *bot.Turn) error {
	cfg := t.Group.Config.Newcomer
	if !cfg.Enabled || !cfg.Tasks.Enabled || t.Member.JoinedAt.IsZero() || t.Now.Sub(t.Member.JoinedAt) > cfg.Tasks.Within.D() ||
		t.Event == nil || t.Event.Kind != bot.KindText || !t.Valid() {
		return nil
	}
	n, open, err := openNewcomer(t, t.Member)
	if err != nil || !open {
		return err
	}
	tasks := cfg.Tasks
	chars := countChars(t.Text())
	introNow := false
	if n.IntroAt.IsZero() && tasks.IntroMinChars > 0 && chars >= tasks.IntroMinChars {
		n.IntroAt, introNow = t.Now, true
	}
	counted := false
	if n.Messages < tasks.Messages && chars >= t.Group.Config.Points.MinChars {
		n.Messages++
		counted = true
	}
	if !introNow && !counted {
		return nil
	}
	if tasksDone(n, tasks) {
		line, err := finishNewcomer(t, &n)
		if err != nil {
			return err
		}
		return t.Reply(line)
	}
	if err := t.Tx.SaveNewcomer(n); err != nil {
		return err
	}
	if introNow && !t.Group.Config.Screening.Enabled {
		// One answer per newcomer, to their introduction: it tells them the gift arrived
		// and what is left. (Entry screening answers introductions itself.)
		return t.Reply(newcomerIntroText(t, n))
	}
	return nil
}

// newcomerCheckin marks the first check-in; it returns a line to add to the check-in's
// answer ("" when nothing changed).
func (m *Module) newcomerCheckin(t *bot.Turn) (string, error) {
	if !t.Group.Config.Newcomer.Tasks.Checkin {
		return "", nil
	}
	n, open, err := openNewcomer(t, t.Member)
	if err != nil || !open || !n.CheckinAt.IsZero() {
		return "", err
	}
	n.CheckinAt = t.Now
	if tasksDone(n, t.Group.Config.Newcomer.Tasks) {
		return finishNewcomer(t, &n)
	}
	if err := t.Tx.SaveNewcomer(n); err != nil {
		return "", err
	}
	return "🌱 新人任务：" + progressLine(t, n), nil
}

// finishNewcomer pays the bonus and closes the tasks; it returns the line announcing it.
func finishNewcomer(t *bot.Turn, n *storage.Newcomer) (string, error) {
	n.DoneAt = t.Now
	if err := t.Tx.SaveNewcomer(*n); err != nil {
		return "", err
	}
	bonus := int64(t.Group.Config.Newcomer.Tasks.Bonus)
	if bonus <= 0 {
		return "🎉 新人任务全部完成，欢迎正式加入！", nil
	}
	if _, _, err := pay(t, t.Member, bonus, storage.ReasonNewcomer, newcomerRef(t.Member), "新人任务完成", nil); err != nil {
		return "", fmt.Errorf("newcomer bonus of member %d: %w", t.Member.Key, err)
	}
	return fmt.Sprintf("🎉 新人任务全部完成，奖励 %d 积分！欢迎正式加入～", bonus), nil
}

// progressLine shows the tasks: "✅ 自我介绍 ⬜ 首次签到 ⬜ 发言 1/3".
func progressLine(t *bot.Turn, n storage.Newcomer) string {
	c := t.Group.Config.Newcomer.Tasks
	mark := func(done bool) string {
		if done {
			return "✅"
		}
		return "⬜"
	}
	var parts []string
	if c.IntroMinChars > 0 {
		parts = append(parts, mark(!n.IntroAt.IsZero())+" 自我介绍")
	}
	if c.Checkin {
		parts = append(parts, mark(!n.CheckinAt.IsZero())+" 首次签到")
	}
	if c.Messages > 0 {
		parts = append(parts, fmt.Sprintf("%s 发言 %d/%d", mark(n.Messages >= c.Messages), min(n.Messages, c.Messages), c.Messages))
	}
	return strings.Join(parts, " ")
}

func newcomerIntroText(t *bot.Turn, n storage.Newcomer) string {
	cfg := t.Group.Config.Newcomer
	gift, bonus := "", ""
	if cfg.Gift > 0 {
		gift = fmt.Sprintf("见面礼 %d 积分已到账 🎁", cfg.Gift)
	}
	if cfg.Tasks.Bonus > 0 {
		bonus = fmt.Sprint(cfg.Tasks.Bonus)
	}
	return t.Group.Config.Texts.Text("newcomer.intro", config.Vars{"见面礼": gift, "截止": local(t, n.Deadline).Format("1月2日 15:04"),
		"进度": progressLine(t, n), "奖励": bonus})
}

// cmdNewcomer is 新人任务: a newcomer's progress.
func (m *Module) cmdNewcomer(t *bot.Turn, a bot.Args) error {
	cfg := t.Group.Config.Newcomer
	if !cfg.Enabled || !cfg.Tasks.Enabled {
		return t.Reply("本群没有开启新人任务。")
	}
	n, ok, err := t.Tx.NewcomerOf(t.Member.Key)
	if err != nil {
		return err
	}
	switch {
	case !ok:
		return t.Reply(fmt.Sprintf("新人任务是给新成员的：入群 %d 天内完成自我介绍、首次签到和发言，就能拿到奖励～", days(cfg.Tasks.Within)))
	case !n.DoneAt.IsZero():
		return t.Reply("你的新人任务已经全部完成啦 🎉")
	case t.Now.After(n.Deadline):
		return t.Reply("新人任务已经过期了，没关系，每天签到、多聊天一样有积分～")
	}
	text := "🌱 新人任务（" + local(t, n.Deadline).Format("1月2日 15:04") + " 前）：" + progressLine(t, n)
	if cfg.Tasks.Bonus > 0 {
		text += fmt.Sprintf("\n全部完成得 %d 积分。", cfg.Tasks.Bonus)
	}
	if cfg.Tasks.IntroMinChars > 0 && n.IntroAt.IsZero() {
		text += fmt.Sprintf("\n自我介绍：发一段不少于 %d 个字的话，说说你是谁、为什么来～", cfg.Tasks.IntroMinChars)
	}
	return t.Reply(text)
}

// days is a duration in whole days, at least 1.
func days(d config.Duration) int { return max(int(d.D().Hours()/24), 1) }

// local shows an instant in the configured timezone.
func local(t *bot.Turn, at time.Time) time.Time { return at.In(t.Engine().Location()) }
