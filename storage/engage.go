package storage

import (
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// The points ledger is append-only: triggers refuse UPDATE and DELETE. A per-member
// balance row summarises it (leaderboards and rank queries read it instead of summing
// months of entries): kept by a trigger per entry until migration 14, settled in bulk since
// (settle.go). The UNIQUE ref is what makes paying idempotent: a replayed message or a
// retried job inserts nothing.
const schemaEngagement = `
CREATE TABLE points_ledger (
	id         INTEGER PRIMARY KEY,
	group_key  INTEGER NOT NULL REFERENCES groups(key),
	member_key INTEGER NOT NULL REFERENCES members(key),
	delta      INTEGER NOT NULL,
	reason     TEXT NOT NULL CHECK (reason IN ('checkin', 'message', 'admin', 'redeem', 'award')),
	ref        TEXT NOT NULL UNIQUE,
	time       INTEGER NOT NULL,
	day        TEXT NOT NULL,
	note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX points_ledger_by_member_day ON points_ledger(member_key, day, reason, delta);

CREATE TABLE points_balances (
	member_key INTEGER PRIMARY KEY REFERENCES members(key),
	group_key  INTEGER NOT NULL,
	balance    INTEGER NOT NULL
);
CREATE INDEX points_balances_rank ON points_balances(group_key, balance);

CREATE TRIGGER points_ledger_balance AFTER INSERT ON points_ledger BEGIN
	INSERT INTO points_balances(member_key, group_key, balance) VALUES (NEW.member_key, NEW.group_key, NEW.delta)
	ON CONFLICT(member_key) DO UPDATE SET balance = balance + NEW.delta;
END;
CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger BEGIN
	SELECT RAISE(ABORT, 'points ledger is append-only');
END;
CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger BEGIN
	SELECT RAISE(ABORT, 'points ledger is append-only');
END;

CREATE TABLE checkins (
	member_key      INTEGER NOT NULL REFERENCES members(key),
	day             TEXT NOT NULL,
	group_key       INTEGER NOT NULL,
	time            INTEGER NOT NULL,
	streak          INTEGER NOT NULL,
	points          INTEGER NOT NULL,
	makeup          INTEGER NOT NULL DEFAULT 0,
	repeat_answered INTEGER,
	PRIMARY KEY (member_key, day)
) WITHOUT ROWID;

CREATE TABLE auto_reply_sent (
	group_key INTEGER NOT NULL,
	rule      TEXT NOT NULL,
	at        INTEGER NOT NULL,
	PRIMARY KEY (group_key, rule)
) WITHOUT ROWID;
`

// Reasons for a points change, as reported in "points" outcomes.
const (
	ReasonCheckin = "checkin" // daily check-in
	ReasonMessage = "message" // a valid chat message
	ReasonAdmin   = "admin"   // 加分 / 扣分 by an admin or the owner
	ReasonRedeem  = "redeem"  // spent on the catalogue (or on a make-up check-in)
	ReasonAward   = "award"   // weekly top contributors
)

// ErrInsufficientPoints is returned when a change other than an admin's would take a
// balance below zero. Nothing is written.
var ErrInsufficientPoints = errors.New("not enough points")

// PointsEntry is one line of the ledger.
type PointsEntry struct {
	ID        int64
	GroupKey  int64
	MemberKey int64
	Delta     int64
	Reason    string
	Ref       string // unique: the same ref is never paid twice
	Time      time.Time
	Day       string // local day of Time, "2006-01-02"
	Note      string
	// AllowNegative lets a debit take the balance below zero: taking back points paid
	// earlier (an invite whose newcomer left at once) must not fail because they were spent.
	AllowNegative bool
}

// AddPoints appends an entry unless one with the same Ref exists. It returns the balance
// after the call and whether the entry was new. A change that would leave the balance below
// zero fails with ErrInsufficientPoints (writing nothing) unless the reason is admin or
// the entry allows it: only an admin's hand, or taking back what was paid, takes a member
// into the red.
func (t *Tx) AddPoints(e PointsEntry) (balance int64, applied bool, err error) {
	// Entries queued by AddNewPoints go first: the ref check below must see them, and the
	// ledger's ids stay in the order the entries were made.
	if err := t.flushLedger(); err != nil {
		return 0, false, err
	}
	balance, err = t.Balance(e.MemberKey)
	if err != nil {
		return 0, false, err
	}
	if e.Delta < 0 && balance+e.Delta < 0 && e.Reason != ReasonAdmin && !e.AllowNegative {
		// A replay of a spend that went through is not a new spend.
		var exists bool
		if err := t.queryRow(`SELECT EXISTS(SELECT 1 FROM points_ledger WHERE ref = ?)`, e.Ref).Scan(&exists); err != nil {
			return 0, false, fmt.Errorf("read points ledger of member %d: %w", e.MemberKey, err)
		}
		if exists {
			return balance, false, nil
		}
		return balance, false, ErrInsufficientPoints
	}
	// The ref's unique index is the replay check: an existing ref inserts nothing.
	res, err := t.exec(`INSERT INTO points_ledger(group_key, member_key, delta, reason, ref, time, day, note)
		VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(ref) DO NOTHING`, e.GroupKey, e.MemberKey, e.Delta, e.Reason, e.Ref, ms(e.Time), e.Day, e.Note)
	if err != nil {
		return balance, false, fmt.Errorf("record %s points of member %d: %w", e.Reason, e.MemberKey, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return balance, false, wrapErr(err, "record points")
	}
	t.noteUnsettled(e)
	return t.credited(e, balance), true, nil
}

// credited moves the member's cached balance (given before e) and day sums by a
// ledger entry just made, and returns the new balance.
func (t *Tx) credited(e PointsEntry, balance int64) int64 {
	balance += e.Delta
	t.cacheBalance(e.MemberKey, balance)
	if e.Delta > 0 {
		t.addEarned(dayReason{e.Day, e.Reason}, e.MemberKey, e.Delta)
	}
	return balance
}

// AddNewPoints is AddPoints for a credit whose ref is new by construction: a message's
// points, whose ref is the message id MarkProcessed has just found new. Every paid message
// comes here, so the entry is queued and written with the transaction's other pending rows
// in multi-row statements before it commits (hot.go); the balance and the day's sums change
// at once. Should the ref exist after all when it is written (a message replayed after its
// id was pruned from processed), that row is skipped, and the cached balances and the
// unsettled sums are dropped (read again from the tables): the member keeps the one
// payment made for it.
func (t *Tx) AddNewPoints(e PointsEntry) (balance int64, err error) {
	if e.Delta <= 0 {
		return 0, fmt.Errorf("record %s points of member %d: AddNewPoints only credits (delta %d)", e.Reason, e.MemberKey, e.Delta)
	}
	balance, err = t.Balance(e.MemberKey)
	if err != nil {
		return 0, err
	}
	enqueue(t, ledgerQueue, e)
	p := &t.pending
	if p.unflushedPoints == nil {
		p.unflushedPoints = map[int64]int64{}
	}
	p.unflushedPoints[e.MemberKey] += e.Delta
	return t.credited(e, balance), nil
}

// ledgerQueue: every paid message's points entry (queue.go). The Tx keeps the unwritten
// deltas per member (unflushedPoints) for a balance read from the table meanwhile.
var ledgerQueue = &queueKind[PointsEntry]{id: qLedger, name: "points_ledger", write: (*Tx).flushLedgerRows,
	unwritten: func(t *Tx, rows []PointsEntry) {
		p := &t.pending
		if p.unflushedPoints == nil {
			return // AddNewPoints makes it with the first entry
		}
		clear(p.unflushedPoints)
		for _, e := range rows {
			p.unflushedPoints[e.MemberKey] += e.Delta
		}
	}}

var onlyLedger = []int{qLedger}

// flushLedger writes the queued ledger entries not written yet, before a read or write
// that needs the table to have them.
func (t *Tx) flushLedger() error { return t.flushQueues(onlyLedger) }

// flushLedgerRows writes queued ledger entries.
func (t *Tx) flushLedgerRows(rows []PointsEntry) error {
	args := make([]any, 0, 8*len(rows))
	for _, e := range rows {
		args = append(args, e.GroupKey, e.MemberKey, e.Delta, e.Reason, e.Ref, ms(e.Time), e.Day, e.Note)
	}
	inserted, err := t.execRowsCount(`INSERT INTO points_ledger(group_key, member_key, delta, reason, ref, time, day, note) VALUES `,
		"(?,?,?,?,?,?,?,?)", ` ON CONFLICT(ref) DO NOTHING`, 8, args)
	if err != nil {
		return fmt.Errorf("record message points: %w", err)
	}
	if inserted != int64(len(rows)) {
		slog.Warn("message points already in the ledger were not paid again; cached balances dropped",
			"entries", len(rows), "written", inserted)
		t.dropPointsCache()
		return nil
	}
	t.noteUnsettled(rows...)
	return nil
}

// Balance is a member's points balance.
func (t *Tx) Balance(memberKey int64) (int64, error) {
	if b, ok := t.cachedBalance(memberKey); ok {
		return b, nil
	}
	var b int64
	err := t.queryRow(`SELECT COALESCE((SELECT balance FROM points_balances WHERE member_key = ?), 0)`, memberKey).Scan(&b)
	if err != nil {
		return 0, fmt.Errorf("read balance of member %d: %w", memberKey, err)
	}
	unsettled, err := t.unsettledPoints()
	if err != nil {
		return 0, fmt.Errorf("read balance of member %d: %w", memberKey, err)
	}
	b += unsettled[memberKey].delta           // written, not settled yet (settle.go)
	b += t.pending.unflushedPoints[memberKey] // queued entries whose cached balance was dropped
	t.cacheBalance(memberKey, b)
	return b, nil
}

// PointsRank is the member's place on the group's points board: one more than the number of
// members still in the group with a higher balance (equal balances share a place).
func (t *Tx) PointsRank(groupKey, memberKey int64) (int, error) {
	mine, err := t.Balance(memberKey)
	if err != nil {
		return 0, err
	}
	higher := 0
	err = t.withBoard(groupKey, func(board map[int64]int64) {
		for _, b := range board {
			if b > mine {
				higher++
			}
		}
	})
	if err != nil {
		return 0, fmt.Errorf("rank member %d: %w", memberKey, err)
	}
	return higher + 1, nil
}

// Standing is one line of a points board.
type Standing struct {
	MemberKey int64
	Balance   int64
}

// PointsTop lists members still in the group with a positive balance, highest first.
func (t *Tx) PointsTop(groupKey int64, limit int) ([]Standing, error) {
	var out []Standing
	err := t.withBoard(groupKey, func(board map[int64]int64) {
		for m, b := range board {
			if b > 0 {
				out = append(out, Standing{m, b})
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("rank points of group %d: %w", groupKey, err)
	}
	slices.SortFunc(out, func(a, b Standing) int {
		return cmp.Or(cmp.Compare(b.Balance, a.Balance), cmp.Compare(a.MemberKey, b.MemberKey))
	})
	return out[:min(len(out), max(limit, 0))], nil
}

// withBoard runs fn on the group's board, read from the tables each time: a board is
// asked for by a command now and then (签到, 积分, 排行榜), and keeping one in memory
// across transactions — moved by every balance change, dropped by every join and leave —
// measured no gain in the load benchmark (docs/PERFORMANCE.md ## engine, issue 20).
func (t *Tx) withBoard(groupKey int64, fn func(board map[int64]int64)) error {
	board, err := t.loadBoard(groupKey)
	if err != nil {
		return err
	}
	fn(board)
	return nil
}

// loadBoard reads the balances of a group's members still in it: their settled rows, and
// the entries past the settled mark of everyone still in it (settle.go).
func (t *Tx) loadBoard(groupKey int64) (map[int64]int64, error) {
	if err := t.flushLedger(); err != nil {
		return nil, err
	}
	unsettled, err := t.unsettledPoints()
	if err != nil {
		return nil, err
	}
	inGroup, err := t.roster(groupKey)
	if err != nil {
		return nil, err
	}
	// The group's settled rows through its index, kept for members on the roster (cheaper
	// than a join to members per row), then each of them's unsettled tail: a lookup per
	// member of the group, not a walk over every member's tail.
	board := make(map[int64]int64, len(inGroup))
	err = t.queryEach(`SELECT member_key, balance FROM points_balances WHERE group_key = ?`, []any{groupKey},
		func(rows rowScanner) error {
			var m, b int64
			if err := rows.Scan(&m, &b); err != nil {
				return err
			}
			if _, still := slices.BinarySearch(inGroup, m); still {
				board[m] = b
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	for _, m := range inGroup {
		if u, ok := unsettled[m]; ok && u.group == groupKey {
			board[m] += u.delta
		}
	}
	return board, nil
}

// PointsEarnedOn sums a member's positive entries of one reason on a local day (the daily
// cap on message points). Every paid message asks, so the first question about a day reads
// every member's sum for it at once (through points_ledger_by_day), and AddPoints keeps
// them current.
func (t *Tx) PointsEarnedOn(memberKey int64, day, reason string) (int64, error) {
	k := dayReason{day, reason}
	sums, ok := t.earnedSums(k)
	if !ok {
		var err error
		if sums, err = t.loadEarned(k); err != nil {
			return 0, fmt.Errorf("sum %s points on %s: %w", reason, day, err)
		}
		t.cacheEarnedSums(k, sums)
	}
	t.s.hot.mu.Lock()
	defer t.s.hot.mu.Unlock()
	return sums[memberKey], nil
}

func (t *Tx) loadEarned(k dayReason) (map[int64]int64, error) {
	if err := t.flushLedger(); err != nil {
		return nil, err
	}
	sums := map[int64]int64{}
	if err := t.queryEach(`SELECT member_key, SUM(delta) FROM points_ledger
		WHERE day = ? AND reason = ? AND delta > 0 GROUP BY member_key`, []any{k.day, k.reason}, func(rows rowScanner) error {
		var m, n int64
		if err := rows.Scan(&m, &n); err != nil {
			return err
		}
		sums[m] = n
		return nil
	}); err != nil {
		return nil, err
	}
	return sums, nil
}

// PointsEntries lists a member's ledger entries, newest first. The ledger has no index by
// member (migration 11: it cost a random page per paid message), so this reads the whole
// ledger: for checks and exports, not for a chat command.
func (t *Tx) PointsEntries(memberKey int64, limit int) ([]PointsEntry, error) {
	if err := t.flushLedger(); err != nil {
		return nil, err
	}
	var out []PointsEntry
	if err := t.queryEach(`SELECT id, group_key, member_key, delta, reason, ref, time, day, note FROM points_ledger
		WHERE member_key = ? ORDER BY id DESC LIMIT ?`, []any{memberKey, limit}, func(rows rowScanner) error {
		var e PointsEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.GroupKey, &e.MemberKey, &e.Delta, &e.Reason, &e.Ref, &at, &e.Day, &e.Note); err != nil {
			return err
		}
		e.Time = fromMS(at)
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read points of member %d: %w", memberKey, err)
	}
	return out, nil
}

// Checkin is one member's check-in on one local day.
type Checkin struct {
	GroupKey  int64
	MemberKey int64
	Day       string
	Time      time.Time
	Streak    int   // consecutive days ending with this one
	Points    int64 // what it paid (0 for a make-up)
	Makeup    bool  // bought back later with points (补签)
	// RepeatAnswered is when the bot last answered a repeated check-in that day, so a
	// member hammering 签到 gets one "already checked in" per cooldown, not one per message.
	RepeatAnswered time.Time
}

const checkinColumns = `group_key, member_key, day, time, streak, points, makeup, repeat_answered`

func scanCheckin(sc interface{ Scan(...any) error }) (Checkin, error) {
	var c Checkin
	var at int64
	var answered sql.NullInt64
	err := sc.Scan(&c.GroupKey, &c.MemberKey, &c.Day, &at, &c.Streak, &c.Points, &c.Makeup, &answered)
	c.Time, c.RepeatAnswered = fromMS(at), nullMS(answered)
	return c, err
}

func (t *Tx) oneCheckin(what, query string, args ...any) (Checkin, bool, error) {
	c, err := scanCheckin(t.queryRow(`SELECT `+checkinColumns+` FROM checkins `+query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Checkin{}, false, nil
	}
	if err != nil {
		return Checkin{}, false, fmt.Errorf("%s: %w", what, err)
	}
	return c, true, nil
}

// CheckinOn returns the member's check-in of a day, if any.
func (t *Tx) CheckinOn(memberKey int64, day string) (Checkin, bool, error) {
	return t.oneCheckin("read check-in of member "+fmt.Sprint(memberKey), `WHERE member_key = ? AND day = ?`, memberKey, day)
}

// LatestCheckin returns the member's latest check-in on or before day: one query tells a
// check-in both whether today is taken and which streak it continues.
func (t *Tx) LatestCheckin(memberKey int64, day string) (Checkin, bool, error) {
	return t.oneCheckin("read latest check-in of member "+fmt.Sprint(memberKey),
		`WHERE member_key = ? AND day <= ? ORDER BY day DESC LIMIT 1`, memberKey, day)
}

// LastCheckinBefore returns the member's latest check-in strictly before day.
func (t *Tx) LastCheckinBefore(memberKey int64, day string) (Checkin, bool, error) {
	return t.oneCheckin("read previous check-in of member "+fmt.Sprint(memberKey),
		`WHERE member_key = ? AND day < ? ORDER BY day DESC LIMIT 1`, memberKey, day)
}

// FirstCheckin returns the member's earliest check-in.
func (t *Tx) FirstCheckin(memberKey int64) (Checkin, bool, error) {
	return t.oneCheckin("read first check-in of member "+fmt.Sprint(memberKey),
		`WHERE member_key = ? ORDER BY day LIMIT 1`, memberKey)
}

// CheckinsBetween lists the member's check-ins over [fromDay, toDay], oldest first.
func (t *Tx) CheckinsBetween(memberKey int64, fromDay, toDay string) ([]Checkin, error) {
	out, err := queryList(t, scanCheckin, `SELECT `+checkinColumns+` FROM checkins WHERE member_key = ? AND day BETWEEN ? AND ? ORDER BY day`,
		memberKey, fromDay, toDay)
	if err != nil {
		return nil, fmt.Errorf("list check-ins of member %d: %w", memberKey, err)
	}
	return out, nil
}

// RecordCheckin stores a check-in. It reports false, writing nothing, when the member
// already has one that day: a check-in is unique per (member, day), whatever message
// carried it.
func (t *Tx) RecordCheckin(c Checkin) (bool, error) {
	res, err := t.exec(`INSERT INTO checkins(`+checkinColumns+`) VALUES (?,?,?,?,?,?,?,NULL)
		ON CONFLICT(member_key, day) DO NOTHING`,
		c.GroupKey, c.MemberKey, c.Day, ms(c.Time), c.Streak, c.Points, c.Makeup)
	if err != nil {
		return false, fmt.Errorf("record check-in of member %d on %s: %w", c.MemberKey, c.Day, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetCheckinStreak corrects a stored streak (a make-up joins two runs of days).
func (t *Tx) SetCheckinStreak(memberKey int64, day string, streak int) error {
	if _, err := t.exec(`UPDATE checkins SET streak = ? WHERE member_key = ? AND day = ?`, streak, memberKey, day); err != nil {
		return fmt.Errorf("update streak of member %d on %s: %w", memberKey, day, err)
	}
	return nil
}

// MarkRepeatAnswered records that a repeated check-in was answered at `at`.
func (t *Tx) MarkRepeatAnswered(memberKey int64, day string, at time.Time) error {
	if _, err := t.exec(`UPDATE checkins SET repeat_answered = ? WHERE member_key = ? AND day = ?`, ms(at), memberKey, day); err != nil {
		return fmt.Errorf("record answer to repeated check-in of member %d: %w", memberKey, err)
	}
	return nil
}

// AutoReplyLast is when an auto-reply rule last answered in a group (zero if never). The
// table also rate-limits other answers the engine's command cooldown does not cover.
func (t *Tx) AutoReplyLast(groupKey int64, rule string) (time.Time, error) {
	var at int64
	err := t.queryRow(`SELECT at FROM auto_reply_sent WHERE group_key = ? AND rule = ?`, groupKey, rule).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read last auto-reply in group %d: %w", groupKey, err)
	}
	return fromMS(at), nil
}

// SetAutoReplyLast records that an auto-reply rule answered in a group.
func (t *Tx) SetAutoReplyLast(groupKey int64, rule string, at time.Time) error {
	_, err := t.exec(`INSERT INTO auto_reply_sent(group_key, rule, at) VALUES (?,?,?)
		ON CONFLICT(group_key, rule) DO UPDATE SET at = excluded.at`, groupKey, rule, ms(at))
	if err != nil {
		return fmt.Errorf("record auto-reply in group %d: %w", groupKey, err)
	}
	return nil
}
