package onebottest

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// AddGroup creates a group with the bot in it as role ("owner", "admin" or "member").
func (s *Server) AddGroup(id int64, name, botRole string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = &group{name: name, members: map[int64]*Member{s.opts.SelfID: {Nickname: s.opts.Nickname, Role: botRole}}}
}

// AddFriend makes a user a friend of the bot's account (get_friend_list lists them).
func (s *Server) AddFriend(userID int64, nickname string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.friends[userID] = nickname
}

// RenameGroup changes a group's name (the next get_group_list shows it).
func (s *Server) RenameGroup(id int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id].name = name
}

// AddMember puts a member in a group without any event (they were there before the bot).
func (s *Server) AddMember(groupID, userID int64, nickname, card, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID].members[userID] = &Member{Nickname: nickname, Card: card, Role: role}
}

// SetCard changes a member's group card (QQ sends no event for it; the next message's
// sender shows it).
func (s *Server) SetCard(groupID, userID int64, card string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID].members[userID].Card = card
}

// Member returns a copy of a member's state; ok is false when not in the group.
func (s *Server) Member(groupID, userID int64) (Member, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[groupID]
	if g == nil {
		return Member{}, false
	}
	m, ok := g.members[userID]
	if !ok {
		return Member{}, false
	}
	return *m, true
}

// MessageExists reports whether a message is still there (not recalled).
func (s *Server) MessageExists(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.msgs[id]
	return ok
}

func (s *Server) base(postType string) map[string]any {
	return map[string]any{"time": time.Now().Unix(), "self_id": s.opts.SelfID, "post_type": postType}
}

// Seg builds a segment for GroupMessage.
func Seg(typ string, data map[string]string) map[string]any {
	d := map[string]any{}
	for k, v := range data {
		d[k] = v
	}
	return map[string]any{"type": typ, "data": d}
}

// Text is a text segment.
func Text(t string) map[string]any { return Seg("text", map[string]string{"text": t}) }

// At is an at segment.
func At(qq int64) map[string]any {
	return Seg("at", map[string]string{"qq": strconv.FormatInt(qq, 10)})
}

// GroupMessage sends a group message from a member (who must be in the group) and returns
// its message_id. The event carries the sender as the spec describes, in the configured
// message format.
func (s *Server) GroupMessage(groupID, userID int64, segs ...map[string]any) int64 {
	ev, id := s.GroupMessageEvent(groupID, userID, segs...)
	s.Broadcast(ev)
	return id
}

// GroupMessageEvent builds (and records) a group message event without sending it, so a
// test can send it twice (a replay) or alter it.
func (s *Server) GroupMessageEvent(groupID, userID int64, segs ...map[string]any) (map[string]any, int64) {
	s.mu.Lock()
	s.nextMsg++
	id := s.nextMsg
	s.msgs[id] = message{group: groupID, user: userID}
	m := s.groups[groupID].members[userID]
	sender := map[string]any{"user_id": userID, "nickname": m.Nickname, "card": m.Card, "role": m.Role, "sex": "unknown", "age": 0}
	s.mu.Unlock()
	ev := s.base("message")
	ev["message_type"], ev["sub_type"] = "group", "normal"
	ev["message_id"], ev["group_id"], ev["user_id"] = id, groupID, userID
	ev["anonymous"], ev["font"], ev["sender"] = nil, 0, sender
	raw := cq(segs)
	ev["raw_message"] = raw
	if s.opts.StringFormat {
		ev["message"] = raw
	} else {
		ev["message"] = segs
	}
	return ev, id
}

// PrivateMessage sends a private (friend) message and returns its id.
func (s *Server) PrivateMessage(userID int64, nickname, text string) int64 {
	s.mu.Lock()
	s.nextMsg++
	id := s.nextMsg
	s.mu.Unlock()
	ev := s.base("message")
	ev["message_type"], ev["sub_type"] = "private", "friend"
	ev["message_id"], ev["user_id"], ev["font"] = id, userID, 0
	ev["sender"] = map[string]any{"user_id": userID, "nickname": nickname, "sex": "unknown", "age": 0}
	segs := []map[string]any{Text(text)}
	ev["raw_message"] = cq(segs)
	if s.opts.StringFormat {
		ev["message"] = cq(segs)
	} else {
		ev["message"] = segs
	}
	s.Broadcast(ev)
	return id
}

// Join adds a member and sends group_increase (operator: the inviter, 0 for none).
func (s *Server) Join(groupID, userID int64, nickname string, operator int64) {
	s.mu.Lock()
	s.groups[groupID].members[userID] = &Member{Nickname: nickname, Role: "member"}
	s.mu.Unlock()
	ev := s.notice("group_increase", "invite", groupID, userID, operator)
	if operator == 0 {
		ev["sub_type"], ev["operator_id"] = "approve", userID
	}
	s.Broadcast(ev)
}

// Leave removes a member and sends group_decrease (leave).
func (s *Server) Leave(groupID, userID int64) {
	s.mu.Lock()
	delete(s.groups[groupID].members, userID)
	s.mu.Unlock()
	s.Broadcast(s.notice("group_decrease", "leave", groupID, userID, userID))
}

// BanByPerson mutes (seconds > 0) or unmutes a member as an admin in the QQ client would,
// and sends group_ban.
func (s *Server) BanByPerson(groupID, userID, operator int64, seconds int64) {
	s.mu.Lock()
	m := s.groups[groupID].members[userID]
	sub := "ban"
	if seconds > 0 {
		m.MutedTil = time.Now().Add(time.Duration(seconds) * time.Second)
	} else {
		m.MutedTil, sub = time.Time{}, "lift_ban"
	}
	s.mu.Unlock()
	ev := s.notice("group_ban", sub, groupID, userID, operator)
	ev["duration"] = seconds
	s.Broadcast(ev)
}

// SetAdmin makes a member (or the bot) an admin or not, and sends group_admin.
func (s *Server) SetAdmin(groupID, userID int64, admin bool) {
	s.mu.Lock()
	m := s.groups[groupID].members[userID]
	sub := "unset"
	if admin {
		m.Role, sub = "admin", "set"
	} else {
		m.Role = "member"
	}
	s.mu.Unlock()
	ev := s.notice("group_admin", sub, groupID, userID, 0)
	delete(ev, "operator_id")
	s.Broadcast(ev)
}

func (s *Server) notice(kind, sub string, groupID, userID, operator int64) map[string]any {
	ev := s.base("notice")
	ev["notice_type"], ev["sub_type"] = kind, sub
	ev["group_id"], ev["user_id"], ev["operator_id"] = groupID, userID, operator
	return ev
}

// act carries out one API call on the fake's state. It returns the answer's data, the
// events the call causes, and status/retcode/message.
func (s *Server) act(c Call) (data any, events []any, status string, retcode int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(code int, why string) (any, []any, string, int, string) { return nil, nil, "failed", code, why }
	if s.unsupported[c.Action] {
		return fail(1404, "不支持的 API: "+c.Action)
	}
	self := s.opts.SelfID
	g := s.groups[c.Int("group_id")]
	switch c.Action {
	case "get_login_info":
		return map[string]any{"user_id": self, "nickname": s.opts.Nickname}, nil, "ok", 0, ""
	case "get_friend_list":
		list := make([]map[string]any, 0, len(s.friends))
		for id, nick := range s.friends {
			list = append(list, map[string]any{"user_id": id, "nickname": nick, "remark": ""})
		}
		return list, nil, "ok", 0, ""
	case "get_group_list":
		ids := make([]int64, 0, len(s.groups))
		for id := range s.groups {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		list := []any{}
		for _, id := range ids {
			gg := s.groups[id]
			list = append(list, map[string]any{"group_id": id, "group_name": gg.name, "member_count": len(gg.members), "max_member_count": 500})
		}
		return list, nil, "ok", 0, ""
	case "get_group_member_list":
		if g == nil {
			return fail(1404, "群不存在")
		}
		ids := make([]int64, 0, len(g.members))
		for id := range g.members {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		list := []any{}
		for _, id := range ids {
			list = append(list, memberJSON(c.Int("group_id"), id, g.members[id]))
		}
		return list, nil, "ok", 0, ""
	case "get_group_member_info":
		if g == nil {
			return fail(1404, "群不存在")
		}
		m, ok := g.members[c.Int("user_id")]
		if !ok {
			return fail(1404, "群成员不存在")
		}
		return memberJSON(c.Int("group_id"), c.Int("user_id"), m), nil, "ok", 0, ""
	case "send_group_msg":
		if g == nil {
			return fail(1404, "群不存在")
		}
		if _, ok := c.Params["message"]; !ok {
			return fail(1400, "缺少 message")
		}
		s.nextMsg++
		s.msgs[s.nextMsg] = message{group: c.Int("group_id"), user: self}
		return map[string]any{"message_id": s.nextMsg}, nil, "ok", 0, ""
	case "send_private_msg":
		if c.Int("user_id") == 0 {
			return fail(1400, "缺少 user_id")
		}
		s.nextMsg++
		return map[string]any{"message_id": s.nextMsg}, nil, "ok", 0, ""
	case "set_group_ban", "set_group_kick":
		if g == nil {
			return fail(1404, "群不存在")
		}
		user := c.Int("user_id")
		target, ok := g.members[user]
		if !ok {
			return fail(1404, "群成员不存在")
		}
		if code, why := s.mayAct(g, target); code != 0 {
			return fail(code, why)
		}
		if s.okButNothing[c.Action] {
			return nil, nil, "ok", 0, ""
		}
		if c.Action == "set_group_kick" {
			delete(g.members, user)
			ev := s.notice("group_decrease", "kick", c.Int("group_id"), user, self)
			return nil, []any{ev}, "ok", 0, ""
		}
		secs := int64(30 * 60)
		if _, given := c.Params["duration"]; given {
			secs = c.Int("duration")
		}
		sub := "ban"
		if secs > 0 {
			target.MutedTil = time.Now().Add(time.Duration(secs) * time.Second)
		} else {
			target.MutedTil, sub = time.Time{}, "lift_ban"
		}
		ev := s.notice("group_ban", sub, c.Int("group_id"), user, self)
		ev["duration"] = secs
		return nil, []any{ev}, "ok", 0, ""
	case "delete_msg":
		id := c.Int("message_id")
		m, ok := s.msgs[id]
		if !ok {
			return fail(1404, "消息不存在")
		}
		mg := s.groups[m.group]
		if m.user != self && mg != nil {
			if code, why := s.mayAct(mg, mg.members[m.user]); code != 0 {
				return fail(code, why)
			}
		}
		delete(s.msgs, id)
		ev := s.notice("group_recall", "", m.group, m.user, self)
		delete(ev, "sub_type")
		ev["message_id"] = id
		return nil, []any{ev}, "ok", 0, ""
	}
	return fail(1404, "不支持的 API: "+c.Action)
}

// mayAct is QQ's rule: only the group's owner or an admin may mute, kick or recall, and
// an admin may not act on the owner or another admin.
func (s *Server) mayAct(g *group, target *Member) (int, string) {
	me := g.members[s.opts.SelfID]
	if me == nil || (me.Role != "owner" && me.Role != "admin") {
		return 102, "权限不足：机器人不是群管理员"
	}
	if target != nil && (target.Role == "owner" || (target.Role == "admin" && me.Role != "owner")) {
		return 102, "权限不足：不能对群主或管理员操作"
	}
	return 0, ""
}

func memberJSON(groupID, userID int64, m *Member) map[string]any {
	return map[string]any{"group_id": groupID, "user_id": userID, "nickname": m.Nickname, "card": m.Card,
		"sex": "unknown", "age": 0, "area": "", "join_time": 0, "last_sent_time": 0, "level": "1",
		"role": m.Role, "unfriendly": false, "title": "", "title_expire_time": 0, "card_changeable": true}
}

var cqText = strings.NewReplacer("&", "&amp;", "[", "&#91;", "]", "&#93;")
var cqParam = strings.NewReplacer("&", "&amp;", "[", "&#91;", "]", "&#93;", ",", "&#44;")

// cq writes segments in the string format, escaping as the spec says.
func cq(segs []map[string]any) string {
	var b strings.Builder
	for _, seg := range segs {
		typ, _ := seg["type"].(string)
		data, _ := seg["data"].(map[string]any)
		if typ == "text" {
			t, _ := data["text"].(string)
			b.WriteString(cqText.Replace(t))
			continue
		}
		b.WriteString("[CQ:" + typ)
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, _ := data[k].(string)
			b.WriteString("," + k + "=" + cqParam.Replace(v))
		}
		b.WriteString("]")
	}
	return b.String()
}
