package activity

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/engage"
	"qunbot/storage"
)

// Polls (投票): one vote per member, results posted at the deadline (or when the starter
// or an admin ends it). Counts are hidden until then unless vote.show_live: a running
// tally pulls late voters to the leader.

const (
	maxPollOptions = 10
	maxOptionRunes = 20
	maxTitleRunes  = 40
)

func pollCloseKey(id int64) string { return fmt.Sprintf("poll.close:%d", id) }
func pollAckKey(id int64) string   { return fmt.Sprintf("poll.ack:%d", id) }

var numberedRe = regexp.MustCompile(`^\s*(?:\d{1,2}|[A-Ja-j])[.．、)）:：]\s*`)

// splitOptions reads the options after the question: separated by / ／ | 、 ， or given as
// separate words ("爬山 看电影"), with or without "1." numbers.
func splitOptions(words []string) []string {
	stripped := make([]string, 0, len(words))
	for _, w := range words {
		if w = numberedRe.ReplaceAllString(w, ""); w != "" {
			stripped = append(stripped, w)
		}
	}
	words = stripped
	joined := strings.Join(words, " ")
	var parts []string
	if strings.ContainsAny(joined, "/／|｜、，,;；") {
		parts = strings.FieldsFunc(joined, func(r rune) bool { return strings.ContainsRune("/／|｜、，,;；", r) })
	} else {
		parts = words
	}
	var out []string
	for _, p := range parts {
		p = strings.TrimSpace(numberedRe.ReplaceAllString(p, ""))
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (m *Module) cmdStartPoll(t *bot.Turn, a bot.Args) error {
	cfg := t.Group.Config.Vote
	if !cfg.Enabled {
		return t.Reply("本群没有开启投票。")
	}
	if !canStart(t, cfg.WhoCanStart) {
		t.Engine().Logger().Info("command refused: not permitted", "command", "发起投票", "group", t.Group.Name, "member", t.Member.Name())
		return nil
	}
	open, err := t.Tx.OpenPolls(t.Group.Key)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		return bot.Usagef("已经有一个进行中的投票「%s」（%s 公布结果）：先「结束投票」再发起新的。", open[0].Title, showTime(local(t, open[0].Deadline), local(t, t.Now)))
	}
	now := local(t, t.Now)
	deadline, rest, said := takeWhen(a.Fields, now)
	if !said {
		deadline = now.Add(cfg.DefaultDuration.D())
	}
	if len(rest) == 0 {
		return bot.Usagef("请写上问题和选项，例如「发起投票 周末去哪 爬山/看电影/唱歌 明天20:00」。")
	}
	title := clip(rest[0], maxTitleRunes)
	options := splitOptions(rest[1:])
	seen := map[string]bool{}
	for i, o := range options {
		options[i] = clip(o, maxOptionRunes)
		if seen[options[i]] {
			return bot.Usagef("选项「%s」写了两次，请去掉重复的。", options[i])
		}
		seen[options[i]] = true
	}
	switch {
	case len(options) < 2:
		return bot.Usagef("投票至少要两个选项（现在有 %d 个），例如「发起投票 %s 爬山/看电影」。", len(options), title)
	case len(options) > maxPollOptions:
		return bot.Usagef("最多 %d 个选项，现在有 %d 个。", maxPollOptions, len(options))
	case !deadline.After(now):
		return bot.Usagef("截止时间 %s 已经过了，请写一个以后的时间。", showTime(deadline, now))
	case deadline.Sub(now) < time.Minute:
		return bot.Usagef("截止时间太近了，至少要 1 分钟以后。")
	case deadline.Sub(now) > cfg.MaxDuration.D():
		return bot.Usagef("截止时间太远了：最长 %s（配置 vote.max_duration）。", humanDays(cfg.MaxDuration.D()))
	}
	p := storage.Poll{GroupKey: t.Group.Key, StarterKey: t.Member.Key, Title: title, Options: options, Created: t.Now, Deadline: deadline}
	if p.ID, err = t.Tx.CreatePoll(p); err != nil {
		return err
	}
	if err := t.Audit("poll_start", t.Member.Key, map[string]any{"poll": p.ID, "title": title, "options": options,
		"deadline": deadline.Format(time.RFC3339)}); err != nil {
		return err
	}
	e := t.Engine()
	t.After(func(ctx context.Context) { m.armPollClose(e, p, deadline) })
	var b strings.Builder
	fmt.Fprintf(&b, "🗳️ 投票：%s", title)
	for i, o := range options {
		fmt.Fprintf(&b, "\n%d. %s", i+1, o)
	}
	fmt.Fprintf(&b, "\n发送「%[1]s 编号」投票（例如「%[1]s 1」），每人一票；%[2]s 公布结果。", t.Word("投票"), showTime(deadline, now))
	return t.Say(b.String())
}

// optionOf finds the option a member named: its number, or its text.
func optionOf(arg string, options []string) (int, bool) {
	arg = strings.TrimRight(strings.TrimSpace(arg), ".．、)）")
	if s := strings.TrimSpace(numberedRe.ReplaceAllString(arg, "")); s != "" {
		arg = s
	}
	if n, err := strconv.Atoi(strings.TrimSpace(strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, arg))); err == nil {
		return n - 1, n >= 1 && n <= len(options)
	}
	for i, o := range options {
		if strings.EqualFold(o, arg) {
			return i, true
		}
	}
	return 0, false
}

func (m *Module) cmdVote(t *bot.Turn, a bot.Args) error {
	cfg := t.Group.Config.Vote
	if !cfg.Enabled {
		return t.Reply("本群没有开启投票。")
	}
	open, err := t.Tx.OpenPolls(t.Group.Key)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return t.Reply("现在没有进行中的投票。")
	}
	p := open[0]
	now := local(t, t.Now)
	if a.Rest == "" {
		var b strings.Builder
		fmt.Fprintf(&b, "🗳️ 投票：%s（%s 公布结果）", p.Title, showTime(local(t, p.Deadline), now))
		counts, total, err := t.Tx.PollTally(p.ID, len(p.Options))
		if err != nil {
			return err
		}
		for i, o := range p.Options {
			fmt.Fprintf(&b, "\n%d. %s", i+1, o)
			if cfg.ShowLive {
				fmt.Fprintf(&b, "  %d 票", counts[i])
			}
		}
		fmt.Fprintf(&b, "\n已有 %d 人投票。发送「%s 编号」投票，每人一票。", total, t.Word("投票"))
		return t.Reply(b.String())
	}
	if t.Ambiguous {
		return t.Reply(ambiguousText)
	}
	if !t.Now.Before(p.Deadline) {
		return t.Reply(fmt.Sprintf("投票「%s」已经截止，马上公布结果。", p.Title))
	}
	choice, ok := optionOf(a.Rest, p.Options)
	if !ok {
		return bot.Usagef("没有「%s」这个选项：请写 1 到 %d 的编号，发送「%s」查看选项。", clip(a.Rest, 12), len(p.Options), t.Word("投票"))
	}
	added, previous, err := t.Tx.CastVote(p.ID, t.Member.Key, choice, t.Now)
	if err != nil {
		return err
	}
	if !added {
		return t.Reply(fmt.Sprintf("你已经投过「%d. %s」了，每人只能投一次。", previous+1, p.Options[previous]))
	}
	if cfg.Points > 0 && t.Member.Role != bot.RoleOwner {
		if _, _, err := engage.Pay(t, t.Member, int64(cfg.Points), storage.ReasonVote, fmt.Sprintf("vote:%d:%d", p.ID, t.Member.Key),
			"参加投票 "+p.Title, map[string]any{"poll": p.ID}); err != nil {
			return fmt.Errorf("vote points of member %d: %w", t.Member.Key, err)
		}
	}
	e := t.Engine()
	pacing := pacingOf(t)
	t.After(func(ctx context.Context) {
		m.armAck(e, pollAckKey(p.ID), pollLabel(e, p, "确认新投票的人"), pacing, p.AckedAt, e.Now(), m.pollAck(p.ID))
	})
	return nil // acknowledged together with the others (activity_pacing)
}

func (m *Module) pollAck(id int64) func(t *bot.Turn) error {
	return func(t *bot.Turn) error {
		p, ok, err := t.Tx.PollByID(id)
		if err != nil || !ok || p.Status != storage.StatusOpen {
			return err // the result says it all
		}
		if ok, err := groupTurn(t, p.GroupKey); err != nil || !ok {
			return err
		}
		votes, err := t.Tx.PollVotesAfter(id, p.AckThrough)
		if err != nil || len(votes) == 0 {
			return err
		}
		_, total, err := t.Tx.PollTally(id, len(p.Options))
		if err != nil {
			return err
		}
		fresh := make([]storage.Member, 0, len(votes))
		for _, v := range votes {
			mem, err := t.Tx.Member(v.MemberKey)
			if err != nil {
				return err
			}
			fresh = append(fresh, mem)
		}
		mentions, shown, more := mentionList(fresh)
		text := "🗳️ " + mentions
		if more > 0 {
			text += fmt.Sprintf(" 等 %d 人", len(fresh))
		}
		text += fmt.Sprintf(" 已投票「%s」，现在共 %d 票，%s 公布结果。", p.Title, total, showTime(local(t, p.Deadline), local(t, t.Now)))
		if err := t.Say(text, shown...); err != nil {
			return err
		}
		return t.Tx.MarkPollAcked(id, votes[len(votes)-1].Seq, t.Now)
	}
}

// pollLabel names a poll's timer on the dashboard and in 状态.
func pollLabel(e *bot.Engine, p storage.Poll, what string) bot.JobLabel {
	return e.JobIn(p.GroupKey, "投票「"+p.Title+"」："+what)
}

func (m *Module) armPollClose(e *bot.Engine, p storage.Poll, at time.Time) {
	id := p.ID
	e.Schedule(pollCloseKey(id), pollLabel(e, p, "截止公布结果"), at, onTimer(e, pollCloseKey(id), func(t *bot.Turn) error {
		p, ok, err := t.Tx.PollByID(id)
		if err != nil || !ok || p.Status != storage.StatusOpen {
			return err
		}
		if ok, err := groupTurn(t, p.GroupKey); err != nil || !ok {
			return err
		}
		return closePoll(t, p)
	}))
}

func (m *Module) armPollAck(e *bot.Engine, tx *storage.Tx, p storage.Poll, now time.Time) error {
	votes, err := tx.PollVotesAfter(p.ID, p.AckThrough)
	if err != nil || len(votes) == 0 {
		return err
	}
	m.armAck(e, pollAckKey(p.ID), pollLabel(e, p, "确认新投票的人"), pacingFor(e, tx, p.GroupKey), p.AckedAt, now, m.pollAck(p.ID))
	return nil
}

// closePoll posts the result once: the status moves in the transaction that posts it.
func closePoll(t *bot.Turn, p storage.Poll) error {
	closed, err := t.Tx.ClosePoll(p.ID, t.Now)
	if err != nil || !closed {
		return err
	}
	counts, total, err := t.Tx.PollTally(p.ID, len(p.Options))
	if err != nil {
		return err
	}
	if err := t.Audit("poll_result", 0, map[string]any{"poll": p.ID, "title": p.Title, "options": p.Options, "counts": counts}); err != nil {
		return err
	}
	if total == 0 {
		return t.Say(fmt.Sprintf("🗳️ 投票「%s」截止了，没有人投票。", p.Title))
	}
	return t.Say(resultText(p, counts, total))
}

// resultText shows the tally with bars, the winner (or the tie) last.
func resultText(p storage.Poll, counts []int, total int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "🗳️ 投票结果：%s（共 %d 票）", p.Title, total)
	best := 0
	for _, c := range counts {
		best = max(best, c)
	}
	var top []string
	for i, o := range p.Options {
		bar := strings.Repeat("█", counts[i]*10/max(best, 1))
		if bar == "" && counts[i] > 0 {
			bar = "▏"
		}
		fmt.Fprintf(&b, "\n%d. %s %s %d 票（%d%%）", i+1, o, bar, counts[i], (counts[i]*100+total/2)/total)
		if counts[i] == best {
			top = append(top, o)
		}
	}
	if len(top) == 1 {
		fmt.Fprintf(&b, "\n🏆 %s", top[0])
	} else {
		fmt.Fprintf(&b, "\n🤝 并列第一：%s", strings.Join(top, "、"))
	}
	return b.String()
}

func (m *Module) cmdEndPoll(t *bot.Turn, a bot.Args) error {
	open, err := t.Tx.OpenPolls(t.Group.Key)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return t.Reply("现在没有进行中的投票。")
	}
	p := open[0]
	if !t.Privileged() && t.Member.Key != p.StarterKey {
		return t.Reply("只有发起人或管理员可以提前结束投票。")
	}
	e := t.Engine()
	t.After(func(ctx context.Context) {
		e.Cancel(pollCloseKey(p.ID))
		e.Cancel(pollAckKey(p.ID))
		delete(m.armed, pollAckKey(p.ID))
	})
	return closePoll(t, p)
}
