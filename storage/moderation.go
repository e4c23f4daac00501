package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const schemaModeration = `
CREATE TABLE strikes (
	id         INTEGER PRIMARY KEY,
	group_key  INTEGER NOT NULL,
	member_key INTEGER NOT NULL REFERENCES members(key),
	time       INTEGER NOT NULL,
	count      INTEGER NOT NULL DEFAULT 1,
	rule       TEXT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	evidence   TEXT NOT NULL DEFAULT '',
	level      TEXT NOT NULL DEFAULT '',
	actor      TEXT NOT NULL DEFAULT 'bot',
	ref        TEXT UNIQUE,
	dry_run    INTEGER NOT NULL DEFAULT 0,
	revoked_at INTEGER
);
CREATE INDEX strikes_by_member ON strikes(member_key, time);

CREATE TABLE mutes (
	member_key INTEGER PRIMARY KEY REFERENCES members(key),
	group_key  INTEGER NOT NULL,
	since      INTEGER NOT NULL,
	until      INTEGER NOT NULL,
	reason     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE whitelist (
	member_key INTEGER PRIMARY KEY REFERENCES members(key),
	group_key  INTEGER NOT NULL,
	since      INTEGER NOT NULL,
	actor      TEXT NOT NULL DEFAULT 'owner'
);

CREATE TABLE promotions (
	member_key INTEGER NOT NULL REFERENCES members(key),
	day        TEXT NOT NULL,
	count      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (member_key, day)
) WITHOUT ROWID;
`

// Strike is one recorded offence. Ref makes it idempotent: the same message can never
// strike twice. DryRun strikes feed dry-run decisions only.
type Strike struct {
	ID        int64
	GroupKey  int64
	MemberKey int64
	Time      time.Time
	Count     int
	Rule      string
	Reason    string
	Evidence  string
	Level     string // the ladder step it led to
	Actor     string
	Ref       string
	DryRun    bool
	Revoked   bool
}

// AddStrike records a strike; added is false when a strike with the same ref exists.
func (t *Tx) AddStrike(s Strike) (id int64, added bool, err error) {
	var ref any
	if s.Ref != "" {
		ref = s.Ref
	}
	res, err := t.exec(`INSERT OR IGNORE INTO strikes(group_key, member_key, time, count, rule, reason, evidence, level, actor, ref, dry_run)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, s.GroupKey, s.MemberKey, ms(s.Time), s.Count, s.Rule, s.Reason, s.Evidence, s.Level, s.Actor, ref, s.DryRun)
	if err != nil {
		return 0, false, fmt.Errorf("record strike of member %d: %w", s.MemberKey, err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return 0, false, nil
	}
	id, _ = res.LastInsertId()
	return id, true, nil
}

// SetStrikeLevel records which ladder step a strike led to.
func (t *Tx) SetStrikeLevel(id int64, level string) error {
	if _, err := t.exec(`UPDATE strikes SET level = ? WHERE id = ?`, level, id); err != nil {
		return fmt.Errorf("record level of strike %d: %w", id, err)
	}
	return nil
}

// StrikeCount sums a member's live strikes since `since` (real or dry-run ones).
func (t *Tx) StrikeCount(memberKey int64, since time.Time, dryRun bool) (int, error) {
	var n int
	err := t.queryRow(`SELECT COALESCE(SUM(count), 0) FROM strikes WHERE member_key = ? AND time >= ? AND revoked_at IS NULL AND dry_run = ?`,
		memberKey, ms(since), dryRun).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count strikes of member %d: %w", memberKey, err)
	}
	return n, nil
}

// LastStep is when the member's newest live strike that counts (count > 0, real or
// dry-run as asked) was recorded: the last time they climbed the ladder.
func (t *Tx) LastStep(memberKey int64, dryRun bool) (time.Time, bool, error) {
	var at sql.NullInt64
	err := t.queryRow(`SELECT MAX(time) FROM strikes WHERE member_key = ? AND count > 0 AND revoked_at IS NULL AND dry_run = ?`,
		memberKey, dryRun).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("find last step of member %d: %w", memberKey, err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(at.Int64), true, nil
}

// Strikes lists a member's strikes, newest first (revoked ones included, marked).
func (t *Tx) Strikes(memberKey int64, limit int) ([]Strike, error) {
	var out []Strike
	if err := t.queryEach(`SELECT id, group_key, member_key, time, count, rule, reason, evidence, level, actor, COALESCE(ref,''), dry_run, revoked_at IS NOT NULL
		FROM strikes WHERE member_key = ? ORDER BY id DESC LIMIT ?`, []any{memberKey, limit}, func(rows rowScanner) error {
		var s Strike
		var at int64
		if err := rows.Scan(&s.ID, &s.GroupKey, &s.MemberKey, &at, &s.Count, &s.Rule, &s.Reason, &s.Evidence, &s.Level, &s.Actor, &s.Ref, &s.DryRun, &s.Revoked); err != nil {
			return err
		}
		s.Time = fromMS(at)
		out = append(out, s)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list strikes of member %d: %w", memberKey, err)
	}
	return out, nil
}

// RevokeLastStrike takes back the member's newest live real strike; it returns it, or
// ok=false when there is none.
func (t *Tx) RevokeLastStrike(memberKey int64, at time.Time) (Strike, bool, error) {
	list, err := t.Strikes(memberKey, 50)
	if err != nil {
		return Strike{}, false, err
	}
	for _, s := range list {
		if s.Revoked || s.DryRun {
			continue
		}
		if _, err := t.exec(`UPDATE strikes SET revoked_at = ? WHERE id = ?`, ms(at), s.ID); err != nil {
			return s, false, fmt.Errorf("revoke strike %d: %w", s.ID, err)
		}
		return s, true, nil
	}
	return Strike{}, false, nil
}

// RevokeAllStrikes clears a member's record (清除记录); it returns how many were live.
func (t *Tx) RevokeAllStrikes(memberKey int64, at time.Time) (int64, error) {
	res, err := t.exec(`UPDATE strikes SET revoked_at = ? WHERE member_key = ? AND revoked_at IS NULL`, ms(at), memberKey)
	if err != nil {
		return 0, fmt.Errorf("clear strikes of member %d: %w", memberKey, err)
	}
	return res.RowsAffected()
}

// Mute is a (soft) mute: recorded by the bot; WeChat cannot mute anyone.
type Mute struct {
	MemberKey int64
	GroupKey  int64
	Since     time.Time
	Until     time.Time
	Reason    string
}

// ActiveMutes lists a group's mutes still running at `now`, ending soonest first (状态).
func (t *Tx) ActiveMutes(groupKey int64, now time.Time) ([]Mute, error) {
	var out []Mute
	if err := t.queryEach(`SELECT member_key, group_key, since, until, reason FROM mutes WHERE group_key = ? AND until > ? ORDER BY until, member_key`, []any{groupKey, ms(now)}, func(rows rowScanner) error {
		var m Mute
		var since, until int64
		if err := rows.Scan(&m.MemberKey, &m.GroupKey, &since, &until, &m.Reason); err != nil {
			return err
		}
		m.Since, m.Until = fromMS(since), fromMS(until)
		out = append(out, m)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list mutes of group %d: %w", groupKey, err)
	}
	return out, nil
}

// SetMute mutes a member until `until` (replacing any earlier mute).
func (t *Tx) SetMute(m Mute) error {
	_, err := t.execMayHave(setMute, m.MemberKey, `INSERT INTO mutes(member_key, group_key, since, until, reason) VALUES (?,?,?,?,?)
		ON CONFLICT(member_key) DO UPDATE SET since = excluded.since, until = excluded.until, reason = excluded.reason`,
		m.MemberKey, m.GroupKey, ms(m.Since), ms(m.Until), m.Reason)
	if err != nil {
		return fmt.Errorf("mute member %d: %w", m.MemberKey, err)
	}
	return nil
}

// ActiveMute returns the member's mute if it is still running at `now`.
func (t *Tx) ActiveMute(memberKey int64, now time.Time) (Mute, bool, error) {
	var m Mute
	if may, err := t.mayHave(setMute, memberKey); err != nil || !may {
		return m, false, wrapErr(err, "read mutes")
	}
	var since, until int64
	err := t.queryRow(`SELECT member_key, group_key, since, until, reason FROM mutes WHERE member_key = ? AND until > ?`, memberKey, ms(now)).
		Scan(&m.MemberKey, &m.GroupKey, &since, &until, &m.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read mute of member %d: %w", memberKey, err)
	}
	m.Since, m.Until = fromMS(since), fromMS(until)
	return m, true, nil
}

// Unmute lifts a mute; it reports whether one was running.
func (t *Tx) Unmute(memberKey int64, now time.Time) (bool, error) {
	res, err := t.exec(`DELETE FROM mutes WHERE member_key = ? AND until > ?`, memberKey, ms(now))
	if err != nil {
		return false, fmt.Errorf("unmute member %d: %w", memberKey, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetWhitelisted allows or stops a member advertising within the promotion quota.
func (t *Tx) SetWhitelisted(memberKey, groupKey int64, on bool, at time.Time, actor string) error {
	var err error
	if on {
		_, err = t.exec(`INSERT OR IGNORE INTO whitelist(member_key, group_key, since, actor) VALUES (?,?,?,?)`, memberKey, groupKey, ms(at), actor)
	} else {
		_, err = t.exec(`DELETE FROM whitelist WHERE member_key = ?`, memberKey)
	}
	if err != nil {
		return fmt.Errorf("set whitelist of member %d: %w", memberKey, err)
	}
	return nil
}

// Whitelisted reports whether the member may advertise within the quota.
func (t *Tx) Whitelisted(memberKey int64) (bool, error) {
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM whitelist WHERE member_key = ?`, memberKey).Scan(&n); err != nil {
		return false, fmt.Errorf("read whitelist of member %d: %w", memberKey, err)
	}
	return n > 0, nil
}

// UsePromotion counts one promotion for the member's local day and returns the day's total.
func (t *Tx) UsePromotion(memberKey int64, day string) (int, error) {
	var n int
	err := t.queryRow(`INSERT INTO promotions(member_key, day, count) VALUES (?, ?, 1)
		ON CONFLICT(member_key, day) DO UPDATE SET count = count + 1 RETURNING count`, memberKey, day).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count promotion of member %d: %w", memberKey, err)
	}
	return n, nil
}

// SetWelcomed marks one member as greeted (or not to be greeted: an ad account).
func (t *Tx) SetWelcomed(memberKey int64) error {
	if _, err := t.execMember(memberKey, `UPDATE members SET welcomed = 1 WHERE key = ?`, memberKey); err != nil {
		return fmt.Errorf("mark member %d welcomed: %w", memberKey, err)
	}
	return nil
}
