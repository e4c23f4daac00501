package bot

import (
	"fmt"
	"strings"
	"time"

	"qunbot/storage"
)

// RemovalReason explains why a member should go: which feature asked, why, and the
// evidence (the message that broke the rule, or empty).
type RemovalReason struct {
	Source   string // "moderation:ads", "silent", "screening"
	Reason   string // Chinese, for the owner and the audit log
	Evidence string
}

// RemoveOrRequest is the removal step, degraded honestly: a platform that can remove does
// it; on WeChat (which cannot) the owner gets a removal request in the file helper and the
// member is marked pending until they are gone. It reports whether the member was actually
// removed (false: requested, or a request was already open).
func (t *Turn) RemoveOrRequest(m storage.Member, why RemovalReason) (removed bool, err error) {
	if t.e.caps.CanRemove {
		if err := t.Remove(m); err != nil {
			return false, err
		}
		return true, t.Audit("remove", m.Key, map[string]any{"source": why.Source, "reason": why.Reason, "evidence": why.Evidence})
	}
	r, created, err := t.Tx.RequestRemoval(storage.Removal{GroupKey: m.GroupKey, MemberKey: m.Key, RequestedAt: t.Now,
		Source: why.Source, Reason: why.Reason, Evidence: why.Evidence})
	if err != nil || !created {
		return false, err
	}
	if err := t.Audit("remove_request", m.Key, map[string]any{"removal": r.ID, "source": why.Source, "reason": why.Reason, "evidence": why.Evidence}); err != nil {
		return false, err
	}
	return false, t.NotifyOwner(removalRequestText(t.e.GroupName(m.GroupKey), m, why, t.Now.In(t.e.Location())))
}

func removalRequestText(group string, m storage.Member, why RemovalReason, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "🚨 请把「%s」移出群「%s」\n", m.ShownName(), group)
	fmt.Fprintf(&b, "原因：%s\n", why.Reason)
	if why.Evidence != "" {
		fmt.Fprintf(&b, "证据：%s\n", truncate(why.Evidence, 120))
	}
	fmt.Fprintf(&b, "时间：%s\n", now.Format("01-02 15:04"))
	b.WriteString("微信不允许机器人踢人，请在群聊信息里手动移除；对方离开后这条请求会自动完成。")
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
	return t.NotifyOwner(fmt.Sprintf("⏰ 提醒：「%s」还在群「%s」里（%s 已请求移出，原因：%s）。请在群聊信息里手动移除。",
		m.ShownName(), t.e.GroupName(m.GroupKey), r.RequestedAt.In(t.e.Location()).Format("01-02 15:04"), r.Reason))
}
