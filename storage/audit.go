package storage

import (
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry records one action the bot took (or decided, in dry run), with its reason.
type AuditEntry struct {
	ID        int64
	Time      time.Time
	GroupKey  int64  // 0 when not about a group
	MemberKey int64  // 0 when not about a member
	Actor     string // "bot", "owner", or "admin:<key>"
	Action    string // e.g. "welcome", "warn", "mute", "remove_request", "points", "send"
	Detail    map[string]any
}

// Audit appends an entry. It is called inside the same transaction as the change it explains.
func (t *Tx) Audit(e AuditEntry) (int64, error) {
	if e.Actor == "" {
		e.Actor = "bot"
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return 0, fmt.Errorf("encode audit detail for %s: %w", e.Action, err)
		}
	}
	res, err := t.exec(`INSERT INTO audit(time, group_key, member_key, actor, action, detail) VALUES (?,?,?,?,?,?)`,
		ms(e.Time), nullKey(e.GroupKey), nullKey(e.MemberKey), e.Actor, e.Action, string(detail))
	if err != nil {
		return 0, fmt.Errorf("write audit entry %s: %w", e.Action, err)
	}
	return res.LastInsertId()
}

// AuditLog lists entries, newest first. memberKey 0 means all members; groupKey 0 all groups.
func (t *Tx) AuditLog(groupKey, memberKey int64, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	if err := t.queryEach(`SELECT id, time, COALESCE(group_key,0), COALESCE(member_key,0), actor, action, detail FROM audit
		WHERE (? = 0 OR group_key = ?) AND (? = 0 OR member_key = ?) ORDER BY id DESC LIMIT ?`, []any{groupKey, groupKey, memberKey, memberKey, limit}, func(rows rowScanner) error {
		var e AuditEntry
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &at, &e.GroupKey, &e.MemberKey, &e.Actor, &e.Action, &detail); err != nil {
			return err
		}
		e.Time = fromMS(at)
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return fmt.Errorf("decode audit entry %d: %w", e.ID, err)
		}
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

func nullKey(k int64) any {
	if k == 0 {
		return nil
	}
	return k
}
