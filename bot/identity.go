package bot

import (
	"context"
	"strings"
	"time"

	"qunbot/storage"
)

// resolveMember maps an adapter's session-scoped member to our own member key.
//
// Order: this session's id (cache, then DB); else the identity tuple (nickname, group
// display name, AttrStatus) through relink, which never hands a role or points over on a
// guess; else a new member. ambiguous means the sender's identity is a guess: the turn
// takes no penalty or points action and grants no admin rights.
func (e *Engine) resolveMember(tx *storage.Tx, g *groupState, info MemberInfo, now time.Time) (storage.Member, bool, error) {
	if e.caps.StableIDs && info.ID != "" {
		return e.resolveStable(tx, g, info, now)
	}
	ref := memberRef{g.key, info.ID}
	if info.ID != "" {
		if key, ok := e.idCache[ref]; ok {
			m, err := tx.Member(key)
			if err != nil {
				return m, false, err
			}
			m, _, err = e.refreshNames(tx, m, info)
			return m, e.ident.shadowed(ref), err
		}
		byID, err := tx.MembersByPlatformID(g.key, info.ID)
		if err != nil {
			return storage.Member{}, false, err
		}
		if len(byID) == 1 {
			e.idCache[ref] = byID[0].Key
			m, _, err := e.refreshNames(tx, byID[0], info)
			return m, e.ident.shadowed(ref), err
		}
	}
	return e.relink(tx, g, info, now) // relink.go
}

// resolveStable is resolveMember for a platform whose ids are stable (QQ's user_id): the id
// is who the member is. Names are never used to re-link: a changed group card is the same
// person with a new card, and a new id is a new person even with an old name.
func (e *Engine) resolveStable(tx *storage.Tx, g *groupState, info MemberInfo, now time.Time) (storage.Member, bool, error) {
	ref := memberRef{g.key, info.ID}
	if key, ok := e.idCache[ref]; ok {
		m, err := tx.Member(key)
		if err != nil {
			return m, false, err
		}
		return e.refreshStableNames(tx, m, info)
	}
	byID, err := tx.MembersByPlatformID(g.key, info.ID)
	if err != nil {
		return storage.Member{}, false, err
	}
	if len(byID) > 0 {
		e.idCache[ref] = byID[0].Key
		return e.refreshStableNames(tx, byID[0], info)
	}
	nick := info.Nickname
	if nick == "" && info.DisplayName == "" {
		nick = info.ID // a notice that named nobody: the number until the member speaks
	}
	m, err := tx.InsertMember(storage.Member{GroupKey: g.key, PlatformID: info.ID, Nickname: nick,
		DisplayName: info.DisplayName, FirstSeen: now, Welcomed: true})
	if err != nil {
		return m, false, err
	}
	e.idCache[ref] = m.Key
	return m, false, nil
}

// refreshStableNames keeps the names we show current. An event that carries no names at
// all (a notice with only a number) leaves them as they are.
func (e *Engine) refreshStableNames(tx *storage.Tx, m storage.Member, info MemberInfo) (storage.Member, bool, error) {
	if info.Nickname == "" && info.DisplayName == "" {
		return m, false, nil
	}
	return e.refreshNames(tx, m, info)
}

// platformRole is a member's role on the platform ("" for an ordinary member), from the
// cache or the database. Only platforms with stable ids report roles.
func (e *Engine) platformRole(tx *storage.Tx, memberKey int64) (string, error) {
	if r, ok := e.roles[memberKey]; ok {
		return r, nil
	}
	r, err := tx.PlatformRole(memberKey)
	if err != nil {
		return "", err
	}
	if len(e.roles) >= 100_000 {
		e.roles = map[int64]string{} // bounded: refilled on demand
	}
	e.roles[memberKey] = r
	return r, nil
}

// notePlatformRole records a role the platform reported, writing only a change.
func (e *Engine) notePlatformRole(tx *storage.Tx, memberKey int64, role string) error {
	if role == storage.PlatformMember {
		role = ""
	}
	cur, err := e.platformRole(tx, memberKey)
	if err != nil || cur == role {
		return err
	}
	if err := tx.SetPlatformRole(memberKey, role); err != nil {
		return err
	}
	e.roles[memberKey] = role
	return nil
}

// platformAdmin reports whether a platform role is the group's owner or an admin.
func platformAdmin(role string) bool {
	return role == storage.PlatformOwner || role == storage.PlatformAdmin
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
	// The shadows (relink.go) stay: a shadow whose row was rolled back is found by nobody's
	// id and made again by relink, while one whose row exists must stay a guess.
	e.idCache = map[memberRef]int64{}
	e.roles = map[int64]string{}
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
	e.groupIDs = map[string]int64{}
	if err := e.loadPlatformIDs(context.Background()); err != nil {
		e.log.Error("reload platform ids of groups after a failed event", "err", err)
	}
}

// loadPlatformIDs gives known groups their stable platform ids (QQ group numbers) from
// the database, so that after a restart the outbox can address a group, and the engine
// ask what it may do there, before the group's first event.
func (e *Engine) loadPlatformIDs(ctx context.Context) error {
	if !e.caps.StableIDs {
		return nil
	}
	return e.store.View(ctx, func(tx *storage.Tx) error {
		ids, err := tx.GroupPlatformIDs()
		if err != nil {
			return err
		}
		for key, id := range ids {
			g, ok := e.groups[key]
			if !ok {
				rec, found, err := tx.GroupByKey(key)
				if err != nil || !found {
					return err
				}
				g = &groupState{key: key, name: rec.Name}
				e.groups[key] = g
				e.groupKeys[rec.Name] = key
			}
			g.id = id
			e.groupIDs[id] = key
			e.outbox.SetGroupID(key, id)
			// Until the platform names it again, its name is the stored one (less the
			// number added to tell two groups of one name apart).
			e.noteStableGroup(id, g.name, strings.TrimSuffix(g.name, "（"+id+"）"))
		}
		return nil
	})
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
