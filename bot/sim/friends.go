package sim

import "qunbot/bot"

// IsFriend reports whether a member is the owner's friend (bot.Friends): a script says so
// with @friend 张三. The simulator's member ids are the script names.
func (p *Platform) IsFriend(m bot.MemberInfo) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.friends[m.ID]
}

func (p *Platform) addFriend(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.friends[name] = true
}
