package moderate

import (
	"fmt"
	"qunbot/internal/safetext"
	"strconv"
	"strings"

	"qunbot/bot"
	"qunbot/rules"
	"qunbot/storage"
)

// learnCommands are the owner's and admins' ways to teach the classifier: label a review
// (广告 N / 正常 N), mark a member's last message as an ad (广告 @x), list the queue (复核).
// 误判 @x is an alias of 撤销警告, which also teaches that the message was ordinary.
func (m *Module) learnCommands() []*bot.Command {
	return []*bot.Command{
		{Name: "广告", Aliases: []string{"spam"}, Usage: "广告 @成员（在群里：把 TA 的上一条消息标为广告并处罚）/ 广告 复核编号", Summary: "标记广告：处罚并让机器人学会",
			Perm: bot.AdminOnly, Where: bot.Anywhere, Run: m.cmdSpam},
		{Name: "正常", Aliases: []string{"ham"}, Usage: "正常 复核编号", Summary: "复核：这条不是广告（机器人会学会）",
			Perm: bot.OwnerOnly, Where: bot.InConsole, Run: m.cmdHam},
		{Name: "复核", Aliases: []string{"reviews"}, Usage: "复核", Summary: "查看待复核的消息",
			Perm: bot.OwnerOnly, Where: bot.InConsole, Run: m.cmdReviews},
	}
}

// reviewID reads "N" or "#N".
func reviewID(a bot.Args) (int64, bool) {
	if len(a.Fields) != 1 {
		return 0, false
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(a.Fields[0], "#"), 10, 64)
	return id, err == nil && id > 0
}

func (m *Module) cmdSpam(t *bot.Turn, a bot.Args) error {
	if id, ok := reviewID(a); ok && len(a.Targets) == 0 {
		if !t.Owner {
			return bot.Usagef("复核只有群主能标记。")
		}
		return m.LabelReview(t, id, true)
	}
	if t.Event == nil || t.Event.Console || t.Group.Key == 0 {
		return bot.Usagef("在文件传输助手里请写复核编号，例如「广告 3」；要标记某人的消息，请在群里发「广告 @成员」。")
	}
	target, err := oneTarget(t, a, true)
	if err != nil {
		return err
	}
	last, ok := m.learn.lastOf(target.Key)
	if !ok {
		return bot.Usagef("没找到「%s」最近的消息（机器人重启后只记得新消息）。", target.ShownName())
	}
	if _, err := apply(t, target, Violation{Rule: "admin", Reason: "管理员标记为广告：「" + truncate(last.text, 40) + "」",
		Evidence: last.text, Action: rules.ActionStrike, Strikes: 1, Actor: actor(t), MessageID: last.id}, ref(t, "spam")); err != nil {
		return err
	}
	return m.learn.teach(t, last.text, true, "admin:广告", target.Key)
}

func (m *Module) cmdHam(t *bot.Turn, a bot.Args) error {
	id, ok := reviewID(a)
	if !ok {
		return bot.Usagef("请写复核编号，例如「正常 3」。发「复核」查看待复核的消息。")
	}
	return m.LabelReview(t, id, false)
}

func (m *Module) cmdReviews(t *bot.Turn, _ bot.Args) error {
	open, err := t.Tx.OpenReviews(20)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return t.Answer("没有待复核的消息。")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "待复核 %d 条（最早的在前）：\n", len(open))
	for _, r := range open {
		member, err := t.Tx.Member(r.MemberKey)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "#%d 「%s」在「%s」：「%s」（评分 %.2f）\n", r.ID, safetext.Name(member.ShownName()), safetext.Name(t.Engine().GroupName(r.GroupKey)),
			safetext.Quote(r.Text, 60), r.Score)
	}
	b.WriteString("回复「广告 编号」按广告处罚（机器人会学会），「正常 编号」放行（也会学会）。")
	return t.Answer(b.String())
}

// LabelReview is the owner's label on a review request, from the console or the dashboard:
// a training example either way, and a 广告 label puts the member on the ladder. A review
// labelled already is reported, not labelled twice.
func (m *Module) LabelReview(t *bot.Turn, id int64, spam bool) error {
	r, ok, err := t.Tx.ReviewByID(id)
	if err != nil {
		return err
	}
	if !ok {
		return bot.Usagef("没有编号为 %d 的复核。", id)
	}
	status := storage.ReviewHam
	if spam {
		status = storage.ReviewSpam
	}
	decided, err := t.Tx.DecideReview(id, status, actor(t), t.Now)
	if err != nil {
		return err
	}
	if !decided {
		return bot.Usagef("复核 #%d 已经标记过了（%s）。", id, reviewLabel(r.Status))
	}
	member, err := t.Tx.Member(r.MemberKey)
	if err != nil {
		return err
	}
	if spam && member.LeftAt.IsZero() {
		protected, err := t.Protected(member)
		if err != nil {
			return err
		}
		if !protected {
			if _, err := applyIn(t, r.GroupKey, member, Violation{Rule: rules.CheckClassifier, Reason: "群主复核确认是广告：「" + truncate(r.Text, 40) + "」",
				Evidence: r.Text, Action: rules.ActionStrike, Strikes: 1, Actor: actor(t), MessageID: r.MessageID},
				fmt.Sprintf("review:%d", id)); err != nil {
				return err
			}
		}
	}
	if err := t.Answer(fmt.Sprintf("复核 #%d 已标记为%s，机器人学会了。", id, reviewLabel(status))); err != nil {
		return err
	}
	return m.learn.teach(t, r.Text, spam, "review", r.MemberKey)
}

func reviewLabel(status string) string {
	switch status {
	case storage.ReviewSpam:
		return "广告"
	case storage.ReviewHam:
		return "正常"
	}
	return "待复核"
}

// applyIn puts a violation on the ladder in a group other than the turn's (a label typed
// in the console is about a message in some group), with that group's settings.
func applyIn(t *bot.Turn, groupKey int64, m storage.Member, v Violation, ref string) (Decision, error) {
	name := t.Engine().GroupName(groupKey)
	g, managed := t.Engine().Config().ForGroup(name)
	if !managed || g == nil || !g.Moderation.Enabled {
		return Decision{}, nil // no longer managed or moderated: the label still teaches
	}
	saved := t.Group
	defer func() { t.Group = saved }()
	t.Group = bot.GroupCtx{Key: groupKey, Name: name, Config: g}
	return apply(t, m, v, ref)
}

// learnFromLeave learns from a confirmed removal request: the owner removed a member
// moderation asked to remove, so the message that led there was spam.
func (m *Module) learnFromLeave(t *bot.Turn, left []storage.Member) error {
	for _, member := range left {
		done, err := t.Tx.RemovalClosedAt(member.Key, t.Now)
		if err != nil {
			return err
		}
		if !done {
			continue
		}
		strikes, err := t.Tx.Strikes(member.Key, 1)
		if err != nil {
			return err
		}
		if len(strikes) == 0 || strikes[0].Actor != "bot" || strikes[0].Evidence == "" || strikes[0].Revoked {
			continue
		}
		if rule := strikes[0].Rule; rule == "mute" || rule == rules.CheckFlood || rule == rules.CheckDuplicate || rule == rules.CheckNickname {
			continue // not about what a message said
		}
		if err := m.learn.teach(t, m.learn.textOf(strikes[0]), true, "removal", member.Key); err != nil {
			return err
		}
	}
	return nil
}
