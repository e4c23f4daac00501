package onebot

import (
	"sync"
	"time"

	"qunbot/bot"
)

// state is what the adapter knows about QQ across connections: group names, members'
// names and roles, the bot's own role per group (what it may do there), message ids seen
// (replays after a reconnect stop here), messages already recalled, and the confirmations
// that actions wait for. Every method is safe from any goroutine.
type state struct {
	mu      sync.Mutex
	self    string
	groups  map[string]*groupRec
	seen    *ring
	recalls *ring
	friends map[string]bool // the bot's friends' QQ numbers (friends.go)

	waitMu  sync.Mutex
	waiters map[waitKey][]chan struct{}
}

type groupRec struct {
	name    string
	count   int
	members map[string]memberRec
	loaded  bool      // the member list was read (this connection or an earlier one)
	stale   bool      // read on an earlier connection: re-read before relying on roles
	checked time.Time // when the name was last looked for, for a group the list lacked
}

type memberRec struct {
	nickname, card, role string
}

func (m memberRec) name() string {
	return bot.MemberInfo{Nickname: m.nickname, DisplayName: m.card}.Name()
}

func newState() *state {
	return &state{groups: map[string]*groupRec{}, seen: newRing(8192), recalls: newRing(1024), waiters: map[waitKey][]chan struct{}{}}
}

func (s *state) setSelf(id string) {
	s.mu.Lock()
	s.self = id
	s.mu.Unlock()
}

func (s *state) selfID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.self
}

func (s *state) group(id string) *groupRec {
	g := s.groups[id]
	if g == nil {
		g = &groupRec{members: map[string]memberRec{}}
		s.groups[id] = g
	}
	return g
}

// setGroups records the group list's names.
func (s *state) setGroups(list []groupInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, gi := range list {
		g := s.group(string(gi.GroupID))
		g.name = gi.GroupName
		if gi.MemberCount > 0 {
			g.count = gi.MemberCount
		}
	}
}

// groupName is a group's name, or its number when the list never named it.
func (s *state) groupName(id string) (name string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[id]; g != nil && g.name != "" {
		return g.name, g.count
	}
	return id, 0
}

func (s *state) named(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[id]
	return g != nil && g.name != ""
}

// needsMembers reports a group whose member list should be read now.
func (s *state) needsMembers(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[id]
	return g == nil || !g.loaded || g.stale
}

func (s *state) setMembers(id string, list []memberInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(id)
	g.members = make(map[string]memberRec, len(list))
	for _, m := range list {
		g.members[string(m.UserID)] = memberRec{nickname: m.Nickname, card: m.Card, role: m.Role}
	}
	g.loaded, g.stale = true, false
	if len(list) > 0 {
		g.count = len(list)
	}
}

// markStale asks for every group's member list to be read again (a new connection: roles
// may have changed while the bot was away).
func (s *state) markStale() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		g.stale = g.loaded
	}
}

func (s *state) member(group, user string) (memberRec, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	if g == nil {
		return memberRec{}, false
	}
	m, ok := g.members[user]
	return m, ok
}

// noteMember records what a message's sender or a member query said about a member.
// Empty fields keep what was known (a sender object is best effort).
func (s *state) noteMember(group, user string, m memberRec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(group)
	old := g.members[user]
	if m.nickname == "" {
		m.nickname = old.nickname
	}
	if m.role == "" {
		m.role = old.role
	}
	g.members[user] = m
}

func (s *state) setRole(group, user, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(group)
	m := g.members[user]
	m.role = role
	g.members[user] = m
}

func (s *state) dropMember(group, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[group]; g != nil {
		delete(g.members, user)
	}
}

// role is a member's role in a group ("" unknown).
func (s *state) role(group, user string) string {
	m, _ := s.member(group, user)
	return m.role
}

// selfAdmin reports whether the bot's account is the group's owner or an admin.
func (s *state) selfAdmin(group string) bool {
	return powerful(s.role(group, s.selfID()))
}

func powerful(role string) bool { return role == "owner" || role == "admin" }

// waitKey names a notice an action waits for: ("ban"|"lift"|"kick", group, user).
type waitKey struct{ kind, group, user string }

// expect registers interest in a notice before the action that should cause it is sent,
// so a notice that arrives before the action's answer is not missed.
func (s *state) expect(k waitKey) chan struct{} {
	ch := make(chan struct{}, 1)
	s.waitMu.Lock()
	s.waiters[k] = append(s.waiters[k], ch)
	s.waitMu.Unlock()
	return ch
}

func (s *state) unexpect(k waitKey, ch chan struct{}) {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	list := s.waiters[k]
	for i, c := range list {
		if c == ch {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.waiters, k)
	} else {
		s.waiters[k] = list
	}
}

// observed signals everyone waiting for a notice.
func (s *state) observed(k waitKey) {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	for _, ch := range s.waiters[k] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// ring is a bounded set of recent keys: the oldest is forgotten first.
type ring struct {
	mu   sync.Mutex
	set  map[string]struct{}
	keys []string
	next int
}

func newRing(n int) *ring { return &ring{set: make(map[string]struct{}, n), keys: make([]string, n)} }

// add records k and reports whether it is new.
func (r *ring) add(k string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[k]; ok {
		return false
	}
	if old := r.keys[r.next]; old != "" {
		delete(r.set, old)
	}
	r.keys[r.next] = k
	r.set[k] = struct{}{}
	r.next = (r.next + 1) % len(r.keys)
	return true
}

func (r *ring) has(k string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[k]
	return ok
}
