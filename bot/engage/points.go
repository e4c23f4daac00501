package engage

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// countChars counts what makes a message worth something: letters (Chinese characters
// included) and digits. Punctuation, spaces and emoji do not count, so "。。。。。" or a
// row of stickers earns nothing.
func countChars(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			n++
		}
	}
	return n
}

// messagePoints pays for a valid text message, up to the daily cap. t.Valid() already
// excludes commands, moderation catches, duplicates, muted senders, the owner and ambiguous
// identities.
func (m *Module) messagePoints(t *bot.Turn) error {
	cfg := t.Group.Config.Points
	if !cfg.Enabled || cfg.PerMessage <= 0 || cfg.DailyCap <= 0 || t.Event == nil || t.Event.Kind != bot.KindText || !t.Valid() {
		return nil
	}
	if countChars(t.Text()) < cfg.MinChars {
		return nil
	}
	earned, err := t.Tx.PointsEarnedOn(t.Member.Key, t.Day(), storage.ReasonMessage)
	if err != nil {
		return err
	}
	room := int64(cfg.DailyCap) - earned
	if room <= 0 {
		return nil
	}
	_, _, err = pay(t, t.Member, min(int64(cfg.PerMessage), room), storage.ReasonMessage,
		messageRef(t), "", nil)
	return err
}

// messageRef is the ledger ref of a message's points: the message id first, then the group
// (ids are only unique within a chat). Message ids grow with time, so nearly every paid
// message appends to the end of the ref index instead of into the middle of its group's
// run: one insertion point instead of one per group, which SQLite inserts at without
// rebalancing pages and which a batch dirties a few pages of (docs/PERFORMANCE.md ## load).
// Refs written before this form ("message:<group>:<id>") differ, which is safe: a replay
// of such a message is stopped by processed, which outlives the adapter's replay window.
func messageRef(t *bot.Turn) string {
	return "m:" + eventRef(t) + ":" + strconv.FormatInt(t.Group.Key, 10)
}

func (m *Module) cmdPoints(t *bot.Turn, a bot.Args) error {
	target, self := t.Member, true
	if len(a.Targets) > 0 {
		target, self = a.Targets[0], a.Targets[0].Key == t.Member.Key
	}
	balance, err := t.Tx.Balance(target.Key)
	if err != nil {
		return err
	}
	rank, err := t.Tx.PointsRank(t.Group.Key, target.Key)
	if err != nil {
		return err
	}
	streak, today, err := currentStreak(t, target.Key)
	if err != nil {
		return err
	}
	checkin := t.Group.Config.Checkin.Enabled && !t.Group.Config.Commands.CommandOff([]string{"签到"})
	thanked := 0
	if t.Group.Config.Thanks.Enabled {
		if thanked, err = t.Tx.ThanksTotal(target.Key); err != nil {
			return err
		}
	}
	texts := t.Group.Config.Texts
	if !checkin {
		streak = 0
	}
	if !self {
		extra := ""
		if streak > 0 {
			extra += fmt.Sprintf("，连续签到 %d 天", streak)
		}
		if thanked > 0 {
			extra += fmt.Sprintf("，收到感谢 %d 次", thanked)
		}
		return t.Reply(texts.Text("points.other", config.Vars{"昵称": target.ShownName(), "积分": fmt.Sprint(balance), "排名": fmt.Sprint(rank),
			"连续天数": fmt.Sprint(streak), "感谢次数": fmt.Sprint(thanked), "附加": extra}))
	}
	streakLine := ""
	days := config.Vars{"连续天数": fmt.Sprint(streak), "签到命令": t.Group.Config.Commands.Renamed("签到")}
	switch {
	case !checkin:
	case streak > 0 && today:
		streakLine = texts.Text("points.streak_today", days)
	case streak > 0:
		streakLine = texts.Text("points.streak_not_today", days)
	default:
		streakLine = texts.Text("points.no_checkin", days)
	}
	thanks := ""
	if thanked > 0 {
		thanks = fmt.Sprint(thanked)
	}
	return t.Reply(texts.Text("points.self", config.Vars{"积分": fmt.Sprint(balance), "排名": fmt.Sprint(rank), "感谢次数": thanks, "签到情况": streakLine}))
}

func (m *Module) cmdBoard(t *bot.Turn, a bot.Args) error {
	texts := t.Group.Config.Texts
	top, err := t.Tx.PointsTop(t.Group.Key, t.Group.Config.Boards.Points)
	if err != nil {
		return err
	}
	if len(top) == 0 {
		return t.Reply(texts.Text("board.points.empty", config.Vars{"签到命令": t.Group.Config.Commands.Renamed("签到")}))
	}
	var b strings.Builder
	b.WriteString(texts.Text("board.points.title", nil))
	for i, s := range top {
		mem, err := t.Tx.Member(s.MemberKey)
		if err != nil {
			return err
		}
		// Names only, no @: a board that pinged ten people would be noise.
		b.WriteString("\n" + texts.Text("board.points.line", config.Vars{"名次": fmt.Sprint(i + 1), "昵称": mem.ShownName(), "积分": fmt.Sprint(s.Balance)}))
	}
	return t.Say(b.String())
}

func (m *Module) cmdActive(t *bot.Turn, a bot.Args) error {
	texts := t.Group.Config.Texts
	today := t.Day()
	from := weekStart(today)
	top, err := t.Tx.TopActive(t.Group.Key, from, today, t.Group.Config.Boards.Active)
	if err != nil {
		return err
	}
	if len(top) == 0 {
		return t.Reply(texts.Text("board.active.empty", nil))
	}
	var b strings.Builder
	b.WriteString(texts.Text("board.active.title", config.Vars{"起始日": shortDay(from)}))
	for i, c := range top {
		mem, err := t.Tx.Member(c.MemberKey)
		if err != nil {
			return err
		}
		b.WriteString("\n" + texts.Text("board.active.line", config.Vars{"名次": fmt.Sprint(i + 1), "昵称": mem.ShownName(), "条数": fmt.Sprint(c.Valid)}))
	}
	return t.Say(b.String())
}

// cmdAdjust is 加分 (sign +1) and 扣分 (sign −1): admins and the owner move points by hand.
// Only this may take a balance below zero.
func (m *Module) cmdAdjust(sign int64) func(t *bot.Turn, a bot.Args) error {
	verb, cmd, otherVerb, otherCmd := "加", "加分", "扣", "扣分"
	if sign < 0 {
		verb, cmd, otherVerb, otherCmd = otherVerb, otherCmd, verb, cmd
	}
	return func(t *bot.Turn, a bot.Args) error {
		if len(a.Targets) == 0 {
			return bot.Usagef("请 @ 要%s分的成员。", verb)
		}
		if len(a.Fields) == 0 {
			return bot.Usagef("请写上分数，例如「%s @%s 10 活动奖励」。", cmd, a.Targets[0].ShownName())
		}
		limit := int64(t.Group.Config.Points.AdminMax)
		n, err := parsePositive(a.Fields[0], limit)
		switch {
		case err != nil && (strings.HasPrefix(a.Fields[0], "-") || strings.HasPrefix(a.Fields[0], "－")):
			return bot.Usagef("分数要写正整数；要%s分请用「%s」。", otherVerb, otherCmd)
		case err != nil:
			return bot.Usagef("「%s」不是分数，请写一个正整数，例如 10。", echo(a.Fields[0]))
		case n == 0:
			return bot.Usagef("分数要大于 0。")
		case n > limit:
			return bot.Usagef("一次最多%s %d 分。", verb, limit)
		}
		if sign > 0 {
			if err := checkGrant(t, a.Targets, n); err != nil { // grants.go
				return err
			}
		}
		reason := strings.Join(a.Fields[1:], " ")
		if r := []rune(reason); len(r) > 40 {
			reason = string(r[:40]) + "…"
		}
		seen := map[int64]bool{}
		var targets []storage.Member
		var balances []int64
		for _, target := range a.Targets {
			if seen[target.Key] {
				continue
			}
			seen[target.Key] = true
			balance, applied, err := pay(t, target, sign*n, storage.ReasonAdmin,
				fmt.Sprintf("admin:%d:%s:%d", t.Group.Key, eventRef(t), target.Key), reason, map[string]any{"by": t.Member.Name()})
			if err != nil {
				return fmt.Errorf("%s for member %d: %w", cmd, target.Key, err)
			}
			if !applied {
				continue // the same message again: already done
			}
			targets = append(targets, target)
			balances = append(balances, balance)
		}
		if len(targets) == 0 {
			return nil
		}
		why := ""
		if reason != "" {
			why = "（" + reason + "）"
		}
		if len(targets) == 1 {
			return t.Say(fmt.Sprintf("✅ 已给 %s%s %d 积分%s，现在 %d 分。", bot.Mention(targets[0]), verb, n, why, balances[0]), targets...)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "✅ 已给 %d 位成员各%s %d 积分%s：", len(targets), verb, n, why)
		for i, target := range targets {
			fmt.Fprintf(&b, "\n%s现在 %d 分", bot.Mention(target), balances[i])
		}
		return t.Say(b.String(), targets...)
	}
}
