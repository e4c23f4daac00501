package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// schemaCommunity is migration 16: the articles' engagement tools. The points ledger is
// rebuilt because its reasons are a CHECK constraint, which SQLite cannot alter in place;
// every entry keeps its id (the settled mark counts by id) and the table stays
// append-only, with the same indexes (the ref's unique one, the by-day one). A
// million-entry ledger takes seconds (docs/PERFORMANCE.md). The other tables are new:
//
//   - newcomers: a new member's three-day tasks (intro, first check-in, valid messages);
//   - invites: who brought whom in, what it paid, and whether it was taken back;
//   - thanks: one row per (giver, day, receiver), the reputation 「谢谢 @某人」 gives;
//   - lotteries and lottery_entries, polls and poll_votes, chains and chain_entries: the
//     activities (抽奖, 投票, 接龙), each with the status that makes its ending happen once;
//   - notices: keys of things the owner is told once (a size threshold crossed, a holiday
//     table missing this year);
//   - checkins.note: what a member wrote with a check-in (打卡 今日读了 30 页);
//   - an index of the bot's sent group messages by group and time, for the bot's share of
//     a group's messages in the reports.
const schemaCommunity = `
CREATE TABLE points_ledger_v15 (
	id         INTEGER PRIMARY KEY,
	group_key  INTEGER NOT NULL REFERENCES groups(key),
	member_key INTEGER NOT NULL REFERENCES members(key),
	delta      INTEGER NOT NULL,
	reason     TEXT NOT NULL CHECK (reason IN ('checkin', 'message', 'admin', 'redeem', 'award',
		'gift', 'newcomer', 'invite', 'thanks', 'lottery', 'vote', 'signup')),
	ref        TEXT NOT NULL UNIQUE,
	time       INTEGER NOT NULL,
	day        TEXT NOT NULL,
	note       TEXT NOT NULL DEFAULT ''
);
INSERT INTO points_ledger_v15(id, group_key, member_key, delta, reason, ref, time, day, note)
	SELECT id, group_key, member_key, delta, reason, ref, time, day, note FROM points_ledger ORDER BY id;
DROP TABLE points_ledger;
ALTER TABLE points_ledger_v15 RENAME TO points_ledger;
CREATE INDEX points_ledger_by_day ON points_ledger(day, reason);
CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger BEGIN
	SELECT RAISE(ABORT, 'points ledger is append-only');
END;
CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger BEGIN
	SELECT RAISE(ABORT, 'points ledger is append-only');
END;

ALTER TABLE checkins ADD COLUMN note TEXT NOT NULL DEFAULT '';

CREATE TABLE newcomers (
	member_key INTEGER PRIMARY KEY REFERENCES members(key),
	group_key  INTEGER NOT NULL,
	started    INTEGER NOT NULL,
	deadline   INTEGER NOT NULL,
	intro_at   INTEGER,
	checkin_at INTEGER,
	messages   INTEGER NOT NULL DEFAULT 0,
	done_at    INTEGER
);

CREATE TABLE invites (
	invitee_key INTEGER PRIMARY KEY REFERENCES members(key),
	group_key   INTEGER NOT NULL,
	inviter_key INTEGER NOT NULL REFERENCES members(key),
	at          INTEGER NOT NULL,
	day         TEXT NOT NULL,
	points      INTEGER NOT NULL,
	revoked_at  INTEGER
);
CREATE INDEX invites_by_inviter ON invites(inviter_key, day);
CREATE INDEX invites_by_group ON invites(group_key);

CREATE TABLE thanks (
	giver_key    INTEGER NOT NULL,
	day          TEXT NOT NULL,
	receiver_key INTEGER NOT NULL,
	group_key    INTEGER NOT NULL,
	time         INTEGER NOT NULL,
	PRIMARY KEY (giver_key, day, receiver_key)
) WITHOUT ROWID;
CREATE INDEX thanks_by_group_day ON thanks(group_key, day);

CREATE TABLE lotteries (
	id          INTEGER PRIMARY KEY,
	group_key   INTEGER NOT NULL REFERENCES groups(key),
	starter_key INTEGER NOT NULL,
	prize       TEXT NOT NULL,
	cost        INTEGER NOT NULL,
	winners     INTEGER NOT NULL,
	created     INTEGER NOT NULL,
	deadline    INTEGER NOT NULL,
	seed        TEXT NOT NULL,
	status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'drawn', 'void', 'cancelled')),
	closed_at   INTEGER,
	result      TEXT NOT NULL DEFAULT '',
	ack_through INTEGER NOT NULL DEFAULT 0,
	acked_at    INTEGER
);
CREATE INDEX lotteries_open ON lotteries(group_key) WHERE status = 'open';
CREATE TABLE lottery_entries (
	id         INTEGER PRIMARY KEY,
	lottery_id INTEGER NOT NULL REFERENCES lotteries(id),
	member_key INTEGER NOT NULL REFERENCES members(key),
	at         INTEGER NOT NULL,
	UNIQUE (lottery_id, member_key)
);

CREATE TABLE polls (
	id          INTEGER PRIMARY KEY,
	group_key   INTEGER NOT NULL REFERENCES groups(key),
	starter_key INTEGER NOT NULL,
	title       TEXT NOT NULL,
	options     TEXT NOT NULL,
	created     INTEGER NOT NULL,
	deadline    INTEGER NOT NULL,
	status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
	closed_at   INTEGER,
	ack_through INTEGER NOT NULL DEFAULT 0,
	acked_at    INTEGER
);
CREATE INDEX polls_open ON polls(group_key) WHERE status = 'open';
CREATE TABLE poll_votes (
	id         INTEGER PRIMARY KEY,
	poll_id    INTEGER NOT NULL REFERENCES polls(id),
	member_key INTEGER NOT NULL REFERENCES members(key),
	option     INTEGER NOT NULL,
	at         INTEGER NOT NULL,
	UNIQUE (poll_id, member_key)
);

CREATE TABLE chains (
	id             INTEGER PRIMARY KEY,
	group_key      INTEGER NOT NULL REFERENCES groups(key),
	starter_key    INTEGER NOT NULL,
	title          TEXT NOT NULL,
	max_entries    INTEGER NOT NULL,
	created        INTEGER NOT NULL,
	deadline       INTEGER,
	status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
	closed_at      INTEGER,
	version        INTEGER NOT NULL DEFAULT 0,
	posted_version INTEGER NOT NULL DEFAULT 0,
	posted_at      INTEGER
);
CREATE INDEX chains_open ON chains(group_key) WHERE status = 'open';
CREATE TABLE chain_entries (
	id         INTEGER PRIMARY KEY,
	chain_id   INTEGER NOT NULL REFERENCES chains(id),
	member_key INTEGER NOT NULL REFERENCES members(key),
	label      TEXT NOT NULL,
	at         INTEGER NOT NULL,
	UNIQUE (chain_id, member_key)
);

CREATE TABLE notices (
	key TEXT PRIMARY KEY,
	at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX outbox_sent_by_group ON outbox(group_key, sent_at) WHERE kind = 'send' AND sent_at IS NOT NULL;
`

// Reasons added by migration 16, as reported in "points" outcomes.
const (
	ReasonGift     = "gift"     // 见面礼: a newcomer's welcome gift
	ReasonNewcomer = "newcomer" // newcomer tasks done in time
	ReasonInvite   = "invite"   // an invite paid (positive), or taken back when the invitee left early (negative)
	ReasonThanks   = "thanks"   // thanked by another member (谢谢 @某人)
	ReasonLottery  = "lottery"  // a lottery's entry cost (negative), or its refund when cancelled (positive)
	ReasonVote     = "vote"     // voting in a poll
	ReasonSignup   = "signup"   // signing up to a chain (接龙)
)

// ---- newcomers ----

// Newcomer is a new member's progress on the first days' tasks.
type Newcomer struct {
	MemberKey int64
	GroupKey  int64
	Started   time.Time
	Deadline  time.Time
	IntroAt   time.Time
	CheckinAt time.Time
	Messages  int
	DoneAt    time.Time
}

// StartNewcomer opens a member's tasks. A member has them once per group: a second join
// (a member who left and came back) starts nothing and reports false.
func (t *Tx) StartNewcomer(n Newcomer) (bool, error) {
	res, err := t.exec(`INSERT INTO newcomers(member_key, group_key, started, deadline) VALUES (?,?,?,?)
		ON CONFLICT(member_key) DO NOTHING`, n.MemberKey, n.GroupKey, ms(n.Started), ms(n.Deadline))
	if err != nil {
		return false, fmt.Errorf("start newcomer tasks of member %d: %w", n.MemberKey, err)
	}
	added, _ := res.RowsAffected()
	return added > 0, nil
}

// NewcomerOf returns a member's tasks; ok is false when they never had any.
func (t *Tx) NewcomerOf(memberKey int64) (n Newcomer, ok bool, err error) {
	var started, deadline int64
	var intro, checkin, done sql.NullInt64
	err = t.queryRow(`SELECT member_key, group_key, started, deadline, intro_at, checkin_at, messages, done_at
		FROM newcomers WHERE member_key = ?`, memberKey).
		Scan(&n.MemberKey, &n.GroupKey, &started, &deadline, &intro, &checkin, &n.Messages, &done)
	if errors.Is(err, sql.ErrNoRows) {
		return Newcomer{}, false, nil
	}
	if err != nil {
		return Newcomer{}, false, fmt.Errorf("read newcomer tasks of member %d: %w", memberKey, err)
	}
	n.Started, n.Deadline = fromMS(started), fromMS(deadline)
	n.IntroAt, n.CheckinAt, n.DoneAt = nullMS(intro), nullMS(checkin), nullMS(done)
	return n, true, nil
}

// SaveNewcomer stores a member's progress.
func (t *Tx) SaveNewcomer(n Newcomer) error {
	_, err := t.exec(`UPDATE newcomers SET intro_at = ?, checkin_at = ?, messages = ?, done_at = ? WHERE member_key = ?`,
		toNullMS(n.IntroAt), toNullMS(n.CheckinAt), n.Messages, toNullMS(n.DoneAt), n.MemberKey)
	if err != nil {
		return fmt.Errorf("save newcomer tasks of member %d: %w", n.MemberKey, err)
	}
	return nil
}

// ---- invites ----

// Invite is one member brought in by another.
type Invite struct {
	InviteeKey int64
	GroupKey   int64
	InviterKey int64
	At         time.Time
	Day        string
	Points     int64 // what it paid the inviter
	RevokedAt  time.Time
}

// RecordInvite stores who invited a member. A member is recorded once per group (their
// first invite): a second join, whoever brings them, changes nothing and reports false.
func (t *Tx) RecordInvite(i Invite) (bool, error) {
	res, err := t.exec(`INSERT INTO invites(invitee_key, group_key, inviter_key, at, day, points) VALUES (?,?,?,?,?,?)
		ON CONFLICT(invitee_key) DO NOTHING`, i.InviteeKey, i.GroupKey, i.InviterKey, ms(i.At), i.Day, i.Points)
	if err != nil {
		return false, fmt.Errorf("record invite of member %d: %w", i.InviteeKey, err)
	}
	added, _ := res.RowsAffected()
	return added > 0, nil
}

// InviteOf returns how a member was invited; ok is false for members nobody invited.
func (t *Tx) InviteOf(inviteeKey int64) (i Invite, ok bool, err error) {
	var at int64
	var revoked sql.NullInt64
	err = t.queryRow(`SELECT invitee_key, group_key, inviter_key, at, day, points, revoked_at FROM invites WHERE invitee_key = ?`, inviteeKey).
		Scan(&i.InviteeKey, &i.GroupKey, &i.InviterKey, &at, &i.Day, &i.Points, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Invite{}, false, nil
	}
	if err != nil {
		return Invite{}, false, fmt.Errorf("read invite of member %d: %w", inviteeKey, err)
	}
	i.At, i.RevokedAt = fromMS(at), nullMS(revoked)
	return i, true, nil
}

// RevokeInvite marks an invite taken back.
func (t *Tx) RevokeInvite(inviteeKey int64, at time.Time) error {
	if _, err := t.exec(`UPDATE invites SET revoked_at = ? WHERE invitee_key = ? AND revoked_at IS NULL`, ms(at), inviteeKey); err != nil {
		return fmt.Errorf("take back invite of member %d: %w", inviteeKey, err)
	}
	return nil
}

// PaidInvitesOn counts the invites that paid an inviter on a day (the daily cap).
func (t *Tx) PaidInvitesOn(inviterKey int64, day string) (int, error) {
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM invites WHERE inviter_key = ? AND day = ? AND points > 0`, inviterKey, day).Scan(&n); err != nil {
		return 0, fmt.Errorf("count invites of member %d: %w", inviterKey, err)
	}
	return n, nil
}

// InviteCount is one line of the invite board.
type InviteCount struct {
	InviterKey int64
	Invited    int // invites not taken back
	Staying    int // of those, invitees still in the group
}

// InviteBoard ranks a group's inviters still in it by invitees still in the group, then
// by invites kept.
func (t *Tx) InviteBoard(groupKey int64, limit int) ([]InviteCount, error) {
	var out []InviteCount
	if err := t.queryEach(`SELECT i.inviter_key, COUNT(*), SUM(CASE WHEN m.left_at IS NULL THEN 1 ELSE 0 END)
		FROM invites i JOIN members m ON m.key = i.invitee_key
		JOIN members inv ON inv.key = i.inviter_key
		WHERE i.group_key = ? AND i.revoked_at IS NULL AND inv.left_at IS NULL
		GROUP BY i.inviter_key ORDER BY 3 DESC, 2 DESC, i.inviter_key LIMIT ?`, []any{groupKey, limit}, func(rows rowScanner) error {
		var c InviteCount
		if err := rows.Scan(&c.InviterKey, &c.Invited, &c.Staying); err != nil {
			return fmt.Errorf("rank inviters of group %d: %w", groupKey, err)
		}
		out = append(out, c)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("rank inviters of group %d: %w", groupKey, err)
	}
	return out, nil
}

// ---- thanks ----

// AddThanks records that giver thanked receiver on day. It reports false, writing nothing,
// when the giver already thanked them that day.
func (t *Tx) AddThanks(groupKey, giverKey, receiverKey int64, day string, at time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO thanks(giver_key, day, receiver_key, group_key, time) VALUES (?,?,?,?,?)
		ON CONFLICT DO NOTHING`, giverKey, day, receiverKey, groupKey, ms(at))
	if err != nil {
		return false, fmt.Errorf("record thanks of member %d: %w", giverKey, err)
	}
	added, _ := res.RowsAffected()
	return added > 0, nil
}

// ThanksGivenOn counts the people a member thanked on a day (the daily cap).
func (t *Tx) ThanksGivenOn(giverKey int64, day string) (int, error) {
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM thanks WHERE giver_key = ? AND day = ?`, giverKey, day).Scan(&n); err != nil {
		return 0, fmt.Errorf("count thanks of member %d: %w", giverKey, err)
	}
	return n, nil
}

// ThanksReceived counts, per member of a group, the thanks received over [fromDay, toDay].
func (t *Tx) ThanksReceived(groupKey int64, fromDay, toDay string) (map[int64]int, error) {
	out := map[int64]int{}
	if err := t.queryEach(`SELECT receiver_key, COUNT(*) FROM thanks WHERE group_key = ? AND day BETWEEN ? AND ? GROUP BY receiver_key`, []any{groupKey, fromDay, toDay}, func(rows rowScanner) error {
		var k int64
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		out[k] = n
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count thanks in group %d: %w", groupKey, err)
	}
	return out, nil
}

// ThanksTotal is how often a member has been thanked, ever.
func (t *Tx) ThanksTotal(receiverKey int64) (int, error) {
	var n int
	// No index by receiver: this is read by a member's own 积分, now and then, and a
	// receiver index would be one more random page written per thanks.
	if err := t.queryRow(`SELECT COUNT(*) FROM thanks WHERE receiver_key = ?`, receiverKey).Scan(&n); err != nil {
		return 0, fmt.Errorf("count thanks of member %d: %w", receiverKey, err)
	}
	return n, nil
}

// ---- check-in notes ----

// SetCheckinNote stores what a member wrote with a day's check-in.
func (t *Tx) SetCheckinNote(memberKey int64, day, note string) error {
	if _, err := t.exec(`UPDATE checkins SET note = ? WHERE member_key = ? AND day = ?`, note, memberKey, day); err != nil {
		return fmt.Errorf("record check-in note of member %d: %w", memberKey, err)
	}
	return nil
}

// CheckinNote is what a member wrote with a day's check-in ("" when nothing).
func (t *Tx) CheckinNote(memberKey int64, day string) (string, error) {
	var note string
	err := t.queryRow(`SELECT note FROM checkins WHERE member_key = ? AND day = ?`, memberKey, day).Scan(&note)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read check-in note of member %d: %w", memberKey, err)
	}
	return note, nil
}

// CheckedInOn lists which of a group's members checked in on a day, and on the day before
// (whose streak a missed day would end).
func (t *Tx) CheckedInOn(groupKey int64, day, dayBefore string) (today, before map[int64]bool, err error) {
	today, before = map[int64]bool{}, map[int64]bool{}
	if err := t.queryEach(`SELECT member_key, day FROM checkins WHERE group_key = ? AND day IN (?, ?)`, []any{groupKey, day, dayBefore}, func(rows rowScanner) error {
		var k int64
		var d string
		if err := rows.Scan(&k, &d); err != nil {
			return err
		}
		if d == day {
			today[k] = true
		} else {
			before[k] = true
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("list check-ins of group %d: %w", groupKey, err)
	}
	return today, before, nil
}

// ---- notices ----

// Notice records that the owner was told about key; it reports false when they already
// were (tell once).
func (t *Tx) Notice(key string, at time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO notices(key, at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, key, ms(at))
	if err != nil {
		return false, fmt.Errorf("record notice %q: %w", key, err)
	}
	added, _ := res.RowsAffected()
	return added > 0, nil
}

// ForgetNotice lets a notice be given again (a group that shrank below a threshold warns
// again when it next crosses it).
func (t *Tx) ForgetNotice(key string) error {
	if _, err := t.exec(`DELETE FROM notices WHERE key = ?`, key); err != nil {
		return fmt.Errorf("forget notice %q: %w", key, err)
	}
	return nil
}
