package bot

import "qunbot/storage"

// Friends is an optional Platform ability: whether a member is a friend of the account
// the bot runs on, so that a private message reaches them (WeChat delivers DMs to friends
// only; QQ to friends reliably). The articles send the silent steps and screening
// reminders privately where they can: a nudge in private does not shame anyone in front
// of the group. It is asked when a reminder is decided, on the engine loop, so it must
// answer from what the adapter already knows, without a call.
type Friends interface {
	IsFriend(m MemberInfo) bool
}

// CanDM reports whether a private message to m would reach them: the platform says
// they are the owner's friend. A platform that cannot tell says no, and the caller falls
// back to the group.
func (t *Turn) CanDM(m storage.Member) bool {
	f, ok := t.e.platform.(Friends)
	if !ok {
		return false
	}
	return f.IsFriend(MemberInfo{ID: m.PlatformID, Nickname: m.Nickname, DisplayName: m.DisplayName})
}
