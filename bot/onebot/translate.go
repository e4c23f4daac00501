package onebot

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"qunbot/bot"
)

// translate turns one event frame into the engine's event (or nothing) and sends it. A
// frame that breaks the translation is logged and dropped; the adapter goes on.
func (s *session) translate(ctx context.Context, f *frame, events chan<- bot.Event) {
	defer func() {
		if p := recover(); p != nil {
			s.a.log.Error("recovered from panic translating an event", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	var ev *bot.Event
	switch f.PostType {
	case "message":
		ev = s.message(f)
	case "message_sent":
		// The implementation echoing what the bot itself sent: never a command.
	case "notice":
		ev = s.notice(f)
	case "request":
		// Join requests and friend requests are the owner's to answer in QQ.
	default:
		s.a.log.Debug("ignoring an event of unknown post_type", "post_type", f.PostType)
	}
	if ev == nil {
		return
	}
	select {
	case events <- *ev:
	case <-ctx.Done():
	}
}

// message translates a group message, or the owner's private message (the console).
func (s *session) message(f *frame) *bot.Event {
	st := s.a.st
	self := st.selfID()
	user := string(f.UserID)
	if user == "" {
		user = string(f.Sender.UserID)
	}
	if user == "" || user == self {
		return nil // no sender, or the bot's own message coming back
	}
	switch f.MessageType {
	case "private":
		if user != s.a.opts.Owner || s.a.opts.Owner == "" {
			return nil // only the owner's private chat is the console
		}
		if f.MessageID != "" && !st.seen.add("p\x00"+string(f.MessageID)) {
			return nil
		}
		r, ok := s.render(f, "")
		if !ok {
			return nil
		}
		id := ""
		if f.MessageID != "" {
			id = "p" + string(f.MessageID)
		}
		return &bot.Event{Type: bot.EventMessage, ID: id, Time: s.a.opts.Now(), Console: true, FromOwner: true,
			Sender: bot.MemberInfo{ID: user, Nickname: f.Sender.Nickname}, Kind: bot.KindText, Text: r.text}
	case "group":
	default:
		return nil
	}
	group := string(f.GroupID)
	if group == "" {
		s.a.log.Warn("ignoring a group message without group_id")
		return nil
	}
	if f.SubType == "anonymous" {
		return nil // an anonymous sender has no QQ number to mute or remember
	}
	if f.MessageID != "" && !st.seen.add(group+"\x00"+string(f.MessageID)) {
		return nil // replayed after a reconnect
	}
	g, ok := s.ensureGroup(group)
	if !ok {
		return nil
	}
	st.noteMember(group, user, memberRec{nickname: f.Sender.Nickname, card: f.Sender.Card, role: f.Sender.Role})
	r, ok := s.render(f, group)
	if !ok {
		return nil
	}
	sender := s.memberInfo(group, user)
	ev := &bot.Event{Type: bot.EventMessage, ID: string(f.MessageID), Time: s.a.opts.Now(), Group: g, Sender: sender,
		FromOwner: user == s.a.opts.Owner, Kind: bot.MessageKind(r.kind), Text: r.text, Image: r.image}
	for _, qq := range r.mentions {
		ev.Mentions = append(ev.Mentions, s.memberInfo(group, qq))
	}
	return ev
}

// render reads a message's content: the message field in either format, else raw_message.
// ok is false when neither can be read: such a message is dropped, not passed on empty.
func (s *session) render(f *frame, group string) (r rendered, ok bool) {
	segs, err := ParseMessage(f.Message)
	if err != nil || segs == nil {
		if f.RawMessage == "" {
			s.a.log.Warn("忽略一条读不出内容的消息 / ignoring a message without readable content", "err", err, "message_id", f.MessageID)
			return r, false
		}
		if err != nil {
			s.a.log.Warn("message field unreadable; using raw_message", "err", err)
		}
		segs = ParseCQ(f.RawMessage)
	}
	return render(segs, s.a.st.selfID(), func(qq string) string {
		if m, ok := s.a.st.member(group, qq); ok && m.name() != "" {
			return m.name()
		}
		return qq
	}), true
}

// memberInfo is what the engine gets to know about a member: names and role from the
// cache, the number when nothing better is known.
func (s *session) memberInfo(group, user string) bot.MemberInfo {
	m, _ := s.a.st.member(group, user)
	info := bot.MemberInfo{ID: user, Nickname: m.nickname, DisplayName: m.card, Role: m.role}
	if info.Nickname == "" && info.DisplayName == "" {
		info.Nickname = user
	}
	return info
}

// ensureGroup makes sure a group's name, members and the bot's role there are known
// before its event reaches the engine, and reports the group if the engine manages it.
func (s *session) ensureGroup(group string) (bot.GroupInfo, bool) {
	st := s.a.st
	if !st.named(group) && s.mayLookUp(group) {
		if _, err := s.a.groupsOn(s); err != nil {
			s.a.log.Warn("look up a group's name", "group", group, "err", err)
		}
	}
	name, count := st.groupName(group)
	if m := s.a.opts.Manages; m != nil && !m(group, name) {
		return bot.GroupInfo{}, false
	}
	if st.needsMembers(group) {
		if _, err := s.a.memberListOn(s, group); err != nil {
			s.a.log.Warn("read a group's member list", "group", group, "err", err)
		}
		_, count = st.groupName(group)
	}
	return bot.GroupInfo{ID: group, Name: name, MemberCount: count}, true
}

// mayLookUp limits look-ups of a group the list does not name to one a minute.
func (s *session) mayLookUp(group string) bool {
	st := s.a.st
	st.mu.Lock()
	defer st.mu.Unlock()
	g := st.group(group)
	now := s.a.opts.Now()
	if now.Sub(g.checked) < time.Minute {
		return false
	}
	g.checked = now
	return true
}

// notice translates the notices the engine uses.
func (s *session) notice(f *frame) *bot.Event {
	st := s.a.st
	group, user, self := string(f.GroupID), string(f.UserID), st.selfID()
	if group == "" || user == "" {
		return nil
	}
	stamp := itoa(f.Time)
	switch f.NoticeType {
	case "group_increase":
		if user == self {
			s.a.log.Info("机器人被拉进了一个群 / the bot joined a group", "group", group)
			st.markStale()
			return nil
		}
		g, ok := s.ensureGroup(group)
		if !ok {
			return nil
		}
		if _, err := s.a.memberInfoOn(s, group, user); err != nil {
			s.a.log.Debug("look up a member who joined", "group", group, "user", user, "err", err)
		}
		ev := &bot.Event{Type: bot.EventJoin, ID: "inc:" + user + ":" + stamp, Time: s.a.opts.Now(), Group: g,
			Members: []bot.MemberInfo{s.memberInfo(group, user)}}
		if op := string(f.OperatorID); op != "" && op != user && op != "0" && f.SubType != "approve" {
			ev.Inviter = s.memberInfo(group, op).Name()
		}
		return ev
	case "group_decrease":
		if user == self || f.SubType == "kick_me" {
			name, _ := st.groupName(group)
			st.setRole(group, self, "")
			s.a.notify(fmt.Sprintf("⚠️ 机器人的 QQ 号被移出了群「%s」（%s），在这个群里不再做任何事。", name, group))
			return nil
		}
		g, ok := s.ensureGroup(group)
		if !ok {
			return nil
		}
		info := s.memberInfo(group, user)
		st.dropMember(group, user)
		ev := &bot.Event{Type: bot.EventLeave, ID: "dec:" + user + ":" + stamp, Time: s.a.opts.Now(), Group: g,
			Members: []bot.MemberInfo{info}}
		if f.SubType == "kick" {
			ev.Kicked = true
			if op := string(f.OperatorID); op != "" && op != self {
				ev.Operator = s.memberInfo(group, op).Name()
			} else if op == self {
				ev.Operator = "bot"
			}
		}
		return ev
	case "group_ban":
		op := string(f.OperatorID)
		if user == "0" || op == self {
			return nil // a whole-group ban, or the bot's own mute (recorded when decided)
		}
		if user == self {
			s.a.log.Warn("机器人的 QQ 号在群里被禁言了 / the bot's account was muted", "group", group, "seconds", f.Duration)
			return nil
		}
		g, ok := s.ensureGroup(group)
		if !ok {
			return nil
		}
		ev := &bot.Event{Type: bot.EventMute, ID: "ban:" + user + ":" + stamp + ":" + f.SubType, Time: s.a.opts.Now(), Group: g,
			Members: []bot.MemberInfo{s.memberInfo(group, user)}, Operator: s.memberInfo(group, op).Name()}
		if f.SubType != "lift_ban" && f.Duration > 0 {
			ev.Duration = time.Duration(f.Duration) * time.Second
		}
		return ev
	case "group_admin":
		role := "member"
		if f.SubType == "set" {
			role = "admin"
		}
		g, ok := s.ensureGroup(group)
		if !ok {
			return nil
		}
		if user == self {
			return &bot.Event{Type: bot.EventAbilities, ID: "adm:" + user + ":" + stamp + ":" + f.SubType, Time: s.a.opts.Now(), Group: g}
		}
		st.setRole(group, user, role)
		info := s.memberInfo(group, user)
		info.Role = role
		return &bot.Event{Type: bot.EventRole, ID: "adm:" + user + ":" + stamp + ":" + f.SubType, Time: s.a.opts.Now(), Group: g,
			Members: []bot.MemberInfo{info}}
	}
	return nil
}

// observeNotice records, as soon as it is read, what actions wait for and what decides
// the bot's abilities: mutes and removals that confirm an action, recalls, and the bot's
// own admin status.
func (a *Adapter) observeNotice(f *frame) {
	if f.PostType != "notice" {
		return
	}
	group, user := string(f.GroupID), string(f.UserID)
	switch f.NoticeType {
	case "group_ban":
		kind := "ban"
		if f.SubType == "lift_ban" || f.Duration == 0 {
			kind = "lift"
		}
		a.st.observed(waitKey{kind, group, user})
	case "group_decrease":
		a.st.observed(waitKey{"kick", group, user})
	case "group_recall":
		a.st.recalls.add(group + "\x00" + string(f.MessageID))
	case "group_admin":
		if user == a.st.selfID() {
			role := "member"
			if f.SubType == "set" {
				role = "admin"
			}
			a.st.setRole(group, user, role)
		}
	}
}

func (a *Adapter) memberListOn(s *session, group string) ([]memberInfo, error) {
	return a.memberListCall(s.ctx, s, group)
}

func (a *Adapter) memberInfoOn(s *session, group, user string) (memberInfo, error) {
	return a.memberInfoCall(s.ctx, s, group, user, false)
}
