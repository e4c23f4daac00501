package storage

import (
	"encoding/json"
	"fmt"
	"time"
)

// Read-only queries for the owner's dashboard (bot/web). They run inside Store.View and
// never write.

// moderationActions are the audit actions the dashboard's moderation log shows: penalties,
// removal requests and their fate, and admins' corrections.
const moderationActions = `'warn', 'mute', 'remove', 'remove_request', 'remove_done', 'remove_expired',
	'remove_cancel', 'unmute', 'unwarn', 'clear', 'whitelist', 'unwhitelist', 'report'`

// LogEntry is an audit entry with the member's names as stored now.
type LogEntry struct {
	AuditEntry
	Nickname    string
	DisplayName string
}

// MemberName is how the member is shown (empty when the entry names nobody).
func (e LogEntry) MemberName() string { return DisplayOrNick(e.DisplayName, e.Nickname) }

// ModerationLog lists a group's moderation entries, newest first. A "report" entry counts
// only when it is a member's report of another (the daily and weekly reports name nobody).
func (t *Tx) ModerationLog(groupKey int64, limit int) ([]LogEntry, error) {
	return t.logEntries("read moderation log", `SELECT a.id, a.time, COALESCE(a.group_key,0), COALESCE(a.member_key,0), a.actor, a.action, a.detail,
		COALESCE(m.nickname,''), COALESCE(m.display_name,'')
		FROM audit a LEFT JOIN members m ON m.key = a.member_key
		WHERE a.group_key = ? AND a.action IN (`+moderationActions+`)
			AND (a.action <> 'report' OR a.member_key IS NOT NULL)
		ORDER BY a.id DESC LIMIT ?`, groupKey, limit)
}

// MemberMoves lists a group's joins and leaves in [from, to), newest first.
func (t *Tx) MemberMoves(groupKey int64, from, to time.Time, limit int) ([]LogEntry, error) {
	return t.logEntries("read joins and leaves", `SELECT a.id, a.time, COALESCE(a.group_key,0), COALESCE(a.member_key,0), a.actor, a.action, a.detail,
		COALESCE(m.nickname,''), COALESCE(m.display_name,'')
		FROM audit a LEFT JOIN members m ON m.key = a.member_key
		WHERE a.group_key = ? AND a.action IN ('join', 'leave') AND a.time >= ? AND a.time < ?
		ORDER BY a.id DESC LIMIT ?`, groupKey, ms(from), ms(to), limit)
}

func (t *Tx) logEntries(what, q string, args ...any) ([]LogEntry, error) {
	out, err := queryList(t, func(rows rowScanner) (LogEntry, error) {
		var e LogEntry
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &at, &e.GroupKey, &e.MemberKey, &e.Actor, &e.Action, &detail, &e.Nickname, &e.DisplayName); err != nil {
			return e, err
		}
		e.Time = fromMS(at)
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return e, fmt.Errorf("decode audit entry %d: %w", e.ID, err)
		}
		return e, nil
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// ActionTimes lists when a group's audit entries of one action happened in [from, to),
// oldest first (the dashboard buckets them by local day: SQLite knows no time zones).
func (t *Tx) ActionTimes(groupKey int64, action string, from, to time.Time) ([]time.Time, error) {
	var out []time.Time
	if err := t.queryEach(`SELECT time FROM audit WHERE group_key = ? AND action = ? AND time >= ? AND time < ? ORDER BY time`, []any{groupKey, action, ms(from), ms(to)}, func(rows rowScanner) error {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return err
		}
		out = append(out, fromMS(v))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read %s times: %w", action, err)
	}
	return out, nil
}

// Names returns the members' display names by key (members not found are left out).
func (t *Tx) Names(keys []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("encode member keys: %w", err)
	}
	// One statement for any number of keys (json_each), so the statement cache stays small.
	if err := t.queryEach(`SELECT key, nickname, display_name FROM members WHERE key IN (SELECT value FROM json_each(?))`, []any{string(list)}, func(rows rowScanner) error {
		var k int64
		var m Member
		if err := rows.Scan(&k, &m.Nickname, &m.DisplayName); err != nil {
			return err
		}
		out[k] = m.Name()
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read member names: %w", err)
	}
	return out, nil
}
