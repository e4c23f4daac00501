package bot

import (
	"context"
	"time"

	"qunbot/storage"
)

// resolveMember maps an adapter's session-scoped member to our own member key.
//
// Order: this session's id (cache, then DB); else a unique match on the identity tuple
// (nickname, group display name, AttrStatus), which re-links the member to the new session
// id; else a new member. Two or more tuple matches are ambiguous: the first is used for
// bookkeeping, and the turn is marked so no penalty or points action is taken on a guess.
func (e *Engine) resolveMember(tx *storage.Tx, g *groupState, info MemberInfo, now time.Time) (storage.Member, bool, error) {
	ref := memberRef{g.key, info.ID}
	if info.ID != "" {
		if key, ok := e.idCache[ref]; ok {
			m, err := tx.Member(key)
			if err != nil {
				return m, false, err
			}
			return e.refreshNames(tx, m, info)
		}
		byID, err := tx.MembersByPlatformID(g.key, info.ID)
		if err != nil {
			return storage.Member{}, false, err
		}
		if len(byID) == 1 {
			e.idCache[ref] = byID[0].Key
			return e.refreshNames(tx, byID[0], info)
		}
	}
	matches, err := tx.MembersByIdentity(g.key, info.Nickname, info.DisplayName, info.AttrStatus)
	if err != nil {
		return storage.Member{}, false, err
	}
	switch {
	case len(matches) == 1 && (matches[0].PlatformID == "" || !e.idLive(g.key, matches[0].PlatformID)):
		m := matches[0]
		if err := tx.UpdateIdentity(m.Key, info.ID, info.Nickname, info.DisplayName, info.AttrStatus); err != nil {
			return m, false, err
		}
		m.PlatformID = info.ID
		if info.ID != "" {
			e.idCache[ref] = m.Key
		}
		return m, false, nil
	case len(matches) > 1:
		e.log.Warn("ambiguous member identity: no penalty or points until resolved",
			"group", g.name, "nickname", info.Nickname, "candidates", len(matches))
		return matches[0], true, nil
	}
	m, err := tx.InsertMember(storage.Member{GroupKey: g.key, PlatformID: info.ID, Nickname: info.Nickname,
		DisplayName: info.DisplayName, AttrStatus: info.AttrStatus, FirstSeen: now, Welcomed: true})
	if err != nil {
		return m, false, err
	}
	if info.ID != "" {
		e.idCache[ref] = m.Key
	}
	return m, false, nil
}

// idLive reports whether a session id is already bound in this session to some member:
// then a tuple match on another id is a different person with the same names, not a
// re-login. The cache is cleared when the session changes (Event.Session).
func (e *Engine) idLive(groupKey int64, id string) bool {
	_, ok := e.idCache[memberRef{groupKey, id}]
	return ok
}

func (e *Engine) refreshNames(tx *storage.Tx, m storage.Member, info MemberInfo) (storage.Member, bool, error) {
	if m.Nickname == info.Nickname && m.DisplayName == info.DisplayName && m.AttrStatus == info.AttrStatus {
		return m, false, nil
	}
	// A rename changes the names we show, never the key, role or history.
	if err := tx.UpdateIdentity(m.Key, info.ID, info.Nickname, info.DisplayName, info.AttrStatus); err != nil {
		return m, false, err
	}
	m.Nickname, m.DisplayName, m.AttrStatus = info.Nickname, info.DisplayName, info.AttrStatus
	return m, false, nil
}

// platformID returns the session id to address a member by, or "" if unknown.
func (e *Engine) platformID(tx *storage.Tx, memberKey int64) string {
	m, err := tx.Member(memberKey)
	if err != nil {
		return ""
	}
	return m.PlatformID
}

// resetCaches forgets in-memory identity after a failed transaction, whose rolled-back rows
// the caches might otherwise still point at.
func (e *Engine) resetCaches() {
	e.idCache = map[memberRef]int64{}
	// Groups are reloaded from the database rather than dropped: timers and jobs look them
	// up by key, and a group created in a rolled-back savepoint must not linger.
	keep := map[int64]*groupState{}
	err := e.store.View(context.Background(), func(tx *storage.Tx) error {
		groups, err := tx.Groups()
		for _, g := range groups {
			if old, ok := e.groups[g.Key]; ok && old.name == g.Name {
				keep[g.Key] = old
			} else {
				keep[g.Key] = &groupState{key: g.Key, name: g.Name}
			}
		}
		return err
	})
	if err != nil {
		e.log.Error("reload groups after a failed event", "err", err)
	}
	e.groups = keep
	e.groupKeys = map[string]int64{}
	for k, g := range keep {
		e.groupKeys[g.name] = k
	}
}

// recentIDs is a small ring of recently handled message ids: most replays are caught here
// without a DB round trip; the processed table catches the rest.
type recentIDs struct {
	set  map[string]struct{}
	ring []string
	next int
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (r *recentIDs) seen(group, id string) bool {
	_, ok := r.set[group+"\x00"+id]
	return ok
}

func (r *recentIDs) add(group, id string) {
	k := group + "\x00" + id
	if _, ok := r.set[k]; ok {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = k
	r.set[k] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
}
