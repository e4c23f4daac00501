package storage

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// schemaSchedule holds the state of scheduled posts, silent-member steps and entry
// screening (bot/schedule).
const schemaSchedule = `
CREATE TABLE post_rotation (
	job      TEXT PRIMARY KEY,
	position INTEGER NOT NULL DEFAULT 0,
	cycle    INTEGER NOT NULL DEFAULT 0,
	used     TEXT NOT NULL DEFAULT '[]',
	last     TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE silent_step (
	member_key INTEGER PRIMARY KEY REFERENCES members(key),
	group_key  INTEGER NOT NULL,
	step       INTEGER NOT NULL,
	since      INTEGER NOT NULL,
	at         INTEGER NOT NULL
);
CREATE INDEX silent_step_by_group ON silent_step(group_key);

CREATE TABLE screening (
	member_key INTEGER PRIMARY KEY REFERENCES members(key),
	group_key  INTEGER NOT NULL,
	joined_at  INTEGER NOT NULL,
	remind_at  INTEGER NOT NULL,
	deadline   INTEGER NOT NULL,
	prompted   INTEGER NOT NULL DEFAULT 0,
	reminded   INTEGER NOT NULL DEFAULT 0,
	status     TEXT NOT NULL DEFAULT 'pending',
	closed_at  INTEGER
);
CREATE INDEX screening_pending ON screening(group_key, deadline) WHERE status = 'pending';
CREATE INDEX audit_by_group_action ON audit(group_key, action, time);
`

// Rotation is where a post with a list of items stands: the next place in the list
// (sequence) or the items used in this round (shuffle, by content hash, so that editing the
// list never repeats an item already posted in the round).
type Rotation struct {
	Position int
	Cycle    int
	Used     []string
	Last     string // hash of the item posted last, so a new round never starts with it
}

// PostRotation reads a post's rotation state (zero when it never posted an item).
func (t *Tx) PostRotation(job string) (Rotation, error) {
	var r Rotation
	var used string
	err := t.queryRow(`SELECT position, cycle, used, last FROM post_rotation WHERE job = ?`, job).
		Scan(&r.Position, &r.Cycle, &used, &r.Last)
	if errors.Is(err, sql.ErrNoRows) {
		return Rotation{}, nil
	}
	if err != nil {
		return r, fmt.Errorf("read rotation of %s: %w", job, err)
	}
	if err := json.Unmarshal([]byte(used), &r.Used); err != nil {
		return r, fmt.Errorf("decode rotation of %s: %w", job, err)
	}
	return r, nil
}

// SetPostRotation stores a post's rotation state, in the transaction that posts the item.
func (t *Tx) SetPostRotation(job string, r Rotation) error {
	if r.Used == nil {
		r.Used = []string{}
	}
	used, err := json.Marshal(r.Used)
	if err != nil {
		return fmt.Errorf("encode rotation of %s: %w", job, err)
	}
	_, err = t.exec(`INSERT INTO post_rotation(job, position, cycle, used, last) VALUES (?,?,?,?,?)
		ON CONFLICT(job) DO UPDATE SET position = excluded.position, cycle = excluded.cycle, used = excluded.used, last = excluded.last`,
		job, r.Position, r.Cycle, string(used), r.Last)
	if err != nil {
		return fmt.Errorf("store rotation of %s: %w", job, err)
	}
	return nil
}

// SilentStep is the last wake-up step a member got, and the silence it belongs to: Since
// is the start of that silence, so a member who spoke (or rejoined) since starts afresh.
type SilentStep struct {
	MemberKey int64
	Step      int
	Since     time.Time
	At        time.Time
}

// SilentSteps returns the recorded steps of a group's members, by member key.
func (t *Tx) SilentSteps(groupKey int64) (map[int64]SilentStep, error) {
	out := map[int64]SilentStep{}
	if err := t.queryEach(`SELECT member_key, step, since, at FROM silent_step WHERE group_key = ?`, []any{groupKey}, func(rows rowScanner) error {
		var s SilentStep
		var since, at int64
		if err := rows.Scan(&s.MemberKey, &s.Step, &since, &at); err != nil {
			return err
		}
		s.Since, s.At = fromMS(since), fromMS(at)
		out[s.MemberKey] = s
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read silent steps: %w", err)
	}
	return out, nil
}

// SetSilentStep records that a member got a step of the silence that began at since.
func (t *Tx) SetSilentStep(groupKey, memberKey int64, step int, since, at time.Time) error {
	_, err := t.execMayHave(setSilentStep, memberKey, `INSERT INTO silent_step(member_key, group_key, step, since, at) VALUES (?,?,?,?,?)
		ON CONFLICT(member_key) DO UPDATE SET group_key = excluded.group_key, step = excluded.step, since = excluded.since, at = excluded.at`,
		memberKey, groupKey, step, ms(since), ms(at))
	if err != nil {
		return fmt.Errorf("record silent step of member %d: %w", memberKey, err)
	}
	return nil
}

// ClearSilentStep forgets a member's steps: they spoke, so their silence is over.
func (t *Tx) ClearSilentStep(memberKey int64) error {
	if may, err := t.mayHave(setSilentStep, memberKey); err != nil || !may {
		return wrapErr(err, "read silent steps")
	}
	if _, err := t.exec(`DELETE FROM silent_step WHERE member_key = ?`, memberKey); err != nil {
		return fmt.Errorf("clear silent step of member %d: %w", memberKey, err)
	}
	t.hasNoLonger(setSilentStep, memberKey)
	return nil
}

// Screening statuses.
const (
	ScreeningPending = "pending"
	ScreeningPassed  = "passed"
	ScreeningFailed  = "failed"  // timed out: removed or removal requested
	ScreeningLeft    = "left"    // left before the deadline: dropped
	ScreeningDropped = "dropped" // screening was switched off meanwhile
)

// Screening is a newcomer's entry check.
type Screening struct {
	MemberKey int64
	GroupKey  int64
	JoinedAt  time.Time
	RemindAt  time.Time
	Deadline  time.Time
	Prompted  bool // told what to do (the prompt is batched per group)
	Reminded  bool
	Status    string
}

const screeningColumns = `member_key, group_key, joined_at, remind_at, deadline, prompted, reminded, status`

func scanScreening(sc interface{ Scan(...any) error }) (Screening, error) {
	var s Screening
	var joined, remind, deadline int64
	err := sc.Scan(&s.MemberKey, &s.GroupKey, &joined, &remind, &deadline, &s.Prompted, &s.Reminded, &s.Status)
	s.JoinedAt, s.RemindAt, s.Deadline = fromMS(joined), fromMS(remind), fromMS(deadline)
	return s, err
}

// StartScreening opens (or, for a member who rejoins, restarts) a newcomer's check.
func (t *Tx) StartScreening(s Screening) error {
	_, err := t.execMayHave(setPendingScreening, s.MemberKey, `INSERT INTO screening(member_key, group_key, joined_at, remind_at, deadline, prompted, reminded, status, closed_at)
		VALUES (?,?,?,?,?,0,0,'pending',NULL)
		ON CONFLICT(member_key) DO UPDATE SET group_key = excluded.group_key, joined_at = excluded.joined_at,
			remind_at = excluded.remind_at, deadline = excluded.deadline, prompted = 0, reminded = 0, status = 'pending', closed_at = NULL`,
		s.MemberKey, s.GroupKey, ms(s.JoinedAt), ms(s.RemindAt), ms(s.Deadline))
	if err != nil {
		return fmt.Errorf("start screening of member %d: %w", s.MemberKey, err)
	}
	return nil
}

// PendingScreening returns the member's open check, if any.
func (t *Tx) PendingScreening(memberKey int64) (Screening, bool, error) {
	if may, err := t.mayHave(setPendingScreening, memberKey); err != nil || !may {
		return Screening{}, false, wrapErr(err, "read screenings")
	}
	s, err := scanScreening(t.queryRow(`SELECT `+screeningColumns+` FROM screening WHERE member_key = ? AND status = 'pending'`, memberKey))
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("read screening of member %d: %w", memberKey, err)
	}
	return s, true, nil
}

// PendingScreenings lists open checks of a group (groupKey 0: all groups), by deadline.
func (t *Tx) PendingScreenings(groupKey int64) ([]Screening, error) {
	out, err := queryList(t, scanScreening, `SELECT `+screeningColumns+` FROM screening WHERE status = 'pending' AND (? = 0 OR group_key = ?)
		ORDER BY deadline, member_key`, groupKey, groupKey)
	if err != nil {
		return nil, fmt.Errorf("list pending screenings: %w", err)
	}
	return out, nil
}

// MarkScreeningPrompted records that the newcomer was told what to do.
func (t *Tx) MarkScreeningPrompted(memberKey int64) error {
	if _, err := t.exec(`UPDATE screening SET prompted = 1 WHERE member_key = ?`, memberKey); err != nil {
		return fmt.Errorf("record screening prompt of member %d: %w", memberKey, err)
	}
	return nil
}

// MarkScreeningReminded records the halfway reminder.
func (t *Tx) MarkScreeningReminded(memberKey int64) error {
	if _, err := t.exec(`UPDATE screening SET reminded = 1 WHERE member_key = ?`, memberKey); err != nil {
		return fmt.Errorf("record screening reminder of member %d: %w", memberKey, err)
	}
	return nil
}

// RescheduleScreening moves an open check's reminder and deadline (after downtime).
func (t *Tx) RescheduleScreening(memberKey int64, remindAt, deadline time.Time, reminded bool) error {
	if _, err := t.exec(`UPDATE screening SET remind_at = ?, deadline = ?, reminded = ? WHERE member_key = ? AND status = 'pending'`,
		ms(remindAt), ms(deadline), reminded, memberKey); err != nil {
		return fmt.Errorf("reschedule screening of member %d: %w", memberKey, err)
	}
	return nil
}

// CloseScreening ends an open check with a status; it reports whether one was open.
func (t *Tx) CloseScreening(memberKey int64, status string, at time.Time) (bool, error) {
	res, err := t.exec(`UPDATE screening SET status = ?, closed_at = ? WHERE member_key = ? AND status = 'pending'`, status, ms(at), memberKey)
	if err != nil {
		return false, fmt.Errorf("close screening of member %d: %w", memberKey, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// CountActions counts a group's audit entries by action over [from, to).
func (t *Tx) CountActions(groupKey int64, from, to time.Time, actions ...string) (map[string]int, error) {
	out := map[string]int{}
	for _, a := range actions {
		var n int
		if err := t.queryRow(`SELECT COUNT(*) FROM audit WHERE group_key = ? AND action = ? AND time >= ? AND time < ?`,
			groupKey, a, ms(from), ms(to)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s entries: %w", a, err)
		}
		out[a] = n
	}
	return out, nil
}

// RuleCount is how often a moderation rule was applied.
type RuleCount struct {
	Rule  string
	Count int
}

// Violations counts a group's moderation actions (warn, mute, remove with a rule in their
// detail, and offences held within a member's step gap) over [from, to), by rule, most
// first.
func (t *Tx) Violations(groupKey int64, from, to time.Time) ([]RuleCount, error) {
	var out []RuleCount
	if err := t.queryEach(`SELECT json_extract(detail, '$.rule') AS rule, COUNT(*) FROM audit
		WHERE group_key = ? AND action IN ('warn', 'mute', 'remove', 'hold') AND time >= ? AND time < ?
			AND json_valid(detail) AND json_extract(detail, '$.rule') IS NOT NULL
		GROUP BY rule ORDER BY COUNT(*) DESC, rule`, []any{groupKey, ms(from), ms(to)}, func(rows rowScanner) error {
		var r RuleCount
		var rule any
		if err := rows.Scan(&rule, &r.Count); err != nil {
			return err
		}
		r.Rule = fmt.Sprint(rule)
		if b, ok := rule.([]byte); ok {
			r.Rule = string(b)
		}
		out = append(out, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count violations: %w", err)
	}
	return out, nil
}

// ActiveMembers counts the distinct members of a group who sent at least one message over
// [fromDay, toDay] ("2006-01-02", inclusive).
func (t *Tx) ActiveMembers(groupKey int64, fromDay, toDay string) (int, error) {
	if err := t.flushPending(); err != nil {
		return 0, err
	}
	var n int
	if err := t.queryRow(`SELECT COUNT(DISTINCT member_key) FROM activity WHERE group_key = ? AND day BETWEEN ? AND ?`,
		groupKey, fromDay, toDay).Scan(&n); err != nil {
		return 0, fmt.Errorf("count active members: %w", err)
	}
	return n, nil
}
