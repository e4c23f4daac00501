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
	start     time.Time     // WeChat's clock at webwxinit: anything older is a replay
	skew      time.Duration // WeChat's clock minus ours, at webwxinit
	readyAt   time.Time

	// emitMu orders what reaches the engine: events go out one at a time, and a group's
	// rename takes effect in the middle of that order (see emit), so that no event after a
	// rename event carries the old name and none before it the new one.
	emitMu sync.Mutex

	images imageRing // recent image messages, for the QR check (images.go)

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
	failures   int        // consecutive failed sync checks
	busy       int        // handlers running; the watchdog does not blame WeChat for a slow engine
	held       *heldNotes // the owner's note, waiting for this session to prove stable
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
	// suspect is set when a fetch lost more than half the group: one such answer is taken
	// for a glitch, the next one saying the same for a mass removal.
	suspect bool
	// reported holds the ids of members already announced as joining, announced the names
	// a join notice gave before the member list showed them: a later fetch that finds
	// either does not announce them again (announceWindow).
	reported  map[string]time.Time
	announced map[string]time.Time
}

// groupDiff is what one member-list fetch found changed in a group.
type groupDiff struct {
	left   []bot.MemberInfo
	joined []bot.MemberInfo
	rename string // the group's new name, when the fetch found it renamed
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
		s.skew = s.start.Sub(now)
	}

	contacts, err := s.caller.WebWxGetContact(s.ctx, s.loginInfo)
	if err != nil {
		return fmt.Errorf("read contact list: %w", classify(err))
	}
	s.applyContacts(contacts, now)
	// The first fetch of a login is compared with the last lists of the previous login, by
	// names (ids changed): whoever left or joined while no session was watching is reported.
	s.emit(s.diffEvents(s.refreshGroups(s.ctx, s.watchedGroups(), fetchBaseline), nil)...)

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

// refreshGroups re-reads member lists and returns, per group, what changed since the
// previous list. Rate limits apply per group and mode; a group skipped by them keeps its
// cached list. Errors are logged, not returned: the cached list stays and the rate limit
// doubles as back-off.
func (s *session) refreshGroups(ctx context.Context, ids []string, mode fetchMode) map[string]*groupDiff {
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

	diffs := make(map[string]*groupDiff)
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
			if d := s.applyGroup(u, seqs[u.UserName]); d != nil {
				diffs[u.UserName] = d
			}
		}
	}
	return diffs
}

// applyGroup stores a fetched group and returns what changed since the previous fetch
// (nil: nothing). The first fetch of a login is compared with the previous login's last
// list of the same group, by names; later ones by id.
func (s *session) applyGroup(u *openwechat.User, seq uint64) *groupDiff {
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
	d := &groupDiff{}
	if name := cleanName(u.NickName); name != "" {
		if g.info.Name == "" {
			g.info.Name = name
			s.a.ids.noteGroup(u.UserName, name, s.seq)
		} else if name != g.info.Name {
			// Renamed: the name changes when the rename event is emitted (emit), in order.
			d.rename = name
		}
	}
	if len(u.MemberList) == 0 {
		// An empty list is a glitch (or a group we were removed from), never "everyone
		// left": keep what we had.
		if u.MemberCount > 0 && !g.loaded {
			g.info.MemberCount = u.MemberCount
		}
		return d.orNil()
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
	if g.loaded {
		for id, m := range g.members {
			if _, still := members[id]; !still {
				d.left = append(d.left, m)
			}
		}
		for id, m := range members {
			if _, before := g.members[id]; !before {
				d.joined = append(d.joined, m)
			}
		}
		if implausibleDrop(len(d.left), len(g.members)) && !g.suspect {
			// More than half the group gone between two reads is more often a broken
			// answer than an exodus: reporting it would close removal requests and reset
			// members. Keep the old list and read again soon; if the next answer says the
			// same, it was a mass removal and is reported then.
			s.log.Warn("成员列表骤减，稍后复核 / member list shrank implausibly, re-reading before believing it",
				"group", g.info.Name, "before", len(g.members), "after", len(members))
			g.suspect = true
			g.fetchedAt = time.Time{} // the next poll re-reads it
			return d.keepRename()
		}
	} else if prev, ok := s.a.snapshot(g.info.Name); ok {
		left, joined := diffByNames(prev, members)
		if implausibleDrop(len(left), len(prev)) {
			s.log.Warn("重新登录后成员列表骤减，不做比较 / member list after re-login implausibly small, not compared",
				"group", g.info.Name, "before", len(prev), "after", len(members))
		} else {
			d.left, d.joined = left, joined
			if len(left)+len(joined) > 0 {
				s.log.Info("登录间隙的成员变化 / members changed while logged out",
					"group", g.info.Name, "left", len(left), "joined", len(joined))
			}
		}
	}
	g.suspect = false
	sortMembers(d.left)
	sortMembers(d.joined)
	g.members = members
	g.loaded = true
	g.info.MemberCount = len(u.MemberList)
	return d.orNil()
}

func (d *groupDiff) orNil() *groupDiff {
	if d.rename == "" && len(d.left) == 0 && len(d.joined) == 0 {
		return nil
	}
	return d
}

// keepRename drops a suspect diff but not a rename seen in the same answer.
func (d *groupDiff) keepRename() *groupDiff {
	return (&groupDiff{rename: d.rename}).orNil()
}

// implausibleDrop: more than half of a group (and more than five people) gone at once.
func implausibleDrop(gone, before int) bool {
	return gone > 5 && gone*2 > before
}

// diffByNames compares a group's members with the previous login's list of it. Ids changed
// with the login, so people are matched by names: first the whole tuple (nickname, display
// name, AttrStatus), then any two of the three, then a unique AttrStatus, so that one change
// made while logged out does not read as a leave and a join. Someone who left but has a
// twin with the same tuple is not reported: which of the two left cannot be told.
func diffByNames(prev []bot.MemberInfo, cur map[string]bot.MemberInfo) (left, joined []bot.MemberInfo) {
	ids := make([]string, 0, len(cur))
	for id := range cur {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	used := make(map[string]bool, len(cur))
	matched := make([]bool, len(prev))
	keys := []func(m bot.MemberInfo) (string, bool){
		func(m bot.MemberInfo) (string, bool) {
			return m.Nickname + "\x00" + m.DisplayName + "\x00" + strconv.FormatInt(m.AttrStatus, 10), true
		},
		func(m bot.MemberInfo) (string, bool) {
			return m.Nickname + "\x00" + strconv.FormatInt(m.AttrStatus, 10), m.Nickname != ""
		},
		func(m bot.MemberInfo) (string, bool) {
			return m.DisplayName + "\x00" + strconv.FormatInt(m.AttrStatus, 10), m.DisplayName != ""
		},
		func(m bot.MemberInfo) (string, bool) {
			return m.Nickname + "\x00" + m.DisplayName, m.Nickname != "" && m.DisplayName != ""
		},
	}
	for _, key := range keys {
		byKey := map[string][]string{}
		for _, id := range ids {
			if !used[id] {
				if k, ok := key(cur[id]); ok {
					byKey[k] = append(byKey[k], id)
				}
			}
		}
		for i, p := range prev {
			if matched[i] {
				continue
			}
			k, ok := key(p)
			if !ok || len(byKey[k]) == 0 {
				continue
			}
			used[byKey[k][0]] = true
			byKey[k] = byKey[k][1:]
			matched[i] = true
		}
	}
	// Last, AttrStatus alone — a nickname changed by someone without a group display name —
	// only where exactly one person on each side is left with that value.
	attrPrev, attrCur := map[int64][]int{}, map[int64][]string{}
	for i, p := range prev {
		if !matched[i] && p.AttrStatus != 0 {
			attrPrev[p.AttrStatus] = append(attrPrev[p.AttrStatus], i)
		}
	}
	for _, id := range ids {
		if m := cur[id]; !used[id] && m.AttrStatus != 0 {
			attrCur[m.AttrStatus] = append(attrCur[m.AttrStatus], id)
		}
	}
	for attr, is := range attrPrev {
		if len(is) == 1 && len(attrCur[attr]) == 1 {
			matched[is[0]], used[attrCur[attr][0]] = true, true
		}
	}
	twins := map[string]int{}
	for _, p := range prev {
		k, _ := keys[0](p)
		twins[k]++
	}
	for i, p := range prev {
		if k, _ := keys[0](p); !matched[i] && twins[k] == 1 {
			left = append(left, p)
		}
	}
	for _, id := range ids {
		if !used[id] {
			joined = append(joined, cur[id])
		}
	}
	return left, joined
}

// diffEvents turns fetch results into events, in group order: the rename first, then who
// left, then who joined — except members claimed by a join notice (reported with it) and
// members already announced.
func (s *session) diffEvents(diffs map[string]*groupDiff, claimed map[string]bool) []bot.Event {
	if len(diffs) == 0 {
		return nil
	}
	ids := make([]string, 0, len(diffs))
	for id := range diffs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	now := s.a.now()
	var evs []bot.Event
	for _, id := range ids {
		d := diffs[id]
		s.mu.Lock()
		g := s.groupLocked(id)
		info := g.info
		var joined []bot.MemberInfo
		for _, m := range d.joined {
			if claimed[m.ID] || g.alreadyAnnounced(m, now) {
				continue
			}
			g.markReported(m.ID, now)
			joined = append(joined, m)
		}
		s.mu.Unlock()
		if d.rename != "" {
			evs = append(evs, renameEvent(info, d.rename, "", now))
		}
		if len(d.left) > 0 {
			evs = append(evs, bot.Event{Type: bot.EventLeave, Time: now, Group: info, Members: d.left})
			s.log.Info("成员已离开群 / members left", "group", info.Name, "count", len(d.left))
		}
		if len(joined) > 0 {
			evs = append(evs, bot.Event{Type: bot.EventJoin, Time: now, Group: info, Members: joined})
			s.log.Info("成员列表里有新成员 / newcomers found in the member list", "group", info.Name, "count", len(joined))
		}
	}
	return evs
}

// announceWindow is how long a join, once reported, is not reported again.
const announceWindow = time.Hour

// alreadyAnnounced reports a newcomer already announced by id, or by a join notice that
// named them before the member list showed them (the name is consumed). s.mu held.
func (g *groupState) alreadyAnnounced(m bot.MemberInfo, now time.Time) bool {
	if at, ok := g.reported[m.ID]; ok && now.Sub(at) < announceWindow {
		return true
	}
	for _, name := range []string{m.Nickname, m.DisplayName} {
		if at, ok := g.announced[name]; ok && name != "" && now.Sub(at) < announceWindow {
			delete(g.announced, name)
			g.markReported(m.ID, now)
			return true
		}
	}
	return false
}

// markReported remembers an announced join. s.mu held.
func (g *groupState) markReported(id string, now time.Time) {
	if g.reported == nil {
		g.reported = map[string]time.Time{}
	}
	for k, at := range g.reported {
		if now.Sub(at) >= announceWindow {
			delete(g.reported, k)
		}
	}
	g.reported[id] = now
}

// markAnnounced remembers a join notice's name that no member matched yet. s.mu held.
func (g *groupState) markAnnounced(name string, now time.Time) {
	if g.announced == nil {
		g.announced = map[string]time.Time{}
	}
	for k, at := range g.announced {
		if now.Sub(at) >= announceWindow {
			delete(g.announced, k)
		}
	}
	g.announced[name] = now
}

// renameEvent announces that a group is now called newName. Its Text is the old name:
// emit fills it in when the rename takes effect.
func renameEvent(info bot.GroupInfo, newName, msgID string, at time.Time) bot.Event {
	info.Name = newName
	return bot.Event{Type: bot.EventRename, ID: msgID, Time: at, Group: info, Kind: bot.KindSystem}
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
	evs := s.diffEvents(s.refreshGroups(ctx, []string{id}, fetchOnDemand), nil)
	s.mu.Lock()
	info = s.groupLocked(id).info
	s.mu.Unlock()
	return info, evs
}

// sender resolves a member's session UserName to what the engine needs for re-linking,
// refreshing the group's list (rate limited) when the member is new to us — a newcomer
// speaking before their join notice is reported as joining first.
func (s *session) sender(ctx context.Context, gid, uname string) (bot.MemberInfo, []bot.Event) {
	if m, ok := s.member(gid, uname); ok {
		return m, nil
	}
	evs := s.diffEvents(s.refreshGroups(ctx, []string{gid}, fetchOnDemand), nil)
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

// memberNames lists the names a group's members and the owner go by (for anonymising).
func (s *session) memberNames(gid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := []string{s.selfNick}
	if g, ok := s.groups[gid]; ok {
		for _, m := range g.members {
			names = append(names, m.Nickname, m.DisplayName)
		}
		names = append(names, g.self.DisplayName, g.info.Name)
	}
	return names
}

// resolveJoiners maps the names in a join notice to members: newcomers (those the refresh
// just found) first, then anyone with that name, else a placeholder carrying only the name
// (empty ID: the engine can still greet "@Name", which is all WeChat's @ is anyway). Members
// already announced (by an earlier fetch) are left out; placeholders are remembered so a
// later fetch that finds them does not announce them again.
func (s *session) resolveJoiners(gid string, names []string, newcomers []bot.MemberInfo) []bot.MemberInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.a.now()
	g := s.groupLocked(gid)
	fresh := make(map[string]bool, len(newcomers))
	for _, m := range newcomers {
		fresh[m.ID] = true
	}
	var all []bot.MemberInfo
	for _, m := range g.members {
		all = append(all, m)
	}
	sortMembers(all)
	used := make(map[string]bool)
	pick := func(name string, onlyNew bool) (bot.MemberInfo, bool) {
		for _, m := range all {
			if used[m.ID] || (onlyNew && !fresh[m.ID]) {
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
		switch {
		case !ok:
			g.markAnnounced(name, now)
			out = append(out, bot.MemberInfo{Nickname: name})
		case !fresh[m.ID] && g.alreadyAnnounced(m, now):
			// Reported already, by the fetch that found them before this notice arrived.
		default:
			g.markReported(m.ID, now)
			out = append(out, m)
		}
	}
	return out
}

// emit delivers events in order. It blocks while the engine is busy — the library's loop
// waits with it, which is the back-pressure we want — and gives up only when Run ends.
//
// A rename event renames the group here, in the middle of the order, and every other
// event takes its group's name as it stands when it goes out: whatever was translated
// before a rename reaches the engine under the old name, whatever after under the new.
func (s *session) emit(evs ...bot.Event) {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	for _, ev := range evs {
		// Every id in the event belongs to this login; the engine re-links members when
		// the session changes.
		ev.Session = strconv.Itoa(s.seq)
		switch {
		case ev.Type == bot.EventRename:
			old, ok := s.applyRename(ev.Group.ID, ev.Group.Name)
			if !ok {
				continue // already under that name
			}
			ev.Text = old
		case ev.Group.ID != "":
			s.mu.Lock()
			if g, ok := s.groups[ev.Group.ID]; ok && g.info.Name != "" {
				ev.Group.Name = g.info.Name
			}
			s.mu.Unlock()
		}
		select {
		case s.events <- ev:
		case <-s.root.Done():
			return
		}
	}
}

// applyRename gives a group its new name and returns the old one; ok is false when there
// is nothing to rename (same name, or a group not named before).
func (s *session) applyRename(gid, name string) (old string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupLocked(gid)
	old = g.info.Name
	if name == "" || name == old {
		return "", false
	}
	g.info.Name = name
	s.a.ids.noteGroup(gid, name, s.seq)
	if old == "" {
		return "", false
	}
	s.log.Info("群已改名 / group renamed", "from", old, "to", name)
	return old, true
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

// snapshot saves the session's member lists for the next login to compare against: the
// lists of groups whose name is unique in this session, by name.
func (s *session) snapshot() map[string][]bot.MemberInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	count := map[string]int{}
	for _, g := range s.groups {
		count[g.info.Name]++
	}
	out := map[string][]bot.MemberInfo{}
	for _, g := range s.groups {
		if !g.loaded || g.info.Name == "" || count[g.info.Name] > 1 {
			continue
		}
		list := make([]bot.MemberInfo, 0, len(g.members))
		for _, m := range g.members {
			list = append(list, m)
		}
		sortMembers(list)
		out[g.info.Name] = list
	}
	return out
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
	s.flushHeld()
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
	if isRefusal(err) {
		s.end(fmt.Errorf("微信拒绝了这个账号（ret 1203）/ WeChat refused the account: %w", err))
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
		s.flushHeld()
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
// announces, are noticed — and joins whose notice was missed or worded in a way the parser
// does not know, so that every newcomer is welcomed and screened. Each group is read at
// most once per memberRefresh (a suspect shrink sooner: see applyGroup).
func (s *session) poller() {
	every := s.a.tune.memberRefresh
	tick := max(every/5, time.Second)
	for {
		if err := s.a.sleep(s.ctx, tick); err != nil {
			return
		}
		s.emit(s.diffEvents(s.refreshGroups(s.ctx, s.watchedGroups(), fetchPeriodic), nil)...)
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
