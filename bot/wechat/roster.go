package wechat

import "qunbot/bot"

// LiveMembers is bot.Roster: the group's members under this login's ids, as last read from
// WeChat, without any I/O (the engine asks on its loop). known is false before the list
// has been read in this login: the engine then grants no role or points on a name.
func (a *Adapter) LiveMembers(groupID string) ([]bot.MemberInfo, bool) {
	s, err := a.live()
	if err != nil {
		return nil, false
	}
	id, err := s.resolveGroup(groupID)
	if err != nil || !s.loaded(id) {
		return nil, false
	}
	return s.memberList(id), true
}

var _ bot.Roster = (*Adapter)(nil)
