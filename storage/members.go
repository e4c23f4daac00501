package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Group is a group the bot has seen, keyed by our own key (names are what config uses).
type Group struct {
	Key       int64
	Name      string
	FirstSeen time.Time
}

// Roles a member can hold. Admin is granted by the owner's command and bound to the
// member key, never to a display name.
const (
	RoleMember = "member"
	RoleAdmin  = "admin"
)

// Member is one person in one group, under our own stable key. Adapter ids are
// session-scoped, so PlatformID is only the id seen in the latest session.
type Member struct {
	Key         int64
	GroupKey    int64
	PlatformID  string
	Nickname    string
	DisplayName string
	AttrStatus  int64
	FirstSeen   time.Time
	JoinedAt    time.Time // zero when the member was there before the bot
	LeftAt      time.Time // zero while in the group
	LastSpoke   time.Time // zero if never heard
	Welcomed    bool
	Role        string
}

// Name is how the member is shown in the group.
func (m Member) Name() string { return DisplayOrNick(m.DisplayName, m.Nickname) }

// InGroup reports whether the member has not left (or came back since).
func (m Member) InGroup() bool { return m.LeftAt.IsZero() }

// EnsureGroup returns the group with this name, creating it on first sight.
func (t *Tx) EnsureGroup(name string, now time.Time) (Group, error) {
	g, ok, err := t.FindGroup(name)
	if err != nil || ok {
		return g, err
	}
	g = Group{Name: name}
	res, err := t.exec(`INSERT INTO groups(name, first_seen) VALUES (?, ?)`, name, ms(now))
	if err != nil {
		return g, fmt.Errorf("create group %q: %w", name, err)
	}
	g.Key, _ = res.LastInsertId()
	g.FirstSeen = now
	return g, nil
}

// FindGroup looks a group up by name; ok is false for a group never seen. (Jobs look their
// group up on every run: one indexed row instead of listing every group.)
func (t *Tx) FindGroup(name string) (g Group, ok bool, err error) {
	return t.oneGroup(`SELECT key, name, first_seen FROM groups WHERE name = ?`, name)
}

// GroupByKey looks a group up by key; ok is false for an unknown key.
func (t *Tx) GroupByKey(key int64) (g Group, ok bool, err error) {
	return t.oneGroup(`SELECT key, name, first_seen FROM groups WHERE key = ?`, key)
}

func (t *Tx) oneGroup(query string, arg any) (g Group, ok bool, err error) {
	var first int64
	err = t.queryRow(query, arg).Scan(&g.Key, &g.Name, &first)
	if errors.Is(err, sql.ErrNoRows) {
		return g, false, nil
	}
	if err != nil {
		return g, false, fmt.Errorf("look up group %v: %w", arg, err)
	}
	g.FirstSeen = fromMS(first)
	return g, true, nil
}

// Groups lists every group the bot has seen.
func (t *Tx) Groups() ([]Group, error) {
	var out []Group
	if err := t.queryEach(`SELECT key, name, first_seen FROM groups ORDER BY key`, nil, func(rows rowScanner) error {
		var g Group
		var first int64
		if err := rows.Scan(&g.Key, &g.Name, &first); err != nil {
			return err
		}
		g.FirstSeen = fromMS(first)
		out = append(out, g)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

// memberColumns reads a member row; when they last spoke lives in member_spoke (migration
// 12), one primary-key look-up away.
const memberColumns = `key, group_key, platform_id, nickname, display_name, attr_status, first_seen,
	joined_at, left_at, (SELECT at FROM member_spoke WHERE member_key = members.key), welcomed, role`

func scanMember(sc interface{ Scan(...any) error }) (Member, error) {
	var m Member
	var first int64
	var joined, left, spoke sql.NullInt64
	err := sc.Scan(&m.Key, &m.GroupKey, &m.PlatformID, &m.Nickname, &m.DisplayName, &m.AttrStatus,
		&first, &joined, &left, &spoke, &m.Welcomed, &m.Role)
	m.FirstSeen = fromMS(first)
	m.JoinedAt, m.LeftAt, m.LastSpoke = nullMS(joined), nullMS(left), nullMS(spoke)
	return m, err
}

func (t *Tx) members(query string, args ...any) ([]Member, error) {
	return queryList(t, func(rows rowScanner) (Member, error) {
		m, err := scanMember(rows)
		t.overlay(&m)
		return m, err
	}, `SELECT `+memberColumns+` FROM members `+query, args...)
}

// Member loads a member by key (every message does: from the cache when it can).
func (t *Tx) Member(key int64) (Member, error) {
	if m, ok := t.cachedMember(key); ok {
		return m, nil
	}
	m, err := scanMember(t.queryRow(`SELECT `+memberColumns+` FROM members WHERE key = ?`, key))
	if err != nil {
		return m, fmt.Errorf("load member %d: %w", key, err)
	}
	t.overlay(&m)
	t.cacheMember(m)
	return m, nil
}

// MembersByPlatformID finds members last seen under this session id in the group.
func (t *Tx) MembersByPlatformID(groupKey int64, id string) ([]Member, error) {
	ms, err := t.members(`WHERE group_key = ? AND platform_id = ? ORDER BY key`, groupKey, id)
	if err != nil {
		return nil, fmt.Errorf("find member by id %q: %w", id, err)
	}
	return ms, nil
}

// MembersByIdentity finds members matching the identity tuple a new session re-links by.
func (t *Tx) MembersByIdentity(groupKey int64, nickname, displayName string, attrStatus int64) ([]Member, error) {
	ms, err := t.members(`WHERE group_key = ? AND nickname = ? AND display_name = ? AND attr_status = ? ORDER BY key`,
		groupKey, nickname, displayName, attrStatus)
	if err != nil {
		return nil, fmt.Errorf("find member by identity %q: %w", nickname, err)
	}
	return ms, nil
}

// MembersNamed finds members of the group whose nickname or display name is name, those
// still in the group first. Used to resolve "@name" in commands.
func (t *Tx) MembersNamed(groupKey int64, name string) ([]Member, error) {
	ms, err := t.members(`WHERE group_key = ? AND (nickname = ? OR display_name = ?)
		ORDER BY left_at IS NOT NULL, key`, groupKey, name, name)
	if err != nil {
		return nil, fmt.Errorf("find member named %q: %w", name, err)
	}
	return ms, nil
}

// GroupMembers lists the members currently in the group.
//
// From the cache when the group's roster and every row on it are there (the daily
// silent-member check of a busy group: reading 500 rows cost ~4 ms); otherwise the rows are
// read at once and cached.
func (t *Tx) GroupMembers(groupKey int64) ([]Member, error) {
	keys, err := t.roster(groupKey)
	if err != nil {
		return nil, fmt.Errorf("list members of group %d: %w", groupKey, err)
	}
	out := make([]Member, 0, len(keys))
	for _, k := range keys {
		m, ok := t.cachedMember(k)
		if !ok || m.GroupKey != groupKey || !m.InGroup() {
			break
		}
		out = append(out, m)
	}
	if len(out) == len(keys) {
		return out, nil
	}
	ms, err := t.members(`WHERE group_key = ? AND left_at IS NULL ORDER BY key`, groupKey)
	if err != nil {
		return nil, fmt.Errorf("list members of group %d: %w", groupKey, err)
	}
	for _, m := range ms {
		t.cacheMember(m)
	}
	return ms, nil
}

// CountMembers counts the members currently in the group.
func (t *Tx) CountMembers(groupKey int64) (int, error) {
	keys, err := t.roster(groupKey)
	if err != nil {
		return 0, fmt.Errorf("count members of group %d: %w", groupKey, err)
	}
	return len(keys), nil
}

// InsertMember stores a member seen for the first time and returns it with its key.
func (t *Tx) InsertMember(m Member) (Member, error) {
	if m.Role == "" {
		m.Role = RoleMember
	}
	res, err := t.exec(`INSERT INTO members(group_key, platform_id, nickname, display_name, attr_status,
		first_seen, joined_at, left_at, welcomed, role) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		m.GroupKey, m.PlatformID, m.Nickname, m.DisplayName, m.AttrStatus, ms(m.FirstSeen),
		toNullMS(m.JoinedAt), toNullMS(m.LeftAt), m.Welcomed, m.Role)
	if err != nil {
		return m, fmt.Errorf("insert member %q: %w", m.Nickname, err)
	}
	m.Key, _ = res.LastInsertId()
	if !m.LastSpoke.IsZero() {
		if _, err := t.exec(`INSERT INTO member_spoke(member_key, at) VALUES (?,?)`, m.Key, ms(m.LastSpoke)); err != nil {
			return m, fmt.Errorf("insert member %q: when last spoke: %w", m.Nickname, err)
		}
	}
	t.cacheMember(m)
	t.cacheBalance(m.Key, 0) // a new member has no ledger entries yet
	t.rosterAdd(m)
	return m, nil
}

// UpdateIdentity records the names and session id a member is seen under now.
func (t *Tx) UpdateIdentity(key int64, platformID, nickname, displayName string, attrStatus int64) error {
	_, err := t.execMember(key, `UPDATE members SET platform_id = ?, nickname = ?, display_name = ?, attr_status = ? WHERE key = ?`,
		platformID, nickname, displayName, attrStatus, key)
	if err != nil {
		return fmt.Errorf("update identity of member %d: %w", key, err)
	}
	return nil
}

// SetLastSpoke records when the member last said something. Every message does; the
// write is made with the others of its transaction just before the commit (hot.go).
func (t *Tx) SetLastSpoke(key int64, at time.Time) error {
	at = fromMS(ms(at)) // as a read from the database gives it
	enqueue(t, spokeQueue, spokeAt{key, at})
	p := &t.pending
	if p.latest == nil {
		p.latest = map[int64]time.Time{}
	}
	p.latest[key] = at
	t.cacheSpoke(key, at)
	return nil
}

// spokeQueue: every message's last_spoke, the last per member written (queue.go). The Tx
// keeps the latest per member (overlay) for rows read from the table meanwhile.
var spokeQueue = &queueKind[spokeAt]{id: qSpoke, name: "member_spoke", write: (*Tx).flushSpoke,
	dropped: func(t *Tx, kept, _ []spokeAt) {
		t.pending.latest = make(map[int64]time.Time, len(kept))
		for _, s := range kept {
			t.pending.latest[s.member] = s.at
		}
	}}

type spokeAt struct {
	member int64
	at     time.Time
}

// overlay gives a member row read from the database this transaction's last_spoke.
func (t *Tx) overlay(m *Member) {
	if at, ok := t.pending.latest[m.Key]; ok {
		m.LastSpoke = at
	}
}

func (t *Tx) flushSpoke(spoke []spokeAt) error {
	last := make(map[int64]time.Time, len(spoke))
	var order []int64
	for _, s := range spoke {
		if _, ok := last[s.member]; !ok {
			order = append(order, s.member)
		}
		last[s.member] = s.at
	}
	args := make([]any, 0, 2*len(order))
	for _, k := range order {
		args = append(args, k, ms(last[k]))
	}
	err := t.execRows(`INSERT INTO member_spoke(member_key, at) VALUES `, "(?,?)",
		` ON CONFLICT(member_key) DO UPDATE SET at = excluded.at`, 2, args)
	if err != nil {
		return fmt.Errorf("record when members last spoke: %w", err)
	}
	return nil
}

// MarkJoined records a (re)join; welcomed=false queues the member for the next welcome.
func (t *Tx) MarkJoined(key int64, at time.Time, welcomed bool) error {
	if _, err := t.execMembership(key, `UPDATE members SET joined_at = ?, left_at = NULL, welcomed = ? WHERE key = ?`,
		ms(at), welcomed, key); err != nil {
		return fmt.Errorf("record join of member %d: %w", key, err)
	}
	return nil
}

// MarkLeft records a leave. A leave that arrives twice keeps the first time.
func (t *Tx) MarkLeft(key int64, at time.Time) (changed bool, err error) {
	res, err := t.execMembership(key, `UPDATE members SET left_at = ?, welcomed = 1 WHERE key = ? AND left_at IS NULL`, ms(at), key)
	if err != nil {
		return false, fmt.Errorf("record leave of member %d: %w", key, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Unwelcomed lists members of the group who joined since `since` and were not welcomed yet,
// in join order.
func (t *Tx) Unwelcomed(groupKey int64, since time.Time) ([]Member, error) {
	ms, err := t.members(`WHERE group_key = ? AND welcomed = 0 AND left_at IS NULL AND joined_at >= ?
		ORDER BY joined_at, key`, groupKey, ms(since))
	if err != nil {
		return nil, fmt.Errorf("list members awaiting welcome: %w", err)
	}
	return ms, nil
}

// PendingWelcomeGroups lists groups with members waiting for a welcome, with the earliest
// join time among them, so a restarted engine can re-arm its welcome timers.
func (t *Tx) PendingWelcomeGroups() (map[int64]time.Time, error) {
	out := map[int64]time.Time{}
	if err := t.queryEach(`SELECT group_key, MIN(joined_at) FROM members WHERE welcomed = 0 AND left_at IS NULL
		AND joined_at IS NOT NULL GROUP BY group_key`, nil, func(rows rowScanner) error {
		var g, at int64
		if err := rows.Scan(&g, &at); err != nil {
			return err
		}
		out[g] = fromMS(at)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list pending welcomes: %w", err)
	}
	return out, nil
}

// MarkWelcomed clears the pending-welcome flag of a group's members. Old joiners that were
// too stale to greet are cleared too, so they never pile up.
func (t *Tx) MarkWelcomed(groupKey int64) error {
	if _, err := t.execGroupMembers(groupKey, `UPDATE members SET welcomed = 1 WHERE group_key = ? AND welcomed = 0`, groupKey); err != nil {
		return fmt.Errorf("mark welcomed in group %d: %w", groupKey, err)
	}
	return nil
}

// SetRole grants or revokes a role.
func (t *Tx) SetRole(key int64, role string) error {
	if _, err := t.execMember(key, `UPDATE members SET role = ? WHERE key = ?`, role, key); err != nil {
		return fmt.Errorf("set role of member %d: %w", key, err)
	}
	return nil
}
