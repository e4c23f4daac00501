package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"qunbot/internal/safetext"
	"qunbot/storage"
)

// RemovalReason explains why a member should go: which feature asked, why, and the
// evidence (the message that broke the rule, or empty).
type RemovalReason struct {
	Source   string // "moderation:ads", "silent", "screening"
	Reason   string // Chinese, for the owner and the audit log
	Evidence string

	cannot string // why the bot cannot remove the member itself (the request's last line)
}

// RemoveOrRequest is the removal step, degraded honestly: a platform that can remove does
// it; on WeChat (which cannot) the owner gets a removal request in the file helper and the
// member is marked pending until they are gone. It reports whether the member was actually
// removed (false: requested, or a request was already open).
func (t *Turn) RemoveOrRequest(m storage.Member, why RemovalReason) (removed bool, err error) {
	protected, err := t.Protected(m)
	if err != nil {
		return false, err
	}
	can := t.e.CapabilitiesIn(m.GroupKey).CanRemove
	if can && !protected {
		if err := t.Remove(m, why.Reason); err != nil {
			return false, err
		}
		return true, t.Audit("remove", m.Key, map[string]any{"source": why.Source, "reason": why.Reason, "evidence": why.Evidence})
	}
	why.cannot = cannotRemoveWhy(t.e.caps.CanRemove, can, protected)
	if !t.e.caps.CanRemove && (t.e.caps.CanMute || t.e.caps.CanRecall) {
		// Not WeChat: a platform that mutes but cannot remove (a simulator so started).
		why.cannot = "这个平台不允许机器人踢人，请手动移除；对方离开后这条请求会自动完成。"
	}
	if !can {
		if err := t.noteCannot(m.GroupKey, t.e.caps.CanRemove); err != nil {
			return false, err
		}
	}
	created, err := t.e.requestRemoval(t.Tx, m, why, t.Now, t.actor(), t.enqueue)
	if err != nil || !created {
		return false, err
	}
	return false, nil
}

// cannotRemoveWhy is the last line of a removal request: why the owner has to do it.
func cannotRemoveWhy(platformCan, groupCan, protected bool) string {
	switch {
	case protected:
		return "对方是群主或管理员，机器人不会踢管理员；如确需移出，请你亲自处理。"
	case platformCan && !groupCan:
		return "机器人不是这个群的管理员，不能踢人：请在群设置里手动移除（或把机器人设为群管理员）；对方离开后这条请求会自动完成。"
	case platformCan:
		return "机器人踢人没有成功，请在群设置里手动移除；对方离开后这条请求会自动完成。"
	}
	return "微信不允许机器人踢人，请在群聊信息里手动移除；对方离开后这条请求会自动完成。"
}

// requestRemoval opens a removal request for the owner, with its audit entry and the
// message to the owner queued through enqueue, inside tx. created is false when one is
// open already. The outbox uses it too, when the platform refuses a removal.
func (e *Engine) requestRemoval(tx *storage.Tx, m storage.Member, why RemovalReason, now time.Time, actor string,
	enqueue func(storage.OutMessage) error) (created bool, err error) {
	r, created, err := tx.RequestRemoval(storage.Removal{GroupKey: m.GroupKey, MemberKey: m.Key, RequestedAt: now,
		Source: why.Source, Reason: why.Reason, Evidence: why.Evidence})
	if err != nil || !created {
		return false, err
	}
	if _, err := tx.Audit(storage.AuditEntry{Time: now, GroupKey: m.GroupKey, MemberKey: m.Key, Actor: actor, Action: "remove_request",
		Detail: map[string]any{"removal": r.ID, "source": why.Source, "reason": why.Reason, "evidence": why.Evidence}}); err != nil {
		return false, err
	}
	// The group's name from the database: the outbox calls this off the engine's loop.
	g, _, err := tx.GroupByKey(m.GroupKey)
	if err != nil {
		return false, err
	}
	return true, enqueue(storage.OutMessage{Created: now, Kind: storage.OutDM, Target: Filehelper,
		Text: removalRequestText(r.ID, g.Name, m, why, now.In(e.Location()))})
}

// removalRequestText is the owner's removal request. It opens with its number, 「🚨 移出请求
// #12」, a line member text cannot produce: everything a member wrote (the name, a reported
// reason, the evidence) is quoted on one line of its own (safetext), after a label. The
// owner's 「已移出 #12」 refers to the number.
func removalRequestText(id int64, group string, m storage.Member, why RemovalReason, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "🚨 移出请求 #%d\n", id)
	fmt.Fprintf(&b, "请把「%s」移出群「%s」\n", safetext.Name(m.Name()), safetext.Name(group))
	fmt.Fprintf(&b, "原因：%s\n", safetext.Quote(why.Reason, safetext.ReasonMax))
	if why.Evidence != "" {
		fmt.Fprintf(&b, "证据：「%s」\n", safetext.Quote(why.Evidence, safetext.TextMax))
	}
	fmt.Fprintf(&b, "时间：%s\n", now.Format("01-02 15:04"))
	if why.cannot == "" {
		why.cannot = cannotRemoveWhy(false, false, false)
	}
	b.WriteString(why.cannot)
	fmt.Fprintf(&b, "\n移出后可以回复「已移出 #%d」。", id)
	return b.String()
}

// RemindRemoval tells the owner again, at most once per `every`, that a member with a
// pending removal request is still in the group (e.g. they spoke again).
func (t *Turn) RemindRemoval(m storage.Member, every time.Duration) error {
	r, ok, err := t.Tx.PendingRemoval(m.Key)
	if err != nil || !ok {
		return err
	}
	last := r.LastReminded
	if last.IsZero() {
		last = r.RequestedAt
	}
	if t.Now.Sub(last) < every {
		return nil
	}
	if err := t.Tx.MarkReminded(r.ID, t.Now); err != nil {
		return err
	}
	where := "群聊信息" // WeChat's name for the group's settings page
	if t.e.caps.CanRemove {
		where = "群设置"
	}
	return t.NotifyOwner(fmt.Sprintf("⏰ 提醒（移出请求 #%d）：「%s」还在群「%s」里（%s 已请求移出，原因：%s）。请在%s里手动移除，移出后可以回复「已移出 #%d」。",
		r.ID, safetext.Name(m.Name()), safetext.Name(t.e.GroupName(m.GroupKey)), r.RequestedAt.In(t.e.Location()).Format("01-02 15:04"),
		safetext.Quote(r.Reason, safetext.ReasonMax), where, r.ID))
}

// removalCommands are the owner's answers to removal requests.
func (e *Engine) removalCommands() []*Command {
	return []*Command{{
		Name: "已移出", Aliases: []string{"removed"}, Usage: "已移出 #编号",
		Summary: "告诉机器人你已经按移出请求把人移出了群（编号见「🚨 移出请求 #编号」）",
		Perm:    OwnerOnly, Where: InConsole, NoCooldown: true, Run: e.cmdRemoved,
	}}
}

// cmdRemoved is 「已移出 #12」: the owner removed the member of request 12 by hand. The
// request is done and the member is recorded as gone, as if the platform had said so (it
// may still say so later: that changes nothing twice).
func (e *Engine) cmdRemoved(t *Turn, a Args) error {
	id, err := strconv.ParseInt(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(a.Text), "#＃")), 10, 64)
	if err != nil || id <= 0 {
		return Usagef("请写移出请求的编号，例如「已移出 #12」（编号在「🚨 移出请求 #12」里）。")
	}
	pending, err := t.Tx.PendingRemovals(0)
	if err != nil {
		return err
	}
	var r storage.Removal
	for _, p := range pending {
		if p.ID == id {
			r = p
		}
	}
	if r.ID == 0 {
		return t.NotifyOwner(fmt.Sprintf("没有待处理的移出请求 #%d（可能已经完成或取消了）。", id))
	}
	m, err := t.Tx.Member(r.MemberKey)
	if err != nil {
		return err
	}
	if _, err := t.Tx.CloseRemovals(m.Key, storage.RemovalDone, t.Now); err != nil {
		return err
	}
	left, err := t.Tx.MarkLeft(m.Key, t.Now)
	if err != nil {
		return err
	}
	detail := map[string]any{"removal": r.ID, "name": m.Name(), "by": "owner"}
	if _, err := t.Tx.Audit(storage.AuditEntry{Time: t.Now, GroupKey: m.GroupKey, MemberKey: m.Key, Actor: "owner",
		Action: "remove_done", Detail: detail}); err != nil {
		return err
	}
	if left {
		if _, err := t.Tx.Audit(storage.AuditEntry{Time: t.Now, GroupKey: m.GroupKey, MemberKey: m.Key, Actor: "owner",
			Action: "leave", Detail: map[string]any{"name": m.Name(), "kicked": true, "operator": "owner"}}); err != nil {
			return err
		}
	}
	return t.NotifyOwner(fmt.Sprintf("✅ 移出请求 #%d 已完成：「%s」已移出群「%s」。", r.ID, safetext.Name(m.Name()), safetext.Name(e.GroupName(m.GroupKey))))
}
