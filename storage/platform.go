package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// schemaPlatformIDs serves platforms whose ids are stable (QQ through OneBot: group_id,
// user_id). A group is found by its platform id, so a renamed group keeps its key and with
// it its members, strikes and points; members were already found by their id. A member's
// role on the platform (the QQ group's owner or an admin) is kept apart from the role the
// bot's owner grants (members.role): the platform decides the one, the owner the other,
// and neither overwrites the other. platform_notices remembers which "the bot cannot do
// this here" messages the owner has had, so each is sent once, not on every offence.
const schemaPlatformIDs = `
ALTER TABLE groups ADD COLUMN platform_id TEXT;
CREATE UNIQUE INDEX groups_by_platform_id ON groups(platform_id) WHERE platform_id IS NOT NULL;

CREATE TABLE platform_roles (
	member_key INTEGER PRIMARY KEY REFERENCES members(key),
	role       TEXT NOT NULL
);

CREATE TABLE platform_notices (
	group_key INTEGER NOT NULL,
	kind      TEXT NOT NULL,
	at        INTEGER NOT NULL,
	PRIMARY KEY (group_key, kind)
) WITHOUT ROWID;
`

// Platform roles a member can hold in a group (QQ's sender.role).
const (
	PlatformOwner  = "owner"
	PlatformAdmin  = "admin"
	PlatformMember = "member"
)

// GroupByPlatformID finds the group with this stable platform id.
func (t *Tx) GroupByPlatformID(id string) (g Group, ok bool, err error) {
	return t.oneGroup(`SELECT key, name, first_seen FROM groups WHERE platform_id = ?`, id)
}

// GroupPlatformID is the stable platform id recorded for a group ("" when none: WeChat's
// groups, and the simulator's).
func (t *Tx) GroupPlatformID(key int64) (string, error) {
	var id sql.NullString
	err := t.queryRow(`SELECT platform_id FROM groups WHERE key = ?`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read platform id of group %d: %w", key, err)
	}
	return id.String, nil
}

// GroupPlatformIDs maps every group that has a stable platform id to it.
func (t *Tx) GroupPlatformIDs() (map[int64]string, error) {
	out := map[int64]string{}
	if err := t.queryEach(`SELECT key, platform_id FROM groups WHERE platform_id IS NOT NULL`, nil, func(rows rowScanner) error {
		var k int64
		var id string
		if err := rows.Scan(&k, &id); err != nil {
			return err
		}
		out[k] = id
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list platform ids of groups: %w", err)
	}
	return out, nil
}

// EnsureGroupByPlatformID returns the group with this stable id, creating it on first
// sight. A group recorded under the same name without an id (seen before ids were kept)
// is adopted rather than duplicated. Names are unique in the table, and on QQ two groups
// may share one: the later one is stored as "name（id）". renamed reports that the stored
// name differs from the one the group had (the group was renamed on the platform).
func (t *Tx) EnsureGroupByPlatformID(id, name string, now time.Time) (g Group, renamed bool, err error) {
	if name == "" {
		name = id
	}
	g, ok, err := t.GroupByPlatformID(id)
	if err != nil {
		return g, false, err
	}
	if ok {
		if g.Name == name || g.Name == name+"（"+id+"）" {
			return g, false, nil
		}
		g.Name, err = t.renameGroup(g.Key, id, name)
		return g, err == nil, err
	}
	byName, ok, err := t.FindGroup(name)
	if err != nil {
		return g, false, err
	}
	if ok {
		owner, err := t.GroupPlatformID(byName.Key)
		if err != nil {
			return g, false, err
		}
		if owner == "" {
			if _, err := t.exec(`UPDATE groups SET platform_id = ? WHERE key = ?`, id, byName.Key); err != nil {
				return g, false, fmt.Errorf("record platform id %s of group %q: %w", id, name, err)
			}
			return byName, false, nil
		}
		name = name + "（" + id + "）" // another group has this name
	}
	res, err := t.exec(`INSERT INTO groups(name, first_seen, platform_id) VALUES (?, ?, ?)`, name, ms(now), id)
	if err != nil {
		return g, false, fmt.Errorf("create group %q (%s): %w", name, id, err)
	}
	g = Group{Name: name, FirstSeen: now}
	g.Key, _ = res.LastInsertId()
	return g, false, nil
}

// renameGroup stores a group's new name, made unique by its id when another group has it.
func (t *Tx) renameGroup(key int64, id, name string) (string, error) {
	other, taken, err := t.FindGroup(name)
	if err != nil {
		return "", err
	}
	if taken && other.Key != key {
		name = name + "（" + id + "）"
	}
	if _, err := t.exec(`UPDATE groups SET name = ? WHERE key = ?`, name, key); err != nil {
		return "", fmt.Errorf("rename group %d to %q: %w", key, name, err)
	}
	return name, nil
}

// PlatformRole is a member's role on the platform ("" when the platform reports none or
// the member is an ordinary member).
func (t *Tx) PlatformRole(memberKey int64) (string, error) {
	var role string
	err := t.queryRow(`SELECT role FROM platform_roles WHERE member_key = ?`, memberKey).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read platform role of member %d: %w", memberKey, err)
	}
	return role, nil
}

// SetPlatformRole records a member's role on the platform; an ordinary member has no row.
func (t *Tx) SetPlatformRole(memberKey int64, role string) error {
	var err error
	if role == "" || role == PlatformMember {
		_, err = t.exec(`DELETE FROM platform_roles WHERE member_key = ?`, memberKey)
	} else {
		_, err = t.exec(`INSERT INTO platform_roles(member_key, role) VALUES (?, ?)
			ON CONFLICT(member_key) DO UPDATE SET role = excluded.role`, memberKey, role)
	}
	if err != nil {
		return fmt.Errorf("record platform role of member %d: %w", memberKey, err)
	}
	return nil
}

// NoticeOnce records that the owner is being told `kind` about a group; it reports false
// when they were told already (and the notice was not cleared since).
func (t *Tx) NoticeOnce(groupKey int64, kind string, at time.Time) (first bool, err error) {
	res, err := t.exec(`INSERT OR IGNORE INTO platform_notices(group_key, kind, at) VALUES (?, ?, ?)`, groupKey, kind, ms(at))
	if err != nil {
		return false, fmt.Errorf("record notice %s of group %d: %w", kind, groupKey, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ClearNotices forgets the notices of a group whose kind starts with prefix (the situation
// they described is over: the bot became an admin), so a new problem is told again.
func (t *Tx) ClearNotices(groupKey int64, prefix string) (int64, error) {
	res, err := t.exec(`DELETE FROM platform_notices WHERE group_key = ? AND substr(kind, 1, ?) = ?`, groupKey, len(prefix), prefix)
	if err != nil {
		return 0, fmt.Errorf("clear notices of group %d: %w", groupKey, err)
	}
	return res.RowsAffected()
}
