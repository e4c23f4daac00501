package engage

import (
	"errors"
	"fmt"
	"strings"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// checkinPoints is what a check-in on the streak's n-th day pays:
// base + min(streak_bonus × (n − 1), max_bonus). Defaults: 10, 12, 14, 16, 18, then 20.
func checkinPoints(c config.Checkin, streak int) int64 {
	bonus := int64(c.StreakBonus) * int64(max(streak-1, 0))
	return int64(c.Base) + min(bonus, int64(c.MaxBonus))
}

// checkinRef makes a check-in unique per (group, member, local day) in the ledger too, so
// even a different message on the same day can never pay twice.
func checkinRef(m storage.Member, day string) string {
	return fmt.Sprintf("checkin:%d:%d:%s", m.GroupKey, m.Key, day)
}

func (m *Module) cmdCheckin(t *bot.Turn, a bot.Args) error {
	cfg := t.Group.Config.Checkin
	if !cfg.Enabled {
		// Silence: 签到 has no engine cooldown, so answering here would let anyone make the
		// bot talk in a group that chose not to have check-in.
		return nil
	}
	if t.Ambiguous {
		// Rate-limited like a repeat: 签到 has no engine cooldown, and look-alike accounts
		// must not be a way to make the bot talk.
		key := fmt.Sprintf("checkin-ambiguous:%d", t.Member.Key)
		last, err := t.Tx.AutoReplyLast(t.Group.Key, key)
		if err != nil || (!last.IsZero() && t.Now.Sub(last) < t.Group.Config.Commands.Cooldown.D()) {
			return err
		}
		if err := t.Tx.SetAutoReplyLast(t.Group.Key, key, t.Now); err != nil {
			return err
		}
		return t.Reply(ambiguousText)
	}
	today := t.Day()
	note := checkinNote(a.Text)
	latest, found, err := t.Tx.LatestCheckin(t.Member.Key, today)
	if err != nil {
		return err
	}
	if found && latest.Day == today {
		return m.repeatCheckin(t, latest, note)
	}
	streak := 1
	if found && latest.Day == shiftDay(today, -1) {
		streak = latest.Streak + 1
	}
	points := checkinPoints(cfg, streak)
	recorded, err := t.Tx.RecordCheckin(storage.Checkin{GroupKey: t.Group.Key, MemberKey: t.Member.Key, Day: today,
		Time: t.Now, Streak: streak, Points: points})
	if err != nil {
		return fmt.Errorf("record check-in of member %d: %w", t.Member.Key, err)
	}
	if !recorded {
		return nil // cannot happen after the look-up above; never pay on doubt
	}
	if note != "" {
		if err := t.Tx.SetCheckinNote(t.Member.Key, today, note); err != nil {
			return err
		}
	}
	balance, applied, err := pay(t, t.Member, points, storage.ReasonCheckin, checkinRef(t.Member, today), "",
		map[string]any{"streak": streak, "day": today})
	if err != nil {
		return fmt.Errorf("pay check-in of member %d: %w", t.Member.Key, err)
	}
	if !applied {
		// The ledger already paid this day although the check-in row was missing: keep the
		// row, pay nothing, and say so.
		t.Engine().Logger().Warn("check-in already paid in the ledger", "group", t.Group.Name, "member", t.Member.Key, "day", today)
		return t.Reply(fmt.Sprintf("今天已经签到过了～ 余额 %d 分。", balance)) // a repair path, not a member's everyday answer
	}
	newcomer, err := m.newcomerCheckin(t)
	if err != nil {
		return err
	}
	if newcomer != "" {
		// The bonus (if any) was paid after the check-in: the balance shown is the latest.
		if balance, err = t.Tx.Balance(t.Member.Key); err != nil {
			return err
		}
	}
	rank, err := t.Tx.PointsRank(t.Group.Key, t.Member.Key)
	if err != nil {
		return err
	}
	return t.Reply(t.Group.Config.Texts.Text("checkin.ok", config.Vars{"积分": fmt.Sprint(points), "连续天数": fmt.Sprint(streak),
		"打卡内容": note, "余额": fmt.Sprint(balance), "排名": fmt.Sprint(rank), "新人任务": newcomer}))
}

// maxCheckinNote bounds what a check-in keeps of the words after 打卡: a line, not an essay.
const maxCheckinNote = 60

// checkinNote is what a member wrote after 签到/打卡 (打卡 今日读了 30 页), on one line and
// cut short; "" when nothing.
func checkinNote(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxCheckinNote {
		s = string(r[:maxCheckinNote]) + "…"
	}
	return s
}

// repeatCheckin answers a second check-in on the same day, at most once per command
// cooldown: the first retry is answered (the member may have missed the first answer),
// hammering is not. Nothing else changes.
func (m *Module) repeatCheckin(t *bot.Turn, c storage.Checkin, note string) error {
	if note != "" {
		// 签到 first, then 打卡 今日读了 30 页: the words are kept with the day's check-in.
		if err := t.Tx.SetCheckinNote(t.Member.Key, c.Day, note); err != nil {
			return err
		}
	}
	if !c.RepeatAnswered.IsZero() && t.Now.Sub(c.RepeatAnswered) < t.Group.Config.Commands.Cooldown.D() {
		return nil
	}
	if note != "" {
		if err := t.Tx.MarkRepeatAnswered(t.Member.Key, c.Day, t.Now); err != nil {
			return err
		}
		return t.Reply(t.Group.Config.Texts.Text("checkin.note_saved", config.Vars{"打卡内容": note}))
	}
	if err := t.Tx.MarkRepeatAnswered(t.Member.Key, c.Day, t.Now); err != nil {
		return err
	}
	balance, err := t.Tx.Balance(t.Member.Key)
	if err != nil {
		return err
	}
	return t.Reply(t.Group.Config.Texts.Text("checkin.again", config.Vars{"连续天数": fmt.Sprint(c.Streak), "余额": fmt.Sprint(balance)}))
}

// currentStreak is the member's running streak: today's, or yesterday's while today is
// still open; 0 once a day was missed.
func currentStreak(t *bot.Turn, memberKey int64) (streak int, today bool, err error) {
	day := t.Day()
	c, found, err := t.Tx.LatestCheckin(memberKey, day)
	if err != nil || !found {
		return 0, false, err
	}
	switch c.Day {
	case day:
		return c.Streak, true, nil
	case shiftDay(day, -1):
		return c.Streak, false, nil
	}
	return 0, false, nil
}

// cmdMakeup buys back the most recent missed day within checkin.makeup.max_days (never one
// before the member's first check-in): it costs points, pays none, and joins the streaks on
// either side of the gap.
func (m *Module) cmdMakeup(t *bot.Turn, a bot.Args) error {
	cfg := t.Group.Config.Checkin
	if !cfg.Enabled || !cfg.Makeup.Enabled {
		return t.Reply("本群没有开启补签。")
	}
	if t.Ambiguous {
		return t.Reply(ambiguousText)
	}
	today := t.Day()
	first, found, err := t.Tx.FirstCheckin(t.Member.Key)
	if err != nil {
		return err
	}
	if !found {
		return bot.Usagef("你还没有签到过，先发送「%s」吧。", t.Group.Config.Commands.Renamed("签到"))
	}
	from, to := shiftDay(today, -cfg.Makeup.MaxDays), shiftDay(today, -1)
	if earliest := shiftDay(first.Day, 1); from < earliest {
		from = earliest
	}
	missed := ""
	if from <= to {
		done, err := t.Tx.CheckinsBetween(t.Member.Key, from, to)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, c := range done {
			have[c.Day] = true
		}
		for d := to; d >= from; d = shiftDay(d, -1) {
			if !have[d] {
				missed = d
				break
			}
		}
	}
	if missed == "" {
		return bot.Usagef("最近 %d 天没有漏签，不需要补签。", cfg.Makeup.MaxDays)
	}
	cost := int64(cfg.Makeup.Cost)
	balance, applied, err := pay(t, t.Member, -cost, storage.ReasonRedeem,
		fmt.Sprintf("makeup:%d:%d:%s", t.Group.Key, t.Member.Key, missed), "补签 "+missed, map[string]any{"makeup_day": missed})
	if errors.Is(err, storage.ErrInsufficientPoints) {
		return bot.Usagef("补签要 %d 积分，你现在有 %d 积分。", cost, balance)
	}
	if err != nil {
		return fmt.Errorf("pay make-up of member %d: %w", t.Member.Key, err)
	}
	if !applied {
		return bot.Usagef("%s 已经补签过了。", shortDay(missed))
	}
	streak := 1
	if prev, ok, err := t.Tx.CheckinOn(t.Member.Key, shiftDay(missed, -1)); err != nil {
		return err
	} else if ok {
		streak = prev.Streak + 1
	}
	if _, err := t.Tx.RecordCheckin(storage.Checkin{GroupKey: t.Group.Key, MemberKey: t.Member.Key, Day: missed,
		Time: t.Now, Streak: streak, Makeup: true}); err != nil {
		return fmt.Errorf("record make-up of member %d: %w", t.Member.Key, err)
	}
	// The days after the gap now continue the run before it.
	later, err := t.Tx.CheckinsBetween(t.Member.Key, shiftDay(missed, 1), today)
	if err != nil {
		return err
	}
	next := shiftDay(missed, 1)
	for _, c := range later {
		if c.Day != next {
			break
		}
		streak++
		if err := t.Tx.SetCheckinStreak(t.Member.Key, c.Day, streak); err != nil {
			return err
		}
		next = shiftDay(next, 1)
	}
	current, _, err := currentStreak(t, t.Member.Key)
	if err != nil {
		return err
	}
	return t.Reply(t.Group.Config.Texts.Text("checkin.makeup_ok", config.Vars{"日期": shortDay(missed), "花费": fmt.Sprint(cost),
		"连续天数": fmt.Sprint(current), "余额": fmt.Sprint(balance)}))
}
