package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// schemaBlocklist is migration 19: the owner's blocklist. An entry remembers who was
// removed (or listed with 拉黑) by the identity the platform gives: a stable id where
// there is one (a QQ number), else the names and AttrStatus WeChat shows. Hits record
// which member rows a join matched, so those members are sidelined (no welcome, no points)
// until the entry is lifted.
const schemaBlocklist = `
CREATE TABLE blocklist (
	id           INTEGER PRIMARY KEY,
	group_key    INTEGER NOT NULL,
	member_key   INTEGER NOT NULL,
	platform_id  TEXT NOT NULL DEFAULT '',
	nickname     TEXT NOT NULL,
	display_name TEXT NOT NULL DEFAULT '',
	attr_status  INTEGER NOT NULL DEFAULT 0,
	reason       TEXT NOT NULL DEFAULT '',
	source       TEXT NOT NULL,
	actor        TEXT NOT NULL,
	added_at     INTEGER NOT NULL,
	lifted_at    INTEGER,
	lifted_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX blocklist_active ON blocklist(id) WHERE lifted_at IS NULL;
CREATE TABLE blocklist_hits (
	member_key INTEGER PRIMARY KEY,
	entry_id   INTEGER NOT NULL REFERENCES blocklist(id),
	at         INTEGER NOT NULL
);
`

// Block is one blocklist entry.
type Block struct {
	ID          int64
	GroupKey    int64 // the group the member was removed from or listed in
	MemberKey   int64 // their row there
	PlatformID  string
	Nickname    string
	DisplayName string
	AttrStatus  int64
	Reason      string
	Source      string // "moderation:<rule>" or "command"
	Actor       string
	AddedAt     time.Time
}

// Name is how the entry is shown: the group display name it was listed under, else the
// nickname.
func (b Block) Name() string {
	if b.DisplayName != "" {
		return b.DisplayName
	}
	return b.Nickname
}

const blockColumns = `id, group_key, member_key, platform_id, nickname, display_name, attr_status, reason, source, actor, added_at`

func scanBlock(sc interface{ Scan(...any) error }) (Block, error) {
	var b Block
	var added int64
	err := sc.Scan(&b.ID, &b.GroupKey, &b.MemberKey, &b.PlatformID, &b.Nickname, &b.DisplayName, &b.AttrStatus,
		&b.Reason, &b.Source, &b.Actor, &added)
	b.AddedAt = fromMS(added)
	return b, err
}

// AddBlock lists a member. A member already listed (same member row, or the same stable
// id) keeps the entry they have: created is false and that entry is returned.
func (t *Tx) AddBlock(b Block) (Block, bool, error) {
	existing, err := scanBlock(t.queryRow(`SELECT `+blockColumns+` FROM blocklist
		WHERE lifted_at IS NULL AND (member_key = ? OR (? != '' AND platform_id = ?)) ORDER BY id LIMIT 1`,
		b.MemberKey, b.PlatformID, b.PlatformID))
	if err == nil {
		return existing, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return b, false, fmt.Errorf("look up blocklist entry of member %d: %w", b.MemberKey, err)
	}
	res, err := t.exec(`INSERT INTO blocklist(group_key, member_key, platform_id, nickname, display_name, attr_status,
		reason, source, actor, added_at) VALUES (?,?,?,?,?,?,?,?,?,?)`, b.GroupKey, b.MemberKey, b.PlatformID, b.Nickname,
		b.DisplayName, b.AttrStatus, b.Reason, b.Source, b.Actor, ms(b.AddedAt))
	if err != nil {
		return b, false, fmt.Errorf("add member %d to the blocklist: %w", b.MemberKey, err)
	}
	b.ID, _ = res.LastInsertId()
	return b, true, nil
}

// ActiveBlocks lists the entries in force, oldest first.
func (t *Tx) ActiveBlocks() ([]Block, error) {
	rows, err := t.query(`SELECT ` + blockColumns + ` FROM blocklist WHERE lifted_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list the blocklist: %w", err)
	}
	defer rows.Close()
	var out []Block
	for rows.Next() {
		b, err := scanBlock(rows)
		if err != nil {
			return nil, fmt.Errorf("read blocklist entry: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BlockHits lists the member rows an entry matched on joining.
func (t *Tx) BlockHits(entryID int64) ([]int64, error) {
	rows, err := t.query(`SELECT member_key FROM blocklist_hits WHERE entry_id = ? ORDER BY member_key`, entryID)
	if err != nil {
		return nil, fmt.Errorf("list hits of blocklist entry %d: %w", entryID, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// LiftBlock takes an entry off the list (kept, with who lifted it and when, for the audit)
// and frees the members it had matched.
func (t *Tx) LiftBlock(id int64, at time.Time, by string) (bool, error) {
	res, err := t.exec(`UPDATE blocklist SET lifted_at = ?, lifted_by = ? WHERE id = ? AND lifted_at IS NULL`, ms(at), by, id)
	if err != nil {
		return false, fmt.Errorf("lift blocklist entry %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	if _, err := t.exec(`DELETE FROM blocklist_hits WHERE entry_id = ?`, id); err != nil {
		return false, fmt.Errorf("free members of blocklist entry %d: %w", id, err)
	}
	return n > 0, nil
}

// RecordBlockHit remembers that a member row was matched by an entry on joining.
func (t *Tx) RecordBlockHit(memberKey, entryID int64, at time.Time) error {
	if _, err := t.exec(`INSERT INTO blocklist_hits(member_key, entry_id, at) VALUES (?,?,?)
		ON CONFLICT(member_key) DO UPDATE SET entry_id = excluded.entry_id, at = excluded.at`, memberKey, entryID, ms(at)); err != nil {
		return fmt.Errorf("record blocklist hit of member %d: %w", memberKey, err)
	}
	return nil
}

// Blocked reports whether a member row is listed itself or was matched by an entry in
// force. Asked on rare paths only (a welcome, a gift, the weekly star), never per message.
func (t *Tx) Blocked(memberKey int64) (bool, error) {
	var n int
	err := t.queryRow(`SELECT (SELECT COUNT(*) FROM blocklist_hits h JOIN blocklist b ON b.id = h.entry_id
			WHERE h.member_key = ? AND b.lifted_at IS NULL)
		+ (SELECT COUNT(*) FROM blocklist WHERE member_key = ? AND lifted_at IS NULL)`, memberKey, memberKey).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read blocklist of member %d: %w", memberKey, err)
	}
	return n > 0, nil
}

// LiveMembersNicknamed lists members still in any group whose nickname is name: the
// namesakes a WeChat blocklist match must rule out.
func (t *Tx) LiveMembersNicknamed(name string) ([]Member, error) {
	ms, err := t.members(`WHERE nickname = ? AND left_at IS NULL ORDER BY key`, name)
	if err != nil {
		return nil, fmt.Errorf("find members nicknamed %q: %w", name, err)
	}
	return ms, nil
}

// ClosedRemoval returns the member's removal request closed with status at `at` (the leave
// just recorded), if there is one.
func (t *Tx) ClosedRemoval(memberKey int64, status string, at time.Time) (Removal, bool, error) {
	var r Removal
	var req int64
	err := t.queryRow(`SELECT id, group_key, member_key, requested_at, source, reason, evidence, status
		FROM removals WHERE member_key = ? AND status = ? AND closed_at = ? ORDER BY id DESC LIMIT 1`, memberKey, status, ms(at)).
		Scan(&r.ID, &r.GroupKey, &r.MemberKey, &req, &r.Source, &r.Reason, &r.Evidence, &r.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read closed removal of member %d: %w", memberKey, err)
	}
	r.RequestedAt = fromMS(req)
	return r, true, nil
}

// ValidMessagesSince sums a member's valid messages in their group from a local day on
// (inclusive): how far a newcomer has come. Asked only while a member is new.
func (t *Tx) ValidMessagesSince(groupKey, memberKey int64, fromDay string) (int, error) {
	if err := t.flushPending(); err != nil {
		return 0, err
	}
	var n sql.NullInt64
	if err := t.queryRow(`SELECT SUM(valid) FROM activity WHERE member_key = ? AND day >= ? AND group_key = ?`,
		memberKey, fromDay, groupKey).Scan(&n); err != nil {
		return 0, fmt.Errorf("count valid messages of member %d: %w", memberKey, err)
	}
	return int(n.Int64), nil
}
