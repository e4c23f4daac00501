package bot

import (
	"fmt"
	"strconv"
	"time"

	"qunbot/internal/safetext"
	"qunbot/storage"
)

// What the engine does with the platform's stronger abilities (QQ through OneBot): real
// mutes, recalls and removals where the bot may, the group's own record of mutes and
// roles, and honest fallbacks where it may not.

// Protected reports whether a member must never be muted or removed by the bot: the
// owner, admins the owner made, and the group's owner and admins on the platform.
func (t *Turn) Protected(m storage.Member) (bool, error) {
	if m.Role == storage.RoleAdmin || m.Role == RoleOwner {
		return true, nil
	}
	if !t.e.caps.StableIDs {
		return false, nil // only platforms with stable ids report roles
	}
	if t.ListedAdmin(m) {
		return true, nil
	}
	role, err := t.e.platformRole(t.Tx, m.Key)
	return platformAdmin(role), err
}

// Can is what the platform can do in the turn's group now.
func (t *Turn) Can() Capabilities { return t.e.CapabilitiesIn(t.Group.Key) }

// MuteOnPlatform queues a real mute of d (0 lifts it) where the group's capabilities
// allow it. The caller records the mute itself (storage.Mute, the soft mute the bot keeps
// on every platform); this only makes the platform enforce it. It reports whether it
// queued anything; where the platform could mute but not here, the owner is told once.
func (t *Turn) MuteOnPlatform(m storage.Member, d time.Duration) (bool, error) {
	if !t.e.CapabilitiesIn(m.GroupKey).CanMute {
		return false, t.noteCannot(m.GroupKey, t.e.caps.CanMute)
	}
	if protected, err := t.Protected(m); err != nil || protected {
		return false, err
	}
	secs := int64((d + time.Second - 1) / time.Second)
	return true, t.enqueue(storage.OutMessage{Created: t.Now, Kind: storage.OutMute, GroupKey: m.GroupKey,
		Target: strconv.FormatInt(m.Key, 10), Text: strconv.FormatInt(secs, 10)})
}

// Recall queues the recall of a member's message (the platform's message id) where the
// group's capabilities allow it; it reports whether it did.
func (t *Turn) Recall(m storage.Member, messageID string) (bool, error) {
	if messageID == "" {
		return false, nil
	}
	if !t.e.CapabilitiesIn(m.GroupKey).CanRecall {
		return false, t.noteCannot(m.GroupKey, t.e.caps.CanRecall)
	}
	return true, t.enqueue(storage.OutMessage{Created: t.Now, Kind: storage.OutRecall, GroupKey: m.GroupKey,
		Target: strconv.FormatInt(m.Key, 10), Text: messageID})
}

// noticeNotAdmin is the kind of the once-per-group notice that the bot lacks the power it
// would need; cleared when its abilities change (EventAbilities).
const noticeNotAdmin = "caps:not_admin"

// noteCannot tells the owner, once per group, that the platform could do what the bot
// wanted but not in this group (a QQ bot that is not a group admin there). On a platform
// that cannot at all (WeChat) there is nothing the owner could fix, and nothing is said.
func (t *Turn) noteCannot(groupKey int64, platformCould bool) error {
	if !platformCould {
		return nil
	}
	first, err := t.Tx.NoticeOnce(groupKey, noticeNotAdmin, t.Now)
	if err != nil || !first {
		return err
	}
	return t.NotifyOwner(notAdminText(t.e.GroupName(groupKey)))
}

func notAdminText(group string) string {
	return fmt.Sprintf("⚠️ 机器人在群「%s」里不是群管理员，不能真正禁言、踢人或撤回消息：违规时只能软禁言（记录在案、禁言期间发言不计积分并升级处罚），该移出的人会请你手动移出。\n"+
		"要让处罚真正生效，请把机器人设为群管理员（QQ 群设置 → 群管理 → 设置管理员）。设好后机器人会自动发现，不用重启。", safetext.Name(group))
}

// onPlatformMute records a mute set or lifted by a person on the platform (QQ's group_ban
// notice), so the bot's record matches the group's: a member muted in the QQ client is
// muted for the bot too (messages earn nothing), and one unmuted there is unmuted here.
func (e *Engine) onPlatformMute(t *Turn) error {
	for _, info := range t.Event.Members {
		m, _, err := e.resolveMember(t.Tx, e.groups[t.Group.Key], info, t.Now)
		if err != nil {
			return err
		}
		detail := map[string]any{"name": m.Name(), "operator": t.Event.Operator, "source": "platform"}
		if t.Event.Duration > 0 {
			until := t.Now.Add(t.Event.Duration)
			if err := t.Tx.SetMute(storage.Mute{MemberKey: m.Key, GroupKey: m.GroupKey, Since: t.Now, Until: until,
				Reason: "管理员在群里禁言"}); err != nil {
				return err
			}
			detail["until"], detail["seconds"] = until.UnixMilli(), int64(t.Event.Duration/time.Second)
			if err := t.Audit("mute_platform", m.Key, detail); err != nil {
				return err
			}
			continue
		}
		was, err := t.Tx.Unmute(m.Key, t.Now)
		if err != nil {
			return err
		}
		detail["was_muted"] = was
		if err := t.Audit("unmute_platform", m.Key, detail); err != nil {
			return err
		}
	}
	return nil
}

// onPlatformRole records members' new platform roles (QQ's group_admin notice).
func (e *Engine) onPlatformRole(t *Turn) error {
	for _, info := range t.Event.Members {
		m, _, err := e.resolveMember(t.Tx, e.groups[t.Group.Key], info, t.Now)
		if err != nil {
			return err
		}
		if err := e.notePlatformRole(t.Tx, m.Key, info.Role); err != nil {
			return err
		}
		if err := t.Audit("platform_role", m.Key, map[string]any{"name": m.Name(), "role": info.Role}); err != nil {
			return err
		}
	}
	return nil
}

// onAbilities follows a change of what the bot may do in a group (made a group admin, or
// no longer one): the owner hears what changed, and a later problem is told again.
func (e *Engine) onAbilities(t *Turn) error {
	if !(e.caps.CanMute || e.caps.CanRemove || e.caps.CanRecall) {
		return nil
	}
	cleared, err := t.Tx.ClearNotices(t.Group.Key, "caps:")
	if err != nil {
		return err
	}
	c := t.Can()
	able := c.CanMute || c.CanRemove || c.CanRecall
	if err := t.Audit("abilities", 0, map[string]any{"mute": c.CanMute, "remove": c.CanRemove, "recall": c.CanRecall}); err != nil {
		return err
	}
	if able {
		if cleared == 0 {
			return nil // it could before as far as the owner knows: nothing to say
		}
		return t.NotifyOwner(fmt.Sprintf("✅ 机器人现在是群「%s」的管理员了：违规处罚会真正禁言、踢人、撤回消息。", safetext.Name(t.Group.Name)))
	}
	if _, err := t.Tx.NoticeOnce(t.Group.Key, noticeNotAdmin, t.Now); err != nil {
		return err
	}
	return t.NotifyOwner(notAdminText(t.Group.Name))
}
