package moderate

import (
	"fmt"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/internal/safetext"
	"qunbot/rules"
	"qunbot/storage"
)

// Commands are the moderation commands: admins' tools, the owner's role grants, and the
// members' report button.
func (m *Module) Commands() []*bot.Command { return m.allCommands() }

func (m *Module) baseCommands() []*bot.Command {
	return []*bot.Command{
		{Name: "警告", Aliases: []string{"warn"}, Usage: "警告 @成员 [原因]", Summary: "警告成员（按处罚阶梯累计）",
			Perm: bot.AdminOnly, Run: m.cmdWarn},
		{Name: "禁言", Aliases: []string{"mute"}, Usage: "禁言 @成员 时长 [原因]（时长如 30分钟、1小时、1天）", Summary: "禁言成员（QQ 上机器人是群管理员时真正禁言；微信上是软禁言：期间发言不计积分，提醒一次后再发言升级处罚）",
			Perm: bot.AdminOnly, Run: m.cmdMute},
		{Name: "解除禁言", Aliases: []string{"unmute"}, Usage: "解除禁言 @成员", Summary: "解除禁言",
			Perm: bot.AdminOnly, Run: m.cmdUnmute},
		{Name: "移除", Aliases: []string{"kick", "remove", "踢出"}, Usage: "移除 @成员 [原因]", Summary: "移出成员（QQ 上机器人是群管理员时直接踢出；微信上会请群主手动移出）",
			Perm: bot.AdminOnly, Run: m.cmdRemove},
		{Name: "撤销警告", Aliases: []string{"unwarn", "误判"}, Usage: "撤销警告 @成员（或「误判 @成员」）", Summary: "撤销最近一次警告（机器人也会学会那条消息不是广告）",
			Perm: bot.AdminOnly, Run: m.cmdUnwarn},
		{Name: "清除记录", Aliases: []string{"resetwarns", "clearwarns"}, Usage: "清除记录 @成员", Summary: "清除违规记录、禁言和移出请求",
			Perm: bot.AdminOnly, Run: m.cmdClear},
		{Name: "记录", Aliases: []string{"warns", "history"}, Usage: "记录 @成员", Summary: "查看违规记录和原因",
			Perm: bot.AdminOnly, Run: m.cmdHistory},
		{Name: "白名单", Aliases: []string{"allowpromo", "whitelist"}, Usage: "白名单 @成员", Summary: "允许成员按配额发推广",
			Perm: bot.AdminOnly, Run: m.whitelist(true)},
		{Name: "取消白名单", Aliases: []string{"unwhitelist"}, Usage: "取消白名单 @成员", Summary: "取消推广白名单",
			Perm: bot.AdminOnly, Run: m.whitelist(false)},
		{Name: "设为管理员", Aliases: []string{"promote", "addadmin"}, Usage: "设为管理员 @成员", Summary: "设为机器人管理员（群主）",
			Perm: bot.OwnerOnly, Run: m.setAdmin(true)},
		{Name: "取消管理员", Aliases: []string{"demote", "deladmin"}, Usage: "取消管理员 @成员", Summary: "取消机器人管理员（群主）",
			Perm: bot.OwnerOnly, Run: m.setAdmin(false)},
		{Name: "举报", Aliases: []string{"report"}, Usage: "举报 @成员 [原因]", Summary: "向群主举报",
			Run: m.cmdReport},
	}
}

// allCommands is the commands above plus the classifier's (learn_commands.go) and the
// blocklist's (blocklist.go).
func (m *Module) allCommands() []*bot.Command {
	return append(append(m.baseCommands(), m.learnCommands()...), m.blockCommands()...)
}

// oneTarget returns the single member a command is about, refusing privileged targets for
// penalties: the owner and admins are never penalised.
func oneTarget(t *bot.Turn, a bot.Args, penalty bool) (storage.Member, error) {
	if len(a.Targets) != 1 {
		return storage.Member{}, bot.Usagef("请 @ 一位成员。")
	}
	target := a.Targets[0]
	if !penalty {
		return target, nil
	}
	protected, err := t.Protected(target)
	if err != nil {
		return target, err
	}
	if protected {
		if target.Role == storage.RoleAdmin || target.Role == bot.RoleOwner {
			return target, bot.Usagef("「%s」是管理员或群主，不会被处罚。如需处罚请先「取消管理员」。", target.ShownName())
		}
		if t.ListedAdmin(target) {
			return target, bot.Usagef("「%s」是配置文件（admins）里写的管理员，不会被处罚。", target.ShownName())
		}
		return target, bot.Usagef("「%s」是这个群的群主或管理员，机器人不会处罚管理员。", target.ShownName())
	}
	return target, nil
}

func actor(t *bot.Turn) string {
	if t.Owner {
		return "owner"
	}
	return fmt.Sprintf("admin:%d", t.Member.Key)
}

func ref(t *bot.Turn, what string) string {
	if t.Event != nil && t.Event.ID != "" {
		return fmt.Sprintf("%s:%d:%s", what, t.Group.Key, t.Event.ID)
	}
	return ""
}

func (m *Module) cmdWarn(t *bot.Turn, a bot.Args) error {
	target, err := oneTarget(t, a, true)
	if err != nil {
		return err
	}
	reason := a.Rest
	if reason == "" {
		reason = "违反群规"
	}
	_, err = apply(t, target, Violation{Rule: "admin", Reason: "管理员警告：" + truncate(reason, 60), Action: rules.ActionStrike,
		Strikes: 1, Actor: actor(t)}, ref(t, "warn"))
	return err
}

func (m *Module) cmdMute(t *bot.Turn, a bot.Args) error {
	target, err := oneTarget(t, a, true)
	if err != nil {
		return err
	}
	if len(a.Fields) == 0 {
		return bot.Usagef("请写禁言时长，例如 30分钟、1小时、1天。")
	}
	// "30分钟", or "30 分钟" typed with a space.
	used := 1
	d, err := config.ParseDuration(a.Fields[0])
	if err != nil && len(a.Fields) > 1 {
		if d2, err2 := config.ParseDuration(a.Fields[0] + a.Fields[1]); err2 == nil {
			d, err, used = d2, nil, 2
		}
	}
	if err != nil || d < time.Minute || d > 30*24*time.Hour {
		return bot.Usagef("禁言时长「%s」看不懂，请写 1 分钟到 30 天之间的时长，例如 30分钟、1小时、1天。", a.Fields[0])
	}
	reason := strings.Join(a.Fields[used:], " ")
	if reason == "" {
		reason = "管理员禁言"
	}
	until := t.Now.Add(d)
	if err := t.Tx.SetMute(storage.Mute{MemberKey: target.Key, GroupKey: target.GroupKey, Since: t.Now, Until: until, Reason: reason}); err != nil {
		return err
	}
	real, err := t.MuteOnPlatform(target, d)
	if err != nil {
		return err
	}
	if err := t.Audit("mute", target.Key, map[string]any{"rule": "admin", "reason": reason, "until": until.UnixMilli(), "platform": real}); err != nil {
		return err
	}
	strikes, err := t.Tx.StrikeCount(target.Key, t.Now.Add(-t.Group.Config.Moderation.LadderSteps().Window), false)
	if err != nil {
		return err
	}
	t.Emit("penalty", target, map[string]any{"level": "mute", "rule": "admin", "strikes": strikes, "reason": reason})
	if real {
		return t.Say(t.Group.Config.Texts.Text("mute_real", config.Vars{"成员": bot.Mention(target), "昵称": target.ShownName(), "原因": reason,
			"时长": humanDuration(d), "到期": clock(t, until), "后果": afterRealMute(t.Group.Config.Moderation, strikes)}), target)
	}
	return t.Say(t.Group.Config.Texts.Text("mute", config.Vars{"成员": bot.Mention(target), "昵称": target.ShownName(), "原因": reason,
		"时长": humanDuration(d), "到期": clock(t, until), "后果": afterMute(t.Group.Config.Moderation, strikes)}), target)
}

func (m *Module) cmdUnmute(t *bot.Turn, a bot.Args) error {
	target, err := oneTarget(t, a, false)
	if err != nil {
		return err
	}
	was, err := t.Tx.Unmute(target.Key, t.Now)
	if err != nil {
		return err
	}
	// Where the platform can, the mute is lifted there too: someone may have muted the
	// member in the QQ client without the bot seeing it.
	real := t.Can().CanMute
	if !was && !real {
		return bot.Usagef("「%s」现在没有被禁言。", target.ShownName())
	}
	if real {
		if _, err := t.MuteOnPlatform(target, 0); err != nil {
			return err
		}
	}
	if err := t.Audit("unmute", target.Key, map[string]any{"platform": real}); err != nil {
		return err
	}
	return t.Say(t.Group.Config.Texts.Text("unmute", config.Vars{"成员": bot.Mention(target), "昵称": target.ShownName()}), target)
}

func (m *Module) cmdRemove(t *bot.Turn, a bot.Args) error {
	target, err := oneTarget(t, a, true)
	if err != nil {
		return err
	}
	reason := a.Rest
	if reason == "" {
		reason = "管理员决定移出"
	}
	_, err = apply(t, target, Violation{Rule: "admin", Reason: truncate(reason, 60), Action: rules.ActionRemove, Strikes: 1, Actor: actor(t)}, ref(t, "remove"))
	return err
}

func (m *Module) cmdUnwarn(t *bot.Turn, a bot.Args) error {
	target, err := oneTarget(t, a, false)
	if err != nil {
		return err
	}
	s, ok, err := t.Tx.RevokeLastStrike(target.Key, t.Now)
	if err != nil {
		return err
	}
	if !ok {
		return bot.Usagef("「%s」没有可以撤销的警告。", target.ShownName())
	}
	left, err := t.Tx.StrikeCount(target.Key, t.Now.Add(-t.Group.Config.Moderation.LadderSteps().Window), false)
	if err != nil {
		return err
	}
	// Taking back a strike takes back what it caused.
	undone := ""
	switch rules.Action(s.Level) {
	case rules.ActionMute:
		if was, err := t.Tx.Unmute(target.Key, t.Now); err != nil {
			return err
		} else if was {
			undone = "，已解除禁言"
			if _, err := t.MuteOnPlatform(target, 0); err != nil {
				return err
			}
		}
	case rules.ActionRemove:
		if n, err := t.Tx.CloseRemovals(target.Key, storage.RemovalCancelled, t.Now); err != nil {
			return err
		} else if n > 0 {
			undone = "，已取消移出请求"
			if err := t.NotifyOwner(fmt.Sprintf("✅ 管理员撤销了「%s」的处罚，群「%s」里对 TA 的移出请求已取消，不用再移出了。", safetext.Name(target.Name()), safetext.Name(t.Group.Name))); err != nil {
				return err
			}
		}
	}
	if err := t.Audit("unwarn", target.Key, map[string]any{"strike": s.ID, "rule": s.Rule, "strikes": left, "undone": undone}); err != nil {
		return err
	}
	if err := t.Say(fmt.Sprintf("已撤销 %s最近一次处罚（%s）%s，现在累计 %d 次。", bot.Mention(target), s.Reason, undone, left), target); err != nil {
		return err
	}
	// A pardoned classifier penalty was the classifier's false alarm: the message (its
	// evidence is the message) teaches it (last, see learner.teach). A keyword or detector
	// strike keeps only the word it matched, which is no example of an ordinary message;
	// the lexicon and its allow list are how those are corrected.
	if s.Actor == "bot" && s.Evidence != "" && s.Rule == rules.CheckClassifier {
		return m.learn.teach(t, m.learn.textOf(s), false, "pardon", target.Key)
	}
	return nil
}

func (m *Module) cmdClear(t *bot.Turn, a bot.Args) error {
	target, err := oneTarget(t, a, false)
	if err != nil {
		return err
	}
	n, err := t.Tx.RevokeAllStrikes(target.Key, t.Now)
	if err != nil {
		return err
	}
	unmuted, err := t.Tx.Unmute(target.Key, t.Now)
	if err != nil {
		return err
	}
	if unmuted {
		if _, err := t.MuteOnPlatform(target, 0); err != nil {
			return err
		}
	}
	cancelled, err := t.Tx.CloseRemovals(target.Key, storage.RemovalCancelled, t.Now)
	if err != nil {
		return err
	}
	if err := t.Audit("clear", target.Key, map[string]any{"strikes": n, "unmuted": unmuted, "removals_cancelled": cancelled}); err != nil {
		return err
	}
	return t.Say(fmt.Sprintf("已清除 %s的记录：撤销 %d 次违规%s%s。", bot.Mention(target), n,
		map[bool]string{true: "，解除禁言", false: ""}[unmuted], map[bool]string{true: "，取消移出请求", false: ""}[cancelled > 0]), target)
}

func (m *Module) cmdHistory(t *bot.Turn, a bot.Args) error {
	target, err := oneTarget(t, a, false)
	if err != nil {
		return err
	}
	list, err := t.Tx.Strikes(target.Key, 10)
	if err != nil {
		return err
	}
	window := t.Group.Config.Moderation.LadderSteps().Window
	live, err := t.Tx.StrikeCount(target.Key, t.Now.Add(-window), false)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "「%s」的记录：近%s内累计 %d 次", target.ShownName(), humanDuration(window), live)
	if mute, ok, err := t.Tx.ActiveMute(target.Key, t.Now); err != nil {
		return err
	} else if ok {
		fmt.Fprintf(&b, "，禁言到 %s", clock(t, mute.Until))
	}
	if _, ok, err := t.Tx.PendingRemoval(target.Key); err != nil {
		return err
	} else if ok {
		b.WriteString("，等待群主移出")
	}
	shown := 0
	for _, s := range list {
		if s.DryRun {
			continue
		}
		state := ""
		if s.Revoked {
			state = "（已撤销）"
		}
		fmt.Fprintf(&b, "\n· %s %s %s%s", s.Time.In(t.Engine().Location()).Format("01-02 15:04"), levelName(s.Level), safetext.Quote(s.Reason, 80), state)
		shown++
	}
	if shown == 0 {
		b.WriteString("\n没有违规记录。")
	}
	return t.Answer(b.String())
}

func levelName(l string) string {
	switch rules.Action(l) {
	case rules.ActionWarn:
		return "警告"
	case rules.ActionMute:
		return "禁言"
	case rules.ActionRemove:
		return "移出"
	}
	if l == LevelHeld {
		return "记下（未升级）"
	}
	return l
}

func (m *Module) whitelist(on bool) func(t *bot.Turn, a bot.Args) error {
	return func(t *bot.Turn, a bot.Args) error {
		target, err := oneTarget(t, a, false)
		if err != nil {
			return err
		}
		if err := t.Tx.SetWhitelisted(target.Key, target.GroupKey, on, t.Now, actor(t)); err != nil {
			return err
		}
		action := map[bool]string{true: "whitelist", false: "unwhitelist"}[on]
		if err := t.Audit(action, target.Key, nil); err != nil {
			return err
		}
		if on {
			return t.Say(fmt.Sprintf("已把 %s加入推广白名单：每天可以发 %d 条推广。", bot.Mention(target), t.Group.Config.Moderation.Promotion.PerDay), target)
		}
		return t.Say(fmt.Sprintf("已把 %s移出推广白名单。", bot.Mention(target)), target)
	}
}

func (m *Module) setAdmin(on bool) func(t *bot.Turn, a bot.Args) error {
	return func(t *bot.Turn, a bot.Args) error {
		target, err := oneTarget(t, a, false)
		if err != nil {
			return err
		}
		if target.Role == bot.RoleOwner {
			return bot.Usagef("群主本来就有全部权限。")
		}
		if t.ListedAdmin(target) {
			// The file is the owner's standing word: chat does not undo it.
			if on {
				return bot.Usagef("「%s」已经是配置文件（admins）里写的管理员了。", target.ShownName())
			}
			return bot.Usagef("「%s」是配置文件（admins）里写的管理员：要取消，请从配置文件里删掉再「重载配置」。", target.ShownName())
		}
		role := storage.RoleMember
		if on {
			role = storage.RoleAdmin
		}
		if target.Role == role {
			return bot.Usagef("「%s」已经%s了。", target.ShownName(), map[bool]string{true: "是管理员", false: "不是管理员"}[on])
		}
		if err := t.Tx.SetRole(target.Key, role); err != nil {
			return err
		}
		if err := t.Audit("role", target.Key, map[string]any{"role": role, "name": target.Name()}); err != nil {
			return err
		}
		if on {
			return t.Say(fmt.Sprintf("已设 %s为机器人管理员（可以使用警告、禁言等命令）。", bot.Mention(target)), target)
		}
		return t.Say(fmt.Sprintf("已取消 %s的管理员权限。", bot.Mention(target)), target)
	}
}

func (m *Module) cmdReport(t *bot.Turn, a bot.Args) error {
	if len(a.Targets) != 1 {
		return bot.Usagef("请 @ 你要举报的成员。")
	}
	target := a.Targets[0]
	reason := a.Rest
	if reason == "" {
		reason = "（没有写原因）"
	}
	if err := t.Audit("report", target.Key, map[string]any{"reporter": t.Member.Key, "reporter_name": t.Member.Name(), "reason": truncate(reason, 200)}); err != nil {
		return err
	}
	// Everything a member wrote is quoted on one line (safetext): a reason cannot start a
	// line of its own that passes for the bot's voice (a forged removal request).
	if err := t.NotifyOwner(fmt.Sprintf("📣 举报：「%s」在群「%s」举报了「%s」\n原因：「%s」\n处理：在群里发「记录 @%s」查看记录，「警告 @%s」警告。",
		safetext.Name(t.Member.Name()), safetext.Name(t.Group.Name), safetext.Name(target.Name()), safetext.Quote(reason, safetext.ReasonMax),
		target.ShownName(), target.ShownName())); err != nil {
		return err
	}
	return t.Reply(t.Group.Config.Texts.Text("report.thanks", nil))
}
