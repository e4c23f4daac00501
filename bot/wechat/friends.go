package wechat

import "qunbot/bot"

// IsFriend reports whether a member is a friend of the owner's account in the current
// login (bot.Friends): WeChat delivers private messages to friends only. The id is the
// member's session UserName as the engine last bound it; one from an earlier login is
// not found, and the reminder then goes to the group — never a DM that cannot arrive.
func (a *Adapter) IsFriend(m bot.MemberInfo) bool {
	s, err := a.live()
	if err != nil || m.ID == "" {
		return false
	}
	return s.isFriend(m.ID)
}
