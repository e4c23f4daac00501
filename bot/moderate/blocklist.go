package moderate

import (
	"fmt"
	"qunbot/internal/safetext"
	"strconv"
	"strings"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// The blocklist (issue 21): a member removed for moderation — a real kick, or a removal
// request the owner carried out — or listed with 拉黑 is remembered, and removed again
// (or their removal requested) when they join any of the owner's groups, without a
// welcome or points. Where the platform's ids are stable (QQ) the id decides; on WeChat
// the nickname (and AttrStatus where known), and only when nobody else alive could be
// the one meant: a namesake is never caught.

// blockSource is the removal source of a blocklisted member's removal (a moderation one:
// while it is pending their messages earn nothing and are not judged again).
const blockSource = "moderation:blocklist"

// blockMember lists m, after a moderation removal or a 拉黑. It returns the entry and
// whether it is new.
func blockMember(t *bot.Turn, m storage.Member, reason, source string) (storage.Block, bool, error) {
	b := storage.Block{GroupKey: m.GroupKey, MemberKey: m.Key, Nickname: m.Nickname, DisplayName: m.DisplayName,
		AttrStatus: m.AttrStatus, Reason: truncate(reason, 120), Source: source, Actor: actor(t), AddedAt: t.Now}
	if !t.Owner && !t.Admin {
		b.Actor = "bot"
	}
	if t.Engine().Capabilities().StableIDs {
		b.PlatformID = m.PlatformID
	}
	b, created, err := t.Tx.AddBlock(b)
	if err != nil || !created {
		return b, created, err
	}
	return b, true, t.Audit("blocklist_add", m.Key, map[string]any{"entry": b.ID, "name": m.Name(), "reason": b.Reason, "source": source})
}

// rememberRemoval lists a member the ladder or an admin removed (called where the removal
// is carried out: a real kick now; a request when the member is gone, see OnLeave).
func rememberRemoval(t *bot.Turn, m storage.Member, v Violation) error {
	if !t.Group.Config.Blocklist.Enabled {
		return nil
	}
	_, _, err := blockMember(t, m, v.Reason, "moderation:"+v.Rule)
	return err
}

// OnLeave handles a confirmed removal (the owner removed a member moderation asked to
// remove): the classifier learns from it, and the member goes on the blocklist.
func (m *Module) OnLeave(t *bot.Turn, left []storage.Member) error {
	if err := m.learnFromLeave(t, left); err != nil {
		return err
	}
	return m.blockOnLeave(t, left)
}

// blockOnLeave lists members whose moderation removal request was just carried out.
func (m *Module) blockOnLeave(t *bot.Turn, left []storage.Member) error {
	if !t.Group.Config.Blocklist.Enabled {
		return nil
	}
	for _, mem := range left {
		r, ok, err := t.Tx.ClosedRemoval(mem.Key, storage.RemovalDone, t.Now)
		if err != nil {
			return err
		}
		if !ok || !strings.HasPrefix(r.Source, "moderation:") || r.Source == blockSource {
			continue
		}
		if _, _, err := blockMember(t, mem, r.Reason, r.Source); err != nil {
			return err
		}
	}
	return nil
}

// blockMatch is what the blocklist says about one joiner.
type blockMatch struct {
	entry     storage.Block
	ok        bool // listed: act
	ambiguous bool // someone else alive could be the one listed: tell the owner, do nothing
}

// matchBlock decides whether a joiner is on the list.
func matchBlock(t *bot.Turn, entries []storage.Block, j storage.Member, joined []storage.Member) (blockMatch, error) {
	scope := t.Group.Config.Blocklist.Scope
	stable := t.Engine().Capabilities().StableIDs
	var cands []storage.Block
	for _, e := range entries {
		if scope == config.BlockScopeGroup && e.GroupKey != t.Group.Key {
			continue
		}
		switch {
		case e.MemberKey == j.Key:
			// The engine's own identity says it is the listed member back.
			return blockMatch{entry: e, ok: true}, nil
		case stable:
			if e.PlatformID != "" && e.PlatformID == j.PlatformID {
				return blockMatch{entry: e, ok: true}, nil
			}
		case e.PlatformID == "" && e.Nickname != "" && e.Nickname == j.Nickname &&
			(e.AttrStatus == 0 || j.AttrStatus == 0 || e.AttrStatus == j.AttrStatus):
			cands = append(cands, e)
		}
	}
	if len(cands) == 0 {
		return blockMatch{}, nil
	}
	// By name only (WeChat). A member of this group known before the entry was made is
	// someone else with the same name: never caught.
	if !j.FirstSeen.IsZero() && j.FirstSeen.Before(cands[0].AddedAt) {
		return blockMatch{}, nil
	}
	// Anyone else alive under that name — in any group, or joining now — could be the one
	// a match means: then nobody is caught.
	live, err := t.Tx.LiveMembersNicknamed(j.Nickname)
	if err != nil {
		return blockMatch{}, err
	}
	for _, o := range live {
		if o.Key != j.Key && (o.AttrStatus == 0 || j.AttrStatus == 0 || o.AttrStatus == j.AttrStatus) {
			return blockMatch{entry: cands[0], ambiguous: true}, nil
		}
	}
	for _, o := range joined {
		if o.Key != j.Key && o.Nickname == j.Nickname {
			return blockMatch{entry: cands[0], ambiguous: true}, nil
		}
	}
	return blockMatch{entry: cands[0], ok: true}, nil
}

// screenBlocked acts on listed joiners: no welcome, a kick where the platform can, a
// removal request where it can't. It returns the joiners it left alone.
func screenBlocked(t *bot.Turn, joined []storage.Member) ([]storage.Member, error) {
	if !t.Group.Config.Blocklist.Enabled || len(joined) == 0 {
		return joined, nil
	}
	entries, err := t.Tx.ActiveBlocks()
	if err != nil || len(entries) == 0 {
		return joined, err
	}
	var kept []storage.Member
	for _, j := range joined {
		if j.Role == storage.RoleAdmin || j.Role == bot.RoleOwner {
			kept = append(kept, j)
			continue
		}
		mt, err := matchBlock(t, entries, j, joined)
		if err != nil {
			return nil, err
		}
		switch {
		case mt.ambiguous:
			kept = append(kept, j)
			if err := t.Audit("blocklist_ambiguous", j.Key, map[string]any{"entry": mt.entry.ID, "name": j.Name()}); err != nil {
				return nil, err
			}
			if err := t.NotifyOwner(fmt.Sprintf("⚠️ 「%s」加入了群「%s」，和黑名单里的「%s」（#%d）同名，但还有同名的人在群里，无法确定是不是同一个人，所以没有处理。如确认是同一人，请在群里发「拉黑 @%s」。",
				safetext.Name(j.ShownName()), safetext.Name(t.Group.Name), safetext.Name(mt.entry.Name()), mt.entry.ID, safetext.Name(j.ShownName()))); err != nil {
				return nil, err
			}
		case mt.ok:
			if err := actOnBlocked(t, j, mt.entry); err != nil {
				return nil, err
			}
		default:
			kept = append(kept, j)
		}
	}
	return kept, nil
}

// actOnBlocked removes (or asks the owner to remove) a listed member who joined.
func actOnBlocked(t *bot.Turn, j storage.Member, e storage.Block) error {
	if err := t.Tx.RecordBlockHit(j.Key, e.ID, t.Now); err != nil {
		return err
	}
	if err := t.Tx.SetWelcomed(j.Key); err != nil { // no welcome
		return err
	}
	reason := "黑名单成员重新入群"
	if e.Reason != "" {
		reason += "（当初：" + truncate(e.Reason, 40) + "）"
	}
	if err := t.Audit("blocklist_hit", j.Key, map[string]any{"entry": e.ID, "name": j.Name(), "listed_in": e.GroupKey}); err != nil {
		return err
	}
	t.Emit("penalty", j, map[string]any{"level": "remove", "rule": "blocklist", "strikes": 0, "reason": reason})
	removed, err := t.RemoveOrRequest(j, bot.RemovalReason{Source: blockSource, Reason: reason,
		Evidence: fmt.Sprintf("黑名单 #%d：%s", e.ID, e.Name())})
	if err != nil {
		return err
	}
	if removed {
		return t.Say(fmt.Sprintf("🚫 %s 在黑名单中，已移出群。", j.ShownName()))
	}
	return nil
}

// blockCommands are 拉黑, 取消拉黑 and 黑名单.
func (m *Module) blockCommands() []*bot.Command {
	return []*bot.Command{
		{Name: "拉黑", Aliases: []string{"block", "ban"}, Usage: "拉黑 @成员 [原因]（已退群的写名字：拉黑 名字 [原因]）", Summary: "拉黑成员：移出本群，以后再进群主的任何群都会被移出",
			Perm: bot.AdminOnly, Run: m.cmdBlock},
		{Name: "取消拉黑", Aliases: []string{"unblock", "unban"}, Usage: "取消拉黑 @成员 | 名字 | #编号", Summary: "把成员移出黑名单",
			Perm: bot.AdminOnly, Where: bot.Anywhere, Run: m.cmdUnblock},
		{Name: "黑名单", Aliases: []string{"blocklist"}, Usage: "黑名单", Summary: "查看黑名单",
			Perm: bot.AdminOnly, Where: bot.Anywhere, Run: m.cmdBlocklist},
	}
}

func (m *Module) cmdBlock(t *bot.Turn, a bot.Args) error {
	if len(a.Targets) == 0 && len(a.Fields) > 0 {
		// 「拉黑 名字」: someone who already left can't be @-ed.
		found, err := t.Tx.MembersNamed(t.Group.Key, a.Fields[0])
		if err != nil {
			return err
		}
		if len(found) != 1 {
			if len(found) > 1 {
				return bot.Usagef("有 %d 位成员叫「%s」，无法确定是哪一位；还在群里的请用 @。", len(found), a.Fields[0])
			}
			return bot.Usagef("找不到成员「%s」。", a.Fields[0])
		}
		a.Targets, a.Rest = found, strings.TrimSpace(strings.TrimPrefix(a.Rest, a.Fields[0]))
	}
	target, err := oneTarget(t, a, true)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(a.Rest)
	if reason == "" {
		reason = "管理员拉黑"
	}
	b, created, err := blockMember(t, target, reason, "command")
	if err != nil {
		return err
	}
	if !created {
		return bot.Usagef("「%s」已经在黑名单里了（#%d）。", target.ShownName(), b.ID)
	}
	removed := false
	if target.InGroup() {
		if removed, err = t.RemoveOrRequest(target, bot.RemovalReason{Source: blockSource, Reason: "拉黑：" + truncate(reason, 60)}); err != nil {
			return err
		}
	}
	where := "群主的所有群"
	if t.Group.Config.Blocklist.Scope == config.BlockScopeGroup {
		where = "本群"
	}
	switch {
	case removed:
		return t.Answer(fmt.Sprintf("已拉黑「%s」（#%d）并移出群；以后再进%s会被自动移出。", target.ShownName(), b.ID, where))
	case target.InGroup():
		return t.Answer(fmt.Sprintf("已拉黑「%s」（#%d），已请群主移出；以后再进%s会被自动处理。", target.ShownName(), b.ID, where))
	}
	return t.Answer(fmt.Sprintf("已拉黑「%s」（#%d）；以后再进%s会被自动处理。", target.ShownName(), b.ID, where))
}

func (m *Module) cmdUnblock(t *bot.Turn, a bot.Args) error {
	entries, err := t.Tx.ActiveBlocks()
	if err != nil {
		return err
	}
	var found []storage.Block
	name := strings.TrimSpace(a.Rest)
	switch {
	case len(a.Targets) == 1:
		target := a.Targets[0]
		hit, err := t.Tx.Blocked(target.Key)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.MemberKey == target.Key || (e.PlatformID != "" && e.PlatformID == target.PlatformID) ||
				(hit && e.Nickname == target.Nickname) {
				found = append(found, e)
			}
		}
		name = target.ShownName()
	case strings.HasPrefix(name, "#") || strings.HasPrefix(name, "＃"):
		id, err := strconv.ParseInt(strings.TrimLeft(name, "#＃"), 10, 64)
		if err != nil {
			return bot.Usagef("编号「%s」看不懂，请写黑名单里的 #编号。", name)
		}
		for _, e := range entries {
			if e.ID == id {
				found = append(found, e)
			}
		}
	case name != "":
		for _, e := range entries {
			if e.Nickname == name || e.DisplayName == name || e.PlatformID == name {
				found = append(found, e)
			}
		}
	default:
		return bot.Usagef("请 @ 成员，或写名字、#编号。")
	}
	if len(found) == 0 {
		return bot.Usagef("黑名单里没有「%s」。发「黑名单」查看。", name)
	}
	if len(found) > 1 && len(a.Targets) == 0 {
		ids := make([]string, len(found))
		for i, e := range found {
			ids[i] = fmt.Sprintf("#%d", e.ID)
		}
		return bot.Usagef("黑名单里有 %d 条「%s」（%s），请用 #编号 指定。", len(found), name, strings.Join(ids, "、"))
	}
	for _, e := range found {
		// Removal requests the entry made are withdrawn with it (read before the lift
		// forgets whom it matched).
		hits, err := t.Tx.BlockHits(e.ID)
		if err != nil {
			return err
		}
		for _, k := range append(hits, e.MemberKey) {
			if r, pending, err := t.Tx.PendingRemoval(k); err != nil {
				return err
			} else if pending && r.Source == blockSource {
				if _, err := t.Tx.CloseRemovals(k, storage.RemovalCancelled, t.Now); err != nil {
					return err
				}
				if err := t.Audit("remove_cancel", k, map[string]any{"removal": r.ID, "why": "blocklist_lift"}); err != nil {
					return err
				}
			}
		}
		if _, err := t.Tx.LiftBlock(e.ID, t.Now, actor(t)); err != nil {
			return err
		}
		if err := t.Audit("blocklist_lift", e.MemberKey, map[string]any{"entry": e.ID, "name": e.Name()}); err != nil {
			return err
		}
	}
	return t.Answer(fmt.Sprintf("已把「%s」移出黑名单。", found[0].Name()))
}

func (m *Module) cmdBlocklist(t *bot.Turn, a bot.Args) error {
	entries, err := t.Tx.ActiveBlocks()
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return t.Answer("黑名单是空的。")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "🚫 黑名单（%d 人）：", len(entries))
	for _, e := range entries {
		fmt.Fprintf(&b, "\n#%d %s（%s，%s）", e.ID, safetext.Name(storage.ShownName(e.Name())), safetext.Name(t.Engine().GroupName(e.GroupKey)),
			e.AddedAt.In(t.Engine().Location()).Format("01-02"))
		if e.Reason != "" {
			b.WriteString("：" + safetext.Quote(e.Reason, 30))
		}
	}
	b.WriteString("\n取消：取消拉黑 @成员 / 名字 / #编号")
	return t.Answer(b.String())
}
