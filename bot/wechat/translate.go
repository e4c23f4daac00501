package wechat

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"qunbot/bot"
)

// AppMsgType values WeChat sends that openwechat does not name (global.go:51-67 stops at
// 17, 2000 and 2001).
const (
	appMsgChatHistory openwechat.AppMessageType = 19 // 聊天记录 (merged forward)
	appMsgMiniProgram openwechat.AppMessageType = 33 // 小程序
	appMsgMiniAppLink openwechat.AppMessageType = 36 // 小程序 shared as a link card
	appMsgChannels    openwechat.AppMessageType = 51 // 视频号
	appMsgQuote       openwechat.AppMessageType = 57 // a reply quoting an earlier message
)

// MsgType values openwechat checks without naming (message.go:278, 302).
const (
	msgTypeStatusNotify openwechat.MessageType = 51
	msgTypeSysNotice    openwechat.MessageType = 9999
)

// onMessage is the library's MessageHandler. The library calls it synchronously on its
// message loop, without recover: safeHandler wraps it.
func (s *session) onMessage(msg *openwechat.Message) {
	s.mu.Lock()
	s.handled++
	s.mu.Unlock()
	select {
	case <-s.ready:
	case <-s.ctx.Done():
		return
	}
	s.mu.Lock()
	s.busy++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.busy--
		s.lastBeat = s.a.now() // time spent in the engine is not WeChat being silent
		s.mu.Unlock()
	}()
	s.emit(s.translate(s.ctx, msg)...)
}

// translate turns one WeChat message into events: nothing (not ours, a replay, an
// echo), a message, or a join — plus any leaves noticed while refreshing a member list.
func (s *session) translate(ctx context.Context, msg *openwechat.Message) []bot.Event {
	from, to := msg.FromUserName, msg.ToUserName
	fromSelf := from == s.selfName
	var gid string
	console := false
	switch {
	case fromSelf && to == openwechat.FileHelper:
		// The owner's private console. Only the owner's own account can be the sender of
		// a message *to* the file helper; nothing a member does reaches this branch.
		console = true
	case strings.HasPrefix(from, "@@"):
		gid = from
	case fromSelf && strings.HasPrefix(to, "@@"):
		gid = to
	default:
		return nil // private chats, official accounts, notifications
	}

	id := messageID(msg)
	created := time.Unix(msg.CreateTime, 0)
	if msg.CreateTime > 0 && created.Before(s.start) {
		s.log.Debug("忽略登录前的消息 / dropping message older than the session", "msg_id", id, "created", created)
		return nil
	}
	if !s.a.seen.add(id) {
		s.log.Debug("忽略重复消息 / dropping replayed message", "msg_id", id)
		return nil
	}
	if fromSelf {
		var createdHere time.Time // WeChat's creation time on our clock
		if msg.CreateTime > 0 {
			createdHere = created.Add(-s.skew)
		}
		if s.a.echoes.take(to, msg.Content, []string{id, msg.MsgId}, createdHere, s.a.now()) {
			s.log.Debug("忽略机器人自己发出的消息 / dropping echo of our own send", "msg_id", id)
			return nil
		}
	}

	kind, text, ok := messageKind(msg)
	if !ok {
		return nil
	}
	if msg.CreateTime <= 0 {
		created = s.a.now()
	}
	ev := bot.Event{Type: bot.EventMessage, ID: id, Time: created, Kind: kind, Text: text}

	if console {
		ev.Console, ev.FromOwner = true, true
		ev.Sender = s.owner("")
		return []bot.Event{ev}
	}

	info, evs := s.groupInfo(ctx, gid)
	ev.Group = info
	if kind == bot.KindSystem {
		return append(evs, s.systemEvents(ctx, gid, msg.Content, ev)...)
	}
	if fromSelf {
		ev.FromOwner = true
		ev.Sender = s.owner(gid)
		return append(evs, ev)
	}
	if uname := senderUserName(msg.RawContent); uname != "" {
		m, more := s.sender(ctx, gid, uname)
		ev.Sender = m
		evs = append(evs, more...)
	}
	if kind == bot.KindImage {
		ev.Image = s.keepImage(id, msg) // images.go: fetched for the QR check
	}
	return append(evs, ev)
}

// systemEvents translates a group's system message: a join notice becomes a join, a
// rename a rename, a removal reads the member list at once (the leave follows from it);
// anything else stays a system message, and a form never seen before is logged once,
// anonymised, so that a new wording can be added to the parsers.
func (s *session) systemEvents(ctx context.Context, gid, content string, ev bot.Event) []bot.Event {
	if n, ok := parseJoin(content); ok {
		return s.joinEvents(ctx, gid, n, ev)
	}
	if name, ok := parseRename(content); ok {
		return []bot.Event{renameEvent(ev.Group, name, ev.ID, ev.Time)}
	}
	if isRemovalNotice(content) {
		return append(s.diffEvents(s.refreshGroups(ctx, []string{gid}, fetchOnDemand), nil), ev)
	}
	if ev.Kind == bot.KindSystem && strings.TrimSpace(content) != "" && !knownNotice(content) {
		if form := noticeForm(content, s.memberNames(gid)); s.a.forms.first(form) {
			s.log.Info("未识别的系统消息格式（已匿名）/ system message in a form not recognised (anonymised)", "form", form)
		}
	}
	return []bot.Event{ev}
}

// joinEvents refreshes the group (rate limited) so the newcomers' session ids, display
// names and AttrStatus are known, and reports the join — plus whatever else the refresh
// found (leaves, and newcomers the notice does not name).
func (s *session) joinEvents(ctx context.Context, gid string, n joinNotice, ev bot.Event) []bot.Event {
	diffs := s.refreshGroups(ctx, []string{gid}, fetchOnDemand)
	var newcomers []bot.MemberInfo
	if d := diffs[gid]; d != nil {
		newcomers = d.joined
	}
	if n.SelfJoined {
		// The bot's own account is not a member the engine moderates; the owner is told
		// instead.
		s.log.Info("机器人账号加入了群 / the bot account joined a group", "group", ev.Group.Name, "inviter", n.Inviter)
		s.a.notify("机器人账号已加入群「" + ev.Group.Name + "」。如需管理该群，请把它保存到通讯录并写进配置。")
	}
	var members []bot.MemberInfo
	if len(n.Joiners) > 0 {
		members = s.resolveJoiners(gid, n.Joiners, newcomers)
	}
	claimed := make(map[string]bool, len(members))
	for _, m := range members {
		if m.ID != "" {
			claimed[m.ID] = true
		}
	}
	// Newcomers the notice does not name are announced by the diff (without an inviter).
	evs := s.diffEvents(diffs, claimed)
	if len(members) == 0 {
		return evs
	}
	ev.Type = bot.EventJoin
	ev.Members = members
	ev.Inviter = n.Inviter
	if n.InviterSelf {
		ev.Inviter = s.selfNick
	}
	s.log.Info("新成员入群 / members joined", "group", ev.Group.Name, "count", len(ev.Members), "inviter", ev.Inviter)
	return append(evs, ev)
}

func messageID(msg *openwechat.Message) string {
	if msg.NewMsgId != 0 {
		return strconv.FormatInt(msg.NewMsgId, 10)
	}
	return msg.MsgId
}

// senderUserName reads the member who wrote a group message. The web protocol prefixes
// the content with "@member:<br/>"; the library strips it but keeps it only in an
// unexported field, and RawContent is saved before the strip (message_processor.go:24-43).
func senderUserName(raw string) string {
	i := strings.Index(raw, ":<br/>")
	if i <= 1 {
		return ""
	}
	u := raw[:i]
	if !strings.HasPrefix(u, "@") || strings.ContainsAny(u, " <>\n") {
		return ""
	}
	return u
}

// messageKind maps a message to the kind moderation sees and the text it checks. ok is
// false for messages that are not part of a conversation (status notifications).
func messageKind(msg *openwechat.Message) (kind bot.MessageKind, text string, ok bool) {
	switch msg.MsgType {
	case openwechat.MsgTypeText:
		if msg.IsLocation() {
			return bot.KindLink, joinLines(locationName(msg.Content), msg.Url), true
		}
		if msg.Url != "" {
			return bot.KindLink, joinLines(msg.Content, msg.Url), true
		}
		return bot.KindText, msg.Content, true
	case openwechat.MsgTypeImage:
		return bot.KindImage, "", true
	case openwechat.MsgTypeVoice:
		return bot.KindVoice, "", true
	case openwechat.MsgTypeShareCard:
		if card, err := msg.Card(); err == nil {
			return bot.KindCard, cleanName(card.NickName), true
		}
		return bot.KindCard, "", true
	case openwechat.MsgTypeVideo, openwechat.MsgTypeMicroVideo:
		return bot.KindVideo, "", true
	case openwechat.MsgTypeEmoticon:
		return bot.KindEmoji, "", true
	case openwechat.MsgTypeLocation:
		return bot.KindLink, locationName(msg.Content), true
	case openwechat.MsgTypeApp:
		kind, text := appKind(msg)
		return kind, text, true
	case openwechat.MsgTypeSys:
		c := msg.Content
		switch {
		case strings.Contains(c, "红包") && strings.Contains(c, "手机上查看"):
			// The web protocol shows red packets only as this notice (message.go:287-295).
			return bot.KindRedPacket, c, true
		case strings.Contains(c, "转账") && strings.Contains(c, "手机上查看"):
			return bot.KindTransfer, c, true
		}
		return bot.KindSystem, c, true
	case openwechat.MsgTypeRecalled:
		if r, err := msg.RevokeMsg(); err == nil && r.RevokeMsg.ReplaceMsg != "" {
			return bot.KindSystem, r.RevokeMsg.ReplaceMsg, true
		}
		return bot.KindSystem, msg.Content, true
	case openwechat.MsgTypeVoip, openwechat.MsgTypeVoipNotify, openwechat.MsgTypeVoipInvite:
		return bot.KindSystem, "", true
	case msgTypeStatusNotify, msgTypeSysNotice, openwechat.MsgTypeVerify, openwechat.MsgTypePossibleFriend:
		return "", "", false
	}
	// An unknown type: keep the event (activity counts) but not content we might misread.
	return bot.KindSystem, "", true
}

// appKind classifies an "app message" (MsgType 49): links, files, mini programs, quoted
// replies, transfers and red packets all arrive as this one type.
func appKind(msg *openwechat.Message) (bot.MessageKind, string) {
	title, des, url := msg.FileName, "", msg.Url
	appType := msg.AppMsgType
	var source string
	var miniApp bool
	if data, err := msg.MediaData(); err == nil {
		if data.AppMsg.Title != "" {
			title = data.AppMsg.Title
		}
		des = data.AppMsg.Des
		if data.AppMsg.URL != "" {
			url = data.AppMsg.URL
		}
		if appType == 0 {
			appType = data.AppMsg.Type
		}
		source = data.AppMsg.SourceDisplayName
		miniApp = data.AppMsg.WeAppInfo.Username != "" || data.AppMsg.WeAppInfo.Appid != ""
	}
	switch {
	case appType == openwechat.AppMsgTypeTransfers || msg.IsTransferAccounts():
		return bot.KindTransfer, joinLines(title, des)
	case appType == openwechat.AppMsgTypeRedEnvelopes:
		return bot.KindRedPacket, joinLines(title, des)
	case appType == openwechat.AppMsgTypeAttach:
		return bot.KindFile, title
	case appType == appMsgMiniProgram || appType == appMsgMiniAppLink || miniApp:
		return bot.KindMiniApp, joinLines(title, source)
	case appType == appMsgQuote:
		return bot.KindText, title // the reply itself; the quoted message was checked when sent
	case appType == openwechat.AppMsgTypeEmoji || appType == openwechat.AppMsgTypeEmotion:
		return bot.KindEmoji, ""
	case appType == openwechat.AppMsgTypeImg:
		return bot.KindImage, ""
	case appType == openwechat.AppMsgTypeCardTicket:
		return bot.KindCard, title
	case appType == openwechat.AppMsgTypeRealtimeShareLocation:
		return bot.KindSystem, title
	case appType == appMsgChatHistory || appType == appMsgChannels:
		return bot.KindLink, joinLines(title, des, url)
	}
	// Articles (5), music and video shares and anything newer: a link as far as
	// moderation is concerned.
	return bot.KindLink, joinLines(title, des, url)
}

// locationName is the address line of a location message ("地址:\n/cgi-bin/...").
func locationName(content string) string {
	line, _, _ := strings.Cut(content, "\n")
	return strings.TrimSuffix(strings.TrimSpace(line), ":")
}

func joinLines(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "\n")
}
