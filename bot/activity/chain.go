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

// Chains (接龙). Members have always run sign-up chains by hand: someone posts
// 「接龙 下午分享 1. 小吴」, the next copies it and adds 「2. 小郑」. That keeps working
// untouched — a hand chain is ordinary chat, never answered or punished. A chain the bot
// keeps (发起接龙) is a numbered list stored per member: 报名 / 取消报名 change it, and so
// does the old habit — pasting the list with one's own name added signs the sender up.
// Changes are reposted together (activity_pacing), never once per line.

const (
	maxLabelRunes = 30
	maxPasteScan  = 1000 // entries counted in a pasted list, to say how many it had
)

func chainPostKey(id int64) string  { return fmt.Sprintf("chain.post:%d", id) }
func chainCloseKey(id int64) string { return fmt.Sprintf("chain.close:%d", id) }

var (
	entryMarkRe = regexp.MustCompile(`(?:^|\s)(\d{1,3})[.．、)）]\s*`)
	limitRe     = regexp.MustCompile(`^(?:上限|限|最多)?(\d{1,5})(?:人|位|名)$`)
)

// pastedChain is a 接龙 message as members write it: a title and numbered entries.
type pastedChain struct {
	title   string
	entries []string
	count   int // entries in the message (entries holds at most the cap's worth)
}

// parsePaste reads 「接龙 下午分享 1. 小吴 2. 小郑」 (or #接龙, one entry per line). ok is
// false for anything else, so that chat mentioning 接龙 is left alone.
func parsePaste(text string, keep int) (pastedChain, bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(text), "#")
	rest, found2 := strings.CutPrefix(rest, "接龙")
	if !found2 || (found && rest == "") {
		return pastedChain{}, false
	}
	marks := entryMarkRe.FindAllStringSubmatchIndex(rest, maxPasteScan)
	if len(marks) == 0 {
		return pastedChain{}, false
	}
	p := pastedChain{title: normalise(strings.Trim(rest[:marks[0][0]], " \t\r\n:：,，")), count: len(marks)}
	for i, mk := range marks {
		if len(p.entries) == keep {
			break
		}
		end := len(rest)
		if i+1 < len(marks) {
			end = marks[i+1][0]
		}
		if e := normalise(rest[mk[1]:end]); e != "" {
			p.entries = append(p.entries, e)
		}
	}
	return p, true
}

// normalise collapses white space so a copied list compares equal to the original.
func normalise(s string) string { return strings.Join(strings.Fields(s), " ") }

// findChain picks the open chain a command is about: the only one, or the one numbered by
// the first word (as 查看接龙 lists them). rest is the words left.
func findChain(t *bot.Turn, fields []string) (c storage.Chain, rest []string, err error) {
	open, err := t.Tx.OpenChains(t.Group.Key)
	if err != nil {
		return c, nil, err
	}
	switch {
	case len(open) == 0:
		return c, nil, bot.Usagef("现在没有进行中的接龙。发起一个：「发起接龙 标题」。")
	case len(open) == 1:
		if len(fields) > 0 && (fields[0] == "1" || fields[0] == "#1") {
			fields = fields[1:]
		}
		return open[0], fields, nil
	}
	if len(fields) > 0 {
		if n, err := strconv.Atoi(strings.TrimPrefix(fields[0], "#")); err == nil && n >= 1 && n <= len(open) {
			return open[n-1], fields[1:], nil
		}
	}
	var names []string
	for i, o := range open {
		names = append(names, fmt.Sprintf("%d.「%s」", i+1, o.Title))
	}
	return c, nil, bot.Usagef("现在有 %d 个接龙：%s。请在命令后写编号，例如「报名 2」。", len(open), strings.Join(names, " "))
}

func (m *Module) cmdStartChain(t *bot.Turn, a bot.Args) error {
	cfg := t.Group.Config.Chain
	if !cfg.Enabled {
		return t.Reply("本群没有开启接龙。")
	}
	if !canStart(t, cfg.WhoCanStart) {
		t.Engine().Logger().Info("command refused: not permitted", "command", "发起接龙", "group", t.Group.Name, "member", t.Member.Name())
		return nil
	}
	open, err := t.Tx.OpenChains(t.Group.Key)
	if err != nil {
		return err
	}
	if len(open) >= cfg.MaxOpen {
		return bot.Usagef("已经有 %d 个接龙在进行（最多 %d 个）：先「结束接龙 编号」再发起新的。", len(open), cfg.MaxOpen)
	}
	now := local(t, t.Now)
	deadline, rest, said := takeWhen(a.Fields, now)
	limit := cfg.MaxEntries
	var title []string
	for _, f := range rest {
		if mm := limitRe.FindStringSubmatch(f); mm != nil {
			n, _ := strconv.Atoi(mm[1])
			if n < 2 || n > cfg.MaxEntries {
				return bot.Usagef("人数上限要在 2 到 %d 之间（配置 chain.max_entries），现在写的是 %d。", cfg.MaxEntries, n)
			}
			limit = n
			continue
		}
		title = append(title, f)
	}
	if len(title) == 0 {
		return bot.Usagef("请写上接龙的标题，例如「发起接龙 周六爬山 20人 周五20:00」。")
	}
	c := storage.Chain{GroupKey: t.Group.Key, StarterKey: t.Member.Key, Title: clip(strings.Join(title, " "), maxTitleRunes),
		MaxEntries: limit, Created: t.Now}
	for _, o := range open {
		if o.Title == c.Title {
			return bot.Usagef("已经有一个叫「%s」的接龙了，换个标题吧。", c.Title)
		}
	}
	if said {
		switch {
		case !deadline.After(now):
			return bot.Usagef("截止时间 %s 已经过了，请写一个以后的时间。", showTime(deadline, now))
		case deadline.Sub(now) > cfg.MaxDuration.D():
			return bot.Usagef("截止时间太远了：最长 %s（配置 chain.max_duration）。", humanDays(cfg.MaxDuration.D()))
		}
		c.Deadline = deadline
	}
	if c.ID, err = t.Tx.CreateChain(c); err != nil {
		return err
	}
	if err := t.Audit("chain_start", t.Member.Key, map[string]any{"chain": c.ID, "title": c.Title, "max": limit}); err != nil {
		return err
	}
	if said {
		e := t.Engine()
		t.After(func(ctx context.Context) { m.armChainClose(e, c, deadline) })
	}
	text := fmt.Sprintf("📝 接龙「%s」开始啦（最多 %d 人", c.Title, limit)
	if said {
		text += "，" + showTime(deadline, now) + " 截止"
	}
	text += fmt.Sprintf("）\n发送「%[1]s」或「%[1]s 备注」加入，「%[2]s」退出。\n也可以照老习惯：复制名单，在末尾加上自己的名字发出来。", t.Word("报名"), t.Word("取消报名"))
	return t.Say(text)
}

func (m *Module) cmdSignup(t *bot.Turn, a bot.Args) error {
	if !t.Group.Config.Chain.Enabled {
		return t.Reply("本群没有开启接龙。")
	}
	if t.Ambiguous {
		return t.Reply(ambiguousText)
	}
	c, rest, err := findChain(t, a.Fields)
	if err != nil {
		return err
	}
	label := t.Member.ShownName()
	if note := strings.Join(rest, " "); note != "" {
		label += " " + note
	}
	return m.signUp(t, c, clip(label, maxLabelRunes), true)
}

// signUp adds the sender to a chain. answer says whether a refusal is answered (a paste
// that is not a sign-up after all stays quiet when it is a repeat).
func (m *Module) signUp(t *bot.Turn, c storage.Chain, label string, answer bool) error {
	entries, err := t.Tx.ChainEntries(c.ID)
	if err != nil {
		return err
	}
	for i, e := range entries {
		if e.MemberKey == t.Member.Key {
			if !answer {
				return nil
			}
			return t.Reply(fmt.Sprintf("你已经在接龙「%s」里了（第 %d 位）。", c.Title, i+1))
		}
	}
	if len(entries) >= c.MaxEntries {
		return t.Reply(fmt.Sprintf("接龙「%s」已经满了（%d 人）。", c.Title, c.MaxEntries))
	}
	if _, err := t.Tx.AddChainEntry(c.ID, t.Member.Key, label, t.Now); err != nil {
		return err
	}
	if pts := t.Group.Config.Chain.Points; pts > 0 && t.Member.Role != bot.RoleOwner {
		if _, _, err := engage.Pay(t, t.Member, int64(pts), storage.ReasonSignup, fmt.Sprintf("signup:%d:%d", c.ID, t.Member.Key),
			"接龙报名 "+c.Title, map[string]any{"chain": c.ID}); err != nil {
			return fmt.Errorf("sign-up points of member %d: %w", t.Member.Key, err)
		}
	}
	m.afterChange(t, c)
	return nil // the list is reposted with everyone's sign-ups (activity_pacing)
}

func (m *Module) afterChange(t *bot.Turn, c storage.Chain) {
	e := t.Engine()
	pacing := pacingOf(t)
	t.After(func(ctx context.Context) { m.armChainPost(e, pacing, c, e.Now()) })
}

func (m *Module) cmdUnsignup(t *bot.Turn, a bot.Args) error {
	if !t.Group.Config.Chain.Enabled {
		return t.Reply("本群没有开启接龙。")
	}
	c, _, err := findChain(t, a.Fields)
	if err != nil {
		return err
	}
	removed, err := t.Tx.RemoveChainEntry(c.ID, t.Member.Key)
	if err != nil {
		return err
	}
	if !removed {
		return t.Reply(fmt.Sprintf("你不在接龙「%s」里。", c.Title))
	}
	m.afterChange(t, c)
	return nil
}

func (m *Module) cmdShowChains(t *bot.Turn, a bot.Args) error {
	if !t.Group.Config.Chain.Enabled {
		return t.Reply("本群没有开启接龙。")
	}
	open, err := t.Tx.OpenChains(t.Group.Key)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return t.Reply("现在没有进行中的接龙。发起一个：「发起接龙 标题」。")
	}
	var parts []string
	for i, c := range open {
		entries, err := t.Tx.ChainEntries(c.ID)
		if err != nil {
			return err
		}
		head := ""
		if len(open) > 1 {
			head = fmt.Sprintf("#%d ", i+1)
		}
		parts = append(parts, head+chainText(t, c, entries, false))
		// The list was just shown: a repost due for the same changes would say it again.
		if err := t.Tx.MarkChainPosted(c.ID, c.Version, t.Now); err != nil {
			return err
		}
	}
	return t.Say(strings.Join(parts, "\n\n"))
}

// chainText is the list as the bot posts it.
func chainText(t *bot.Turn, c storage.Chain, entries []storage.ChainEntry, final bool) string {
	var b strings.Builder
	if final {
		fmt.Fprintf(&b, "📝 接龙「%s」已结束，共 %d 人：", c.Title, len(entries))
	} else {
		fmt.Fprintf(&b, "📝 接龙「%s」（%d/%d 人", c.Title, len(entries), c.MaxEntries)
		if !c.Deadline.IsZero() {
			b.WriteString("，" + showTime(local(t, c.Deadline), local(t, t.Now)) + " 截止")
		}
		b.WriteString("）")
	}
	for i, e := range entries {
		fmt.Fprintf(&b, "\n%d. %s", i+1, e.Label)
	}
	if len(entries) == 0 {
		b.WriteString("\n（还没有人报名）")
	}
	if !final {
		b.WriteString("\n发送「" + t.Word("报名") + "」加入")
	}
	return b.String()
}

func (m *Module) armChainPost(e *bot.Engine, pacing ackPacing, c storage.Chain, now time.Time) {
	m.armAck(e, chainPostKey(c.ID), chainLabel(e, c, "重发最新名单"), pacing, c.PostedAt, now, func(t *bot.Turn) error {
		cur, ok, err := t.Tx.ChainByID(c.ID)
		if err != nil || !ok || cur.Status != storage.StatusOpen || cur.Version == cur.PostedVersion {
			return err
		}
		if ok, err := groupTurn(t, cur.GroupKey); err != nil || !ok {
			return err
		}
		entries, err := t.Tx.ChainEntries(cur.ID)
		if err != nil {
			return err
		}
		if err := t.Say(chainText(t, cur, entries, false)); err != nil {
			return err
		}
		return t.Tx.MarkChainPosted(cur.ID, cur.Version, t.Now)
	})
}

// chainLabel names a chain's timer on the dashboard and in 状态.
func chainLabel(e *bot.Engine, c storage.Chain, what string) bot.JobLabel {
	return e.JobIn(c.GroupKey, "接龙「"+c.Title+"」："+what)
}

func (m *Module) armChainClose(e *bot.Engine, c storage.Chain, at time.Time) {
	id := c.ID
	e.Schedule(chainCloseKey(id), chainLabel(e, c, "截止发最终名单"), at, onTimer(e, chainCloseKey(id), func(t *bot.Turn) error {
		c, ok, err := t.Tx.ChainByID(id)
		if err != nil || !ok || c.Status != storage.StatusOpen {
			return err
		}
		if ok, err := groupTurn(t, c.GroupKey); err != nil || !ok {
			return err
		}
		return closeChain(t, c)
	}))
}

// closeChain posts the final list once.
func closeChain(t *bot.Turn, c storage.Chain) error {
	closed, err := t.Tx.CloseChain(c.ID, t.Now)
	if err != nil || !closed {
		return err
	}
	entries, err := t.Tx.ChainEntries(c.ID)
	if err != nil {
		return err
	}
	if err := t.Audit("chain_end", 0, map[string]any{"chain": c.ID, "title": c.Title, "entries": len(entries)}); err != nil {
		return err
	}
	return t.Say(chainText(t, c, entries, true))
}

func (m *Module) cmdEndChain(t *bot.Turn, a bot.Args) error {
	if !t.Group.Config.Chain.Enabled {
		return t.Reply("本群没有开启接龙。")
	}
	c, _, err := findChain(t, a.Fields)
	if err != nil {
		return err
	}
	if !t.Privileged() && t.Member.Key != c.StarterKey {
		return t.Reply("只有发起人或管理员可以结束接龙。")
	}
	e := t.Engine()
	t.After(func(ctx context.Context) {
		e.Cancel(chainCloseKey(c.ID))
		e.Cancel(chainPostKey(c.ID))
		delete(m.armed, chainPostKey(c.ID))
	})
	return closeChain(t, c)
}

// chainPaste understands the old habit for a chain the bot keeps: a member pastes the
// list with their own entry added, and is signed up. A list whose title matches no chain
// the bot keeps is a hand-run chain and is left alone.
func (m *Module) chainPaste(t *bot.Turn) error {
	cfg := t.Group.Config.Chain
	if !cfg.Enabled || t.Event == nil || t.Event.Kind != bot.KindText || t.Handled || t.Caught || t.Muted || t.Ambiguous || t.Owner {
		return nil
	}
	text := t.Text()
	if !strings.HasPrefix(text, "接龙") && !strings.HasPrefix(text, "#接龙") {
		return nil // the common case: no query at all
	}
	open, err := t.Tx.OpenChains(t.Group.Key)
	if err != nil || len(open) == 0 {
		return err
	}
	pasted, ok := parsePaste(text, cfg.MaxEntries+1)
	if !ok {
		return nil
	}
	var c storage.Chain
	found := false
	for _, o := range open {
		if normalise(o.Title) == pasted.title || (pasted.title == "" && len(open) == 1) {
			c, found = o, true
			break
		}
	}
	if !found {
		return nil // a hand-run chain: the members keep it themselves
	}
	if pasted.count > c.MaxEntries {
		// A paste is chat, not a command: the engine's cooldown does not cover it, so the
		// answer is rate-limited here (a member pasting walls must not make the bot talk).
		key := fmt.Sprintf("chain-refused:%d", t.Member.Key)
		last, err := t.Tx.AutoReplyLast(t.Group.Key, key)
		if err != nil || (!last.IsZero() && t.Now.Sub(last) < t.Group.Config.Commands.Cooldown.D()) {
			return err
		}
		if err := t.Tx.SetAutoReplyLast(t.Group.Key, key, t.Now); err != nil {
			return err
		}
		return t.Reply(fmt.Sprintf("这份名单有 %d 项，超过了接龙「%s」的上限 %d 人，没有登记。发送「%s」就能加入。", pasted.count, c.Title, c.MaxEntries, t.Word("报名")))
	}
	entries, err := t.Tx.ChainEntries(c.ID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, e := range entries {
		if e.MemberKey == t.Member.Key {
			return nil // on the list already: a repost of the list is chat
		}
		have[normalise(e.Label)] = true
	}
	var fresh []string
	for _, e := range pasted.entries {
		if !have[e] {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	// The sender's own line: the new one with their name in it, else the last new one.
	label := fresh[len(fresh)-1]
	for _, f := range fresh {
		if name := t.Member.ShownName(); name != "" && strings.Contains(f, name) {
			label = f
			break
		}
	}
	return m.signUp(t, c, clip(label, maxLabelRunes), false)
}
