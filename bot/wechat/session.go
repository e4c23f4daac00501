package wechat

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eatmoreapple/openwechat"

	"qunbot/bot"
)

// session is one login: one openwechat.Bot that got past login, its contacts and member
// lists, and the goroutines that watch it. A Bot cannot be restarted after it exits, so
// the supervisor builds a new session (and a new Bot) for every login.
//
// Threading: the library runs MessageHandler, MessageErrorHandler and SyncCheckCallback
// on its message-loop goroutine. The watchdog and the member poller run on their own
// goroutines, and the engine's outbox calls Platform methods on another. Everything
// mutable below mu is guarded by it; the fields set by setup are written before ready is
// closed and only read afterwards. Nothing here touches the library's Self/Members caches,
// which the library mutates on its loop goroutine without locks (message_processor.go:107,
// user.go:288): requests go through the stateless Caller instead.
type session struct {
	a      *Adapter
	seq    int
	log    *slog.Logger
	root   context.Context // Run's context: events are delivered until it ends
	ctx    context.Context // this session; cancelled when it ends
	cancel context.CancelFunc
	events chan<- bot.Event
	ready  chan struct{}
	wg     sync.WaitGroup

	// Written by setup before ready is closed, read-only afterwards.
	caller    *openwechat.Caller
	loginInfo *openwechat.LoginInfo
	baseReq   *openwechat.BaseRequest
	selfName  string // the owner's UserName in this session
	selfNick  string
	start     time.Time // WeChat's clock at webwxinit: anything older is a replay
	readyAt   time.Time

	mu         sync.Mutex
	groups     map[string]*groupState // by session UserName
	friends    map[string]contact     // by session UserName
	contactsAt time.Time
	endReason  error
	lastBeat   time.Time // last healthy sync check, for the watchdog
	lastCheck  time.Time
	handled    uint64 // messages the library handed us, for the spin detector
	handledAt  uint64
	spin       int
	failures   int // consecutive failed sync checks
	busy       int // handlers running; the watchdog does not blame WeChat for a slow engine
}

type contact struct{ nick, remark string }

// key is how a friend is recognised again after a re-login changed their UserName.
func (c contact) key() string {
	if c.remark != "" {
		return "remark:" + c.remark
	}
	return "nick:" + c.nick
}

type groupState struct {
	info      bot.GroupInfo
	saved     bool // listed by webwxgetcontact, i.e. 保存到通讯录
	loaded    bool
	members   map[string]bot.MemberInfo // by UserName, the owner excluded
	self      bot.MemberInfo            // the owner's own entry (display name, AttrStatus)
	fetchedAt time.Time                 // last member-list fetch of any kind
	demandAt  time.Time                 // last fetch triggered by a join or an unknown sender
	fetchSeq  uint64                    // fetches started
	applied   uint64                    // newest fetch applied: an older answer arriving late is dropped
}

func newSession(a *Adapter, root context.Context, seq int, events chan<- bot.Event) *session {
	ctx, cancel := context.WithCancel(root)
	return &session{
		a:       a,
		seq:     seq,
		log:     a.log.With(slog.Int("session", seq)),
		root:    root,
		ctx:     ctx,
		cancel:  cancel,
		events:  events,
		ready:   make(chan struct{}),
		groups:  make(map[string]*groupState),
		friends: make(map[string]contact),
	}
}

// end stops the session, keeping the first reason given.
func (s *session) end(reason error) {
	s.mu.Lock()
	if s.endReason == nil && reason != nil {
		s.endReason = reason
	}
	s.mu.Unlock()
	s.cancel()
}

func (s *session) reason() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.endReason == nil {
		return errors.New("消息同步已停止 / message loop stopped")
	}
	return s.endReason
}

// setup runs after a successful login: it reads who we are, the contact list and the
// member lists of the watched groups, then lets the message handler through.
func (s *session) setup(b *openwechat.Bot) error {
	// Storage.Response, .Request and .LoginInfo are assigned before the library starts its
	// message loop and only SyncKey changes afterwards (bot.go:147, bot.go:338), so
	// reading the other fields here does not race. b.GetCurrentUser would: the loop sets
	// b.self to nil on exit without a lock (bot.go:355).
	resp := b.Storage.Response
	if resp == nil || resp.User == nil {
		return errors.New("webwxinit returned no user")
	}
	s.caller = b.Caller
	s.loginInfo = b.Storage.LoginInfo
	s.baseReq = b.Storage.Request
	s.selfName = resp.User.UserName
	s.selfNick = cleanName(resp.User.NickName)
	now := s.a.now()
	s.start = now
	if resp.SystemTime > 0 {
		// WeChat's own clock: immune to a skewed local clock.
		s.start = time.Unix(resp.SystemTime, 0)
	}

	contacts, err := s.caller.WebWxGetContact(s.ctx, s.loginInfo)
	if err != nil {
		return fmt.Errorf("read contact list: %w", classify(err))
	}
	s.applyContacts(contacts, now)
	// The first fetch is the baseline leaves are diffed against, so it emits nothing.
	s.refreshGroups(s.ctx, s.watchedGroups(), fetchBaseline)

	s.mu.Lock()
	s.readyAt = s.a.now()
	s.lastBeat = s.readyAt
	groups, friends := len(s.groups), len(s.friends)
	s.mu.Unlock()
	close(s.ready)
	s.log.Info("微信登录成功 / logged in", "nickname", s.selfNick, "groups", groups, "friends", friends)
	return nil
}

func (s *session) applyContacts(contacts openwechat.Members, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contactsAt = now
	friends := make(map[string]contact)
	for _, u := range contacts {
		switch {
		case u == nil || u.UserName == s.selfName:
		case strings.HasPrefix(u.UserName, "@@"):
			g := s.groupLocked(u.UserName)
			g.saved = true
			if name := cleanName(u.NickName); name != "" {
				g.info.Name = name
			}
			if !g.loaded && u.MemberCount > 0 {
				g.info.MemberCount = u.MemberCount
			}
			s.a.ids.noteGroup(u.UserName, g.info.Name, s.seq)
		case strings.HasPrefix(u.UserName, "@") && u.VerifyFlag == 0:
			// VerifyFlag≠0 are official accounts (openwechat user.go:129 uses the same test).
			// Special accounts such as filehelper have no "@" prefix.
			c := contact{nick: cleanName(u.NickName), remark: cleanName(u.RemarkName)}
			friends[u.UserName] = c
			s.a.ids.noteFriend(u.UserName, c.key(), s.seq)
		}
	}
	s.friends = friends
	// Member entries carry IsFriend; keep them in step with the new contact list.
	for _, g := range s.groups {
		for id, m := range g.members {
			_, m.IsFriend = friends[id]
			g.members[id] = m
		}
	}
}

// groupLocked returns the state for a group, creating an empty one. s.mu must be held.
func (s *session) groupLocked(id string) *groupState {
	g := s.groups[id]
	if g == nil {
		g = &groupState{info: bot.GroupInfo{ID: id}, members: map[string]bot.MemberInfo{}}
		s.groups[id] = g
	}
	return g
}

// watchedGroups lists the groups whose member lists are kept fresh (for leaves): the
// configured ones when Options.Groups is set, otherwise every group known to the session.
func (s *session) watchedGroups() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, g := range s.groups {
		if s.a.watches(g.info.Name) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

type fetchMode int

const (
	fetchBaseline fetchMode = iota // unconditional (login, first use)
	fetchPeriodic                  // at most once per memberRefresh per group
	fetchOnDemand                  // after a join or an unknown sender: at most once per joinRefresh
)

// maxBatch is how many contacts webwxbatchgetcontact takes at once (caller.go:195).
const maxBatch = 50

// refreshGroups re-reads member lists and returns, per group, the members that are gone
// since the previous list. Rate limits apply per group and mode; a group skipped by them
// keeps its cached list. Errors are logged, not returned: the cached list stays and the
// rate limit doubles as back-off.
func (s *session) refreshGroups(ctx context.Context, ids []string, mode fetchMode) map[string][]bot.MemberInfo {
	now := s.a.now()
	s.mu.Lock()
	var due openwechat.Members
	seqs := make(map[string]uint64)
	for _, id := range ids {
		g := s.groupLocked(id)
		switch {
		case mode == fetchPeriodic && !g.fetchedAt.IsZero() && now.Sub(g.fetchedAt) < s.a.tune.memberRefresh:
			continue
		case mode == fetchOnDemand && !g.demandAt.IsZero() && now.Sub(g.demandAt) < s.a.tune.joinRefresh:
			continue
		}
		g.fetchedAt = now
		if mode == fetchOnDemand {
			g.demandAt = now
		}
		g.fetchSeq++
		seqs[id] = g.fetchSeq
		due = append(due, &openwechat.User{UserName: id})
	}
	s.mu.Unlock()

	left := make(map[string][]bot.MemberInfo)
	for start := 0; start < len(due); start += maxBatch {
		chunk := due[start:min(start+maxBatch, len(due))]
		got, err := s.caller.WebWxBatchGetContact(ctx, chunk, s.baseReq)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("读取群成员列表失败 / reading member lists failed", "groups", len(chunk), "err", classify(err))
			}
			continue
		}
		for _, u := range got {
			if u == nil {
				continue
			}
			if gone := s.applyGroup(u, seqs[u.UserName]); len(gone) > 0 {
				left[u.UserName] = gone
			}
		}
	}
	return left
}

// applyGroup stores a fetched group and returns who left since the previous fetch.
func (s *session) applyGroup(u *openwechat.User, seq uint64) []bot.MemberInfo {
	if !strings.HasPrefix(u.UserName, "@@") {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupLocked(u.UserName)
	if seq < g.applied {
		return nil // an older fetch answered after a newer one
	}
	g.applied = seq
	if name := cleanName(u.NickName); name != "" {
		g.info.Name = name
	}
	s.a.ids.noteGroup(u.UserName, g.info.Name, s.seq)
	if len(u.MemberList) == 0 {
		// An empty list is a glitch (or a group we were removed from), never "everyone
		// left": keep what we had.
		if u.MemberCount > 0 && !g.loaded {
			g.info.MemberCount = u.MemberCount
		}
		return nil
	}
	members := make(map[string]bot.MemberInfo, len(u.MemberList))
	for _, m := range u.MemberList {
		if m == nil || m.UserName == "" {
			continue
		}
		info := bot.MemberInfo{
			ID:          m.UserName,
			Nickname:    cleanName(m.NickName),
			DisplayName: cleanName(m.DisplayName),
			AttrStatus:  m.AttrStatus,
		}
		if m.UserName == s.selfName {
			g.self = info
			continue
		}
		_, info.IsFriend = s.friends[m.UserName]
		members[m.UserName] = info
	}
	var gone []bot.MemberInfo
	if g.loaded {
		for id, m := range g.members {
			if _, still := members[id]; !still {
				gone = append(gone, m)
			}
		}
		if len(gone) > 5 && len(gone)*2 > len(g.members) {
			// More than half the group gone between two reads is a broken answer, not an
			// exodus; reporting it would close removal requests and reset members.
			s.log.Warn("成员列表骤减，忽略本次结果 / member list shrank implausibly, ignored",
				"group", g.info.Name, "before", len(g.members), "after", len(members))
			return nil
		}
		sortMembers(gone)
	}
	g.members = members
	g.loaded = true
	g.info.MemberCount = len(u.MemberList)
	return gone
}

// groupInfo returns what is known about a group, fetching it once if the session has
// never seen it (a group not saved to contacts shows up only when it sends a message).
func (s *session) groupInfo(ctx context.Context, id string) (bot.GroupInfo, []bot.Event) {
	s.mu.Lock()
	g, ok := s.groups[id]
	var info bot.GroupInfo
	if ok {
		info = g.info
	}
	known := ok && (g.loaded || g.info.Name != "")
	s.mu.Unlock()
	if known {
		return info, nil
	}
	evs := s.leaveEvents(s.refreshGroups(ctx, []string{id}, fetchOnDemand))
	s.mu.Lock()
	info = s.groupLocked(id).info
	s.mu.Unlock()
	return info, evs
}

// sender resolves a member's session UserName to what the engine needs for re-linking,
// refreshing the group's list (rate limited) when the member is new to us.
func (s *session) sender(ctx context.Context, gid, uname string) (bot.MemberInfo, []bot.Event) {
	if m, ok := s.member(gid, uname); ok {
		return m, nil
	}
	evs := s.leaveEvents(s.refreshGroups(ctx, []string{gid}, fetchOnDemand))
	if m, ok := s.member(gid, uname); ok {
		return m, evs
	}
	s.log.Warn("发言者不在群成员列表中 / sender not in member list", "group_id", gid, "member_id", uname)
	return bot.MemberInfo{ID: uname, IsFriend: s.isFriend(uname)}, evs
}

func (s *session) member(gid, uname string) (bot.MemberInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.groups[gid]; ok {
		m, ok := g.members[uname]
		return m, ok
	}
	return bot.MemberInfo{}, false
}

func (s *session) isFriend(uname string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.friends[uname]
	return ok
}

// owner is the owner's own MemberInfo as shown in a group (display name and AttrStatus
// from the group's list). gid may be empty (the console).
func (s *session) owner(gid string) bot.MemberInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := bot.MemberInfo{ID: s.selfName, Nickname: s.selfNick}
	if g, ok := s.groups[gid]; ok && g.self.ID != "" {
		m.DisplayName, m.AttrStatus = g.self.DisplayName, g.self.AttrStatus
	}
	return m
}

// memberIDs snapshots who is in a group now.
func (s *session) memberIDs(gid string) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make(map[string]bool)
	if g, ok := s.groups[gid]; ok {
		for id := range g.members {
			ids[id] = true
		}
	}
	return ids
}

// resolveJoiners maps the names in a join notice to members: newcomers (absent before the
// refresh) first, then anyone with that name, else a placeholder carrying only the name
// (empty ID: the engine can still greet "@Name", which is all WeChat's @ is anyway).
func (s *session) resolveJoiners(gid string, names []string, before map[string]bool) []bot.MemberInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []bot.MemberInfo
	if g, ok := s.groups[gid]; ok {
		for _, m := range g.members {
			all = append(all, m)
		}
	}
	sortMembers(all)
	used := make(map[string]bool)
	pick := func(name string, onlyNew bool) (bot.MemberInfo, bool) {
		for _, m := range all {
			if used[m.ID] || (onlyNew && before[m.ID]) {
				continue
			}
			if m.Nickname == name || m.DisplayName == name {
				used[m.ID] = true
				return m, true
			}
		}
		return bot.MemberInfo{}, false
	}
	out := make([]bot.MemberInfo, 0, len(names))
	for _, raw := range names {
		name := cleanName(raw)
		m, ok := pick(name, true)
		if !ok {
			m, ok = pick(name, false)
		}
		if !ok {
			m = bot.MemberInfo{Nickname: name}
		}
		out = append(out, m)
	}
	return out
}

func (s *session) leaveEvents(left map[string][]bot.MemberInfo) []bot.Event {
	if len(left) == 0 {
		return nil
	}
	ids := make([]string, 0, len(left))
	for id := range left {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	now := s.a.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	evs := make([]bot.Event, 0, len(ids))
	for _, id := range ids {
		info := s.groupLocked(id).info
		evs = append(evs, bot.Event{Type: bot.EventLeave, Time: now, Group: info, Members: left[id]})
		s.log.Info("成员已离开群 / members left", "group", info.Name, "count", len(left[id]))
	}
	return evs
}

// emit delivers events in order. It blocks while the engine is busy — the library's loop
// waits with it, which is the back-pressure we want — and gives up only when Run ends.
func (s *session) emit(evs ...bot.Event) {
	for _, ev := range evs {
		// Every id in the event belongs to this login; the engine re-links members when
		// the session changes.
		ev.Session = strconv.Itoa(s.seq)
		select {
		case s.events <- ev:
		case <-s.root.Done():
			return
		}
	}
}

// emitAsync delivers events found on a goroutine that must not block on the engine (the
// outbox calling Members). It is not tracked by s.wg: it may start while the session is
// being torn down, and it ends with Run at the latest.
func (s *session) emitAsync(evs []bot.Event) {
	if len(evs) == 0 {
		return
	}
	go s.emit(evs...)
}

// onSyncCheck is the library's heartbeat callback, called after every sync check.
func (s *session) onSyncCheck(resp openwechat.SyncCheckResponse) {
	now := s.a.now()
	s.mu.Lock()
	healthy := resp.RetCode == "0"
	if healthy {
		s.lastBeat = now
		s.failures = 0
	}
	// A sync check is a long poll (~25 s) unless there is news. Quick answers with no
	// message since the previous one mean WeChat is spinning us (a selector that
	// webwxsync never clears, or an instant "nothing new"); the library would loop as
	// fast as the network allows.
	quick := !s.lastCheck.IsZero() && now.Sub(s.lastCheck) < time.Second
	idle := s.handled == s.handledAt
	s.lastCheck, s.handledAt = now, s.handled
	if healthy && quick && idle {
		s.spin++
	} else {
		s.spin = 0
	}
	spin := s.spin
	s.mu.Unlock()
	const tolerated = 10
	if spin > tolerated {
		d := s.a.delay(s.a.tune.spinBackoff, spin-tolerated-1)
		if spin == tolerated+1 {
			s.log.Warn("微信同步空转，放慢轮询 / sync is spinning, slowing down", "selector", resp.Selector, "delay", d)
		}
		_ = s.a.sleep(s.ctx, d)
	}
}

// onSyncError replaces openwechat's default error handler, which retries every error but
// the session-ending rets at once, in a loop. Returning an error ends the Bot.
func (s *session) onSyncError(err error) error {
	if s.ctx.Err() != nil {
		// We are stopping this session ourselves. Returning nil makes the loop re-check
		// Bot.Alive() and leave quietly instead of calling ExitWith from its goroutine.
		return nil
	}
	if ret, ok := sessionRet(err); ok {
		s.end(fmt.Errorf("微信要求重新登录（ret %d）/ WeChat ended the session: %w", int(ret), err))
		return err
	}
	s.mu.Lock()
	n := s.failures
	s.failures++
	s.mu.Unlock()
	var ret openwechat.Ret
	if errors.As(err, &ret) && n >= 5 {
		// An unfamiliar ret code, again and again: a fresh login is more likely to help
		// than waiting.
		s.end(fmt.Errorf("同步检查连续返回 ret %d / sync check keeps failing: %w", int(ret), err))
		return err
	}
	d := s.a.delay(s.a.tune.syncBackoff, n)
	s.log.Warn("消息同步出错，稍后重试 / sync failed, backing off", "err", err, "failures", n+1, "delay", d)
	_ = s.a.sleep(s.ctx, d) // a cancelled session wakes up here and leaves via Alive()
	return nil
}

// watchdog restarts a session that has had no healthy sync check for too long: a long
// poll that hangs, or a network that is gone, would otherwise keep the bot silently deaf.
func (s *session) watchdog() {
	limit := s.a.tune.watchdogSilence
	tick := limit / 4
	for {
		if err := s.a.sleep(s.ctx, tick); err != nil {
			return
		}
		s.mu.Lock()
		silent, busy := s.a.now().Sub(s.lastBeat), s.busy > 0
		s.mu.Unlock()
		if !busy && silent > limit {
			s.log.Warn("微信会话无响应，重新登录 / session silent, restarting", "silent", silent)
			s.end(fmt.Errorf("微信会话超过 %v 无响应 / session silent for %v", limit, silent.Round(time.Second)))
			return
		}
	}
}

// poller re-reads the watched groups' member lists so that leaves, which WeChat never
// announces, are noticed. Each group is read at most once per memberRefresh.
func (s *session) poller() {
	every := s.a.tune.memberRefresh
	tick := max(every/5, time.Second)
	for {
		if err := s.a.sleep(s.ctx, tick); err != nil {
			return
		}
		s.emit(s.leaveEvents(s.refreshGroups(s.ctx, s.watchedGroups(), fetchPeriodic))...)
	}
}

// cleanName undoes the web protocol's encoding of names: HTML entities and emoji as
// <span class="emoji emoji1f600"></span>. Message text gets the same treatment from the
// library (message_processor.go:93-102), so names compare equal across both.
func cleanName(s string) string {
	return strings.TrimSpace(openwechat.FormatEmoji(html.UnescapeString(s)))
}

func sortMembers(ms []bot.MemberInfo) {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Nickname != ms[j].Nickname {
			return ms[i].Nickname < ms[j].Nickname
		}
		return ms[i].ID < ms[j].ID
	})
}
