package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const schemaRemovals = `
CREATE TABLE removals (
	id            INTEGER PRIMARY KEY,
	group_key     INTEGER NOT NULL,
	member_key    INTEGER NOT NULL REFERENCES members(key),
	requested_at  INTEGER NOT NULL,
	source        TEXT NOT NULL,
	reason        TEXT NOT NULL DEFAULT '',
	evidence      TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT 'pending',
	last_reminded INTEGER,
	closed_at     INTEGER
);
CREATE UNIQUE INDEX removals_one_pending ON removals(member_key) WHERE status = 'pending';
CREATE INDEX removals_by_group ON removals(group_key, status);
`

// Removal statuses.
const (
	RemovalPending   = "pending"   // waiting for the owner to remove the member by hand
	RemovalDone      = "done"      // the member left or was removed
	RemovalCancelled = "cancelled" // an admin changed their mind
)

// Removal is a request to remove a member: on WeChat the bot cannot remove anyone, so the
// owner is asked and the request stays open until the member is gone.
type Removal struct {
	ID           int64
	GroupKey     int64
	MemberKey    int64
	RequestedAt  time.Time
	Source       string // what asked: "moderation:ads", "silent", "screening"
	Reason       string // Chinese, shown to the owner
	Evidence     string
	Status       string
	LastReminded time.Time
}

// RequestRemoval opens a removal request; if one is already pending for the member it is
// returned instead (created=false), so repeated triggers never pile up requests.
func (t *Tx) RequestRemoval(r Removal) (Removal, bool, error) {
	if existing, ok, err := t.PendingRemoval(r.MemberKey); err != nil || ok {
		return existing, false, err
	}
	res, err := t.execMayHave(setPendingRemoval, r.MemberKey, `INSERT INTO removals(group_key, member_key, requested_at, source, reason, evidence) VALUES (?,?,?,?,?,?)`,
		r.GroupKey, r.MemberKey, ms(r.RequestedAt), r.Source, r.Reason, r.Evidence)
	if err != nil {
		return r, false, fmt.Errorf("request removal of member %d: %w", r.MemberKey, err)
	}
	r.ID, _ = res.LastInsertId()
	r.Status = RemovalPending
	return r, true, nil
}

// PendingRemoval returns the member's open request, if any.
func (t *Tx) PendingRemoval(memberKey int64) (Removal, bool, error) {
	var r Removal
	if may, err := t.mayHave(setPendingRemoval, memberKey); err != nil || !may {
		return r, false, wrapErr(err, "read pending removals")
	}
	var req int64
	var reminded sql.NullInt64
	err := t.queryRow(`SELECT id, group_key, member_key, requested_at, source, reason, evidence, status, last_reminded
		FROM removals WHERE member_key = ? AND status = 'pending'`, memberKey).
		Scan(&r.ID, &r.GroupKey, &r.MemberKey, &req, &r.Source, &r.Reason, &r.Evidence, &r.Status, &reminded)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read pending removal of member %d: %w", memberKey, err)
	}
	r.RequestedAt, r.LastReminded = fromMS(req), nullMS(reminded)
	return r, true, nil
}

// PendingRemovals lists a group's open requests (groupKey 0: all groups), oldest first.
func (t *Tx) PendingRemovals(groupKey int64) ([]Removal, error) {
	var out []Removal
	if err := t.queryEach(`SELECT id, group_key, member_key, requested_at, source, reason, evidence, status, last_reminded
		FROM removals WHERE status = 'pending' AND (? = 0 OR group_key = ?) ORDER BY id`, []any{groupKey, groupKey}, func(rows rowScanner) error {
		var r Removal
		var req int64
		var reminded sql.NullInt64
		if err := rows.Scan(&r.ID, &r.GroupKey, &r.MemberKey, &req, &r.Source, &r.Reason, &r.Evidence, &r.Status, &reminded); err != nil {
			return err
		}
		r.RequestedAt, r.LastReminded = fromMS(req), nullMS(reminded)
		out = append(out, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list pending removals: %w", err)
	}
	return out, nil
}

// MarkReminded records that the owner was reminded of a request.
func (t *Tx) MarkReminded(id int64, at time.Time) error {
	if _, err := t.exec(`UPDATE removals SET last_reminded = ? WHERE id = ?`, ms(at), id); err != nil {
		return fmt.Errorf("record reminder of removal %d: %w", id, err)
	}
	return nil
}

// CloseRemovals closes the member's pending request with a status; it reports how many
// were closed (0 when none was pending).
func (t *Tx) CloseRemovals(memberKey int64, status string, at time.Time) (int64, error) {
	res, err := t.exec(`UPDATE removals SET status = ?, closed_at = ? WHERE member_key = ? AND status = 'pending'`, status, ms(at), memberKey)
	if err != nil {
		return 0, fmt.Errorf("close removal of member %d: %w", memberKey, err)
	}
	return res.RowsAffected()
}
