package storage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// Tests of what hot.go adds: a cache that outlives transactions (member rows, balances,
// message-points sums, may-have sets) and counters written just before commit. The cache
// must always describe the open transaction, so every way a change can be taken back —
// a savepoint that fails, a savepoint whose fn panics, a whole transaction that fails —
// must take it out of the cache too, and the counters must reach the database exactly
// once. Each test reads through the Tx (the cache) and then checks the database directly
// through s.DB(), always between transactions: the store has one connection, so a query
// through s.DB() inside Update would wait for it forever.

var (
	hotT0          = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	hotDay1        = "2026-11-20"
	hotDay2        = "2026-11-21"
	hotDay3        = "2026-11-22"
	errHotRollback = errors.New("test: roll this back")
)

// sqlBalance is a member's balance (?1) in plain SQL: the settled row plus the ledger's
// entries past the settled mark (settle.go).
const sqlBalance = `SELECT COALESCE((SELECT balance FROM points_balances WHERE member_key = ?1), 0) +
	COALESCE((SELECT SUM(delta) FROM points_ledger WHERE member_key = ?1 AND id > (SELECT through FROM points_settled)), 0)`

// sqlBoard is a group's points board (?1) in plain SQL: the balance of every member still
// in it who has a settled row or entries past the mark.
const sqlBoard = `SELECT m.key, COALESCE(b.balance, 0) + COALESCE(u.delta, 0)
	FROM members m LEFT JOIN points_balances b ON b.member_key = m.key
	LEFT JOIN (SELECT member_key, SUM(delta) AS delta FROM points_ledger
		WHERE id > (SELECT through FROM points_settled) GROUP BY member_key) u ON u.member_key = m.key
	WHERE m.group_key = ?1 AND m.left_at IS NULL AND (b.member_key IS NOT NULL OR u.member_key IS NOT NULL)`

func hotUpdate(t *testing.T, s *Store, fn func(tx *Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func hotEntry(g, m, delta int64, reason, ref, day string) PointsEntry {
	return PointsEntry{GroupKey: g, MemberKey: m, Delta: delta, Reason: reason, Ref: ref, Time: hotT0, Day: day}
}

// mustAddPoints applies e and checks the balance and applied flag AddPoints reports.
func mustAddPoints(t *testing.T, tx *Tx, e PointsEntry, wantBalance int64, wantApplied bool) {
	t.Helper()
	b, applied, err := tx.AddPoints(e)
	if err != nil {
		t.Fatalf("AddPoints(%s): %v", e.Ref, err)
	}
	if b != wantBalance || applied != wantApplied {
		t.Errorf("AddPoints(%s) = balance %d applied %v, want %d %v", e.Ref, b, applied, wantBalance, wantApplied)
	}
}

func countN(t *testing.T, tx *Tx, g, m int64, day string, valid bool, n int) {
	t.Helper()
	for range n {
		if err := tx.CountMessage(g, m, day, valid); err != nil {
			t.Fatal(err)
		}
	}
}

// sqlInt runs a one-number query on the database directly (outside any transaction).
func sqlInt(t *testing.T, s *Store, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// sqlKeyValues runs a two-number query on the database directly: member key → value.
func sqlKeyValues(t *testing.T, s *Store, q string, args ...any) map[int64]int64 {
	t.Helper()
	rows, err := s.DB().Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var k, v int64
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// hotState is what the message path reads about a member, all of it cached.
type hotState struct {
	Balance          int64
	Earned           int64 // message points on hotDay2
	Nickname         string
	Muted            bool
	RemovalPending   bool
	ScreeningPending bool
}

// readHotState reads the state through the transaction (and so through the cache).
func readHotState(t *testing.T, tx *Tx, m int64) hotState {
	t.Helper()
	var st hotState
	var err error
	if st.Balance, err = tx.Balance(m); err != nil {
		t.Fatal(err)
	}
	if st.Earned, err = tx.PointsEarnedOn(m, hotDay2, ReasonMessage); err != nil {
		t.Fatal(err)
	}
	mem, err := tx.Member(m)
	if err != nil {
		t.Fatal(err)
	}
	st.Nickname = mem.Nickname
	if _, st.Muted, err = tx.ActiveMute(m, hotT0); err != nil {
		t.Fatal(err)
	}
	if _, st.RemovalPending, err = tx.PendingRemoval(m); err != nil {
		t.Fatal(err)
	}
	if _, st.ScreeningPending, err = tx.PendingScreening(m); err != nil {
		t.Fatal(err)
	}
	return st
}

// sqlHotState reads the same state with plain SQL, after the transaction.
func sqlHotState(t *testing.T, s *Store, m int64) hotState {
	t.Helper()
	st := hotState{
		Balance: sqlInt(t, s, sqlBalance, m),
		Earned: sqlInt(t, s, `SELECT COALESCE(SUM(delta), 0) FROM points_ledger
			WHERE member_key = ? AND day = ? AND reason = 'message' AND delta > 0`, m, hotDay2),
		Muted:            sqlInt(t, s, `SELECT COUNT(*) FROM mutes WHERE member_key = ? AND until > ?`, m, ms(hotT0)) > 0,
		RemovalPending:   sqlInt(t, s, `SELECT COUNT(*) FROM removals WHERE member_key = ? AND status = 'pending'`, m) > 0,
		ScreeningPending: sqlInt(t, s, `SELECT COUNT(*) FROM screening WHERE member_key = ? AND status = 'pending'`, m) > 0,
	}
	if err := s.DB().QueryRow(`SELECT nickname FROM members WHERE key = ?`, m).Scan(&st.Nickname); err != nil {
		t.Fatal(err)
	}
	return st
}

// sameMS compares times as the database stores them (milliseconds): a row cached from
// InsertMember or SetLastSpoke keeps the precision and zone it was given.
func sameMS(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	return a.UnixMilli() == b.UnixMilli()
}

func sameMember(a, b Member) bool {
	return a.Key == b.Key && a.GroupKey == b.GroupKey && a.PlatformID == b.PlatformID && a.Nickname == b.Nickname &&
		a.DisplayName == b.DisplayName && a.AttrStatus == b.AttrStatus && a.Welcomed == b.Welcomed && a.Role == b.Role &&
		sameMS(a.FirstSeen, b.FirstSeen) && sameMS(a.JoinedAt, b.JoinedAt) && sameMS(a.LeftAt, b.LeftAt) && sameMS(a.LastSpoke, b.LastSpoke)
}

// checkCacheAgreesWithDB compares everything the cache holds with the committed database:
// member rows, balances and day sums must be equal; a loaded may-have set must contain
// every member that has a row (extra members are allowed: they only cost a query). Call it
// between transactions.
func checkCacheAgreesWithDB(t *testing.T, s *Store) {
	t.Helper()
	h := s.hot
	h.mu.Lock()
	members := maps.Clone(h.members)
	balances := maps.Clone(h.balances)
	earned := map[dayReason]map[int64]int64{}
	for k, v := range h.earned {
		earned[k] = maps.Clone(v)
	}
	var sets [numSets]map[int64]struct{}
	for i, set := range h.sets {
		sets[i] = maps.Clone(set)
	}
	h.mu.Unlock()

	for key, cached := range members {
		db, err := scanMember(s.DB().QueryRow(`SELECT `+memberColumns+` FROM members WHERE key = ?`, key))
		if err != nil {
			t.Errorf("cached member %d: %v", key, err)
			continue
		}
		if !sameMember(cached, db) {
			t.Errorf("member %d: cache %+v, database %+v", key, cached, db)
		}
	}
	for key, b := range balances {
		if db := sqlInt(t, s, sqlBalance, key); db != b {
			t.Errorf("balance of member %d: cache %d, database %d", key, b, db)
		}
	}
	for k, sums := range earned {
		db := sqlKeyValues(t, s, `SELECT member_key, SUM(delta) FROM points_ledger
			WHERE day = ? AND reason = ? AND delta > 0 GROUP BY member_key`, k.day, k.reason)
		if !maps.Equal(sums, db) {
			t.Errorf("%s points on %s: cache %v, database %v", k.reason, k.day, sums, db)
		}
	}
	for i, set := range sets {
		if set == nil {
			continue // not loaded: it will be read from the database
		}
		rows, err := s.DB().Query(setQueries[i])
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k int64
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			if _, ok := set[k]; !ok {
				t.Errorf("set %d: member %d has a row, the cache says certainly not (%s)", i, k, setQueries[i])
			}
		}
		rows.Close()
	}
}

// sqlActivity reads the whole activity table.
func sqlActivity(t *testing.T, s *Store) map[activityKey][2]int {
	t.Helper()
	rows, err := s.DB().Query(`SELECT group_key, member_key, day, messages, valid FROM activity`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[activityKey][2]int{}
	for rows.Next() {
		var k activityKey
		var c [2]int
		if err := rows.Scan(&k.group, &k.member, &k.day, &c[0], &c[1]); err != nil {
			t.Fatal(err)
		}
		out[k] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func topActive(t *testing.T, tx *Tx, g int64, from, to string) []ActivityCount {
	t.Helper()
	top, err := tx.TopActive(g, from, to, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func groupActivity(t *testing.T, tx *Tx, g int64, from, to string) []DayActivity {
	t.Helper()
	days, err := tx.GroupActivity(g, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return days
}

// 1. A savepoint that fails puts the warm cache back as it was before it began: balance,
// day sums, member row, and the may-have sets (in both directions: a member added to a
// set and a member taken out of one).
func TestSavepointRollbackRestoresCache(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 2)
	a, b := m[0], m[1]
	hotUpdate(t, s, func(tx *Tx) error {
		mustAddPoints(t, tx, hotEntry(g, a, 10, ReasonMessage, "msg:a:1", hotDay2), 10, true)
		return tx.SetSilentStep(g, b, 1, hotT0.AddDate(0, 0, -30), hotT0)
	})
	before := hotState{Balance: 10, Earned: 10, Nickname: "成员0"}

	hotUpdate(t, s, func(tx *Tx) error {
		// Warm every cache the message path uses, so the savepoint's changes land in it.
		if got := readHotState(t, tx, a); got != before {
			t.Errorf("before the savepoint: %+v, want %+v", got, before)
		}
		if err := tx.ClearSilentStep(a); err != nil { // loads the silent-step set (a has none)
			return err
		}
		err := tx.Savepoint(func() error {
			mustAddPoints(t, tx, hotEntry(g, a, 5, ReasonMessage, "msg:a:2", hotDay2), 15, true)
			if err := tx.UpdateIdentity(a, "m0-new", "改名", "", 0); err != nil {
				return err
			}
			if err := tx.SetMute(Mute{MemberKey: a, GroupKey: g, Since: hotT0, Until: hotT0.Add(time.Hour), Reason: "spam"}); err != nil {
				return err
			}
			if _, created, err := tx.RequestRemoval(Removal{GroupKey: g, MemberKey: a, RequestedAt: hotT0, Source: "moderation:ads", Reason: "广告"}); err != nil || !created {
				t.Fatalf("RequestRemoval: created %v, %v", created, err)
			}
			if err := tx.StartScreening(Screening{MemberKey: a, GroupKey: g, JoinedAt: hotT0, RemindAt: hotT0.Add(time.Hour), Deadline: hotT0.Add(2 * time.Hour)}); err != nil {
				return err
			}
			if err := tx.SetSilentStep(g, a, 1, hotT0.AddDate(0, 0, -7), hotT0); err != nil {
				return err
			}
			// b's key leaves the may-have set here; the rollback brings b's row back, so
			// it must bring the key back too.
			if err := tx.ClearSilentStep(b); err != nil {
				return err
			}
			// Inside, the savepoint's writes are what the (now changed) cache reports.
			inside := hotState{Balance: 15, Earned: 15, Nickname: "改名", Muted: true, RemovalPending: true, ScreeningPending: true}
			if got := readHotState(t, tx, a); got != inside {
				t.Errorf("inside the savepoint: %+v, want %+v", got, inside)
			}
			return errHotRollback
		})
		if !errors.Is(err, errHotRollback) {
			t.Errorf("Savepoint = %v, want the fn's error", err)
		}
		if got := readHotState(t, tx, a); got != before {
			t.Errorf("same transaction, after the rollback: %+v, want %+v", got, before)
		}
		return nil
	})

	hotUpdate(t, s, func(tx *Tx) error {
		if got := readHotState(t, tx, a); got != before {
			t.Errorf("next transaction: %+v, want %+v", got, before)
		}
		steps, err := tx.SilentSteps(g)
		if err != nil {
			return err
		}
		if _, ok := steps[b]; !ok || len(steps) != 1 {
			t.Errorf("silent steps = %+v, want only b's", steps)
		}
		// b spoke: if the set still lacked b, this would skip the delete and b would stay
		// flagged as silent.
		return tx.ClearSilentStep(b)
	})
	if got := sqlHotState(t, s, a); got != before {
		t.Errorf("database: %+v, want %+v", got, before)
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM silent_step`); n != 0 {
		t.Errorf("%d silent steps left after b spoke, want 0", n)
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger WHERE ref = 'msg:a:2'`); n != 0 {
		t.Errorf("the rolled-back points entry was committed")
	}
	checkCacheAgreesWithDB(t, s)
}

// 1b. What is loaded into the cache inside a savepoint describes the savepoint's state and
// must go with it. Here the savepoint deletes rows and then loads the sets without them:
// kept after the rollback, they would say "certainly not" about rows that are back.
func TestSavepointRollbackForgetsWhatWasLoadedInside(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	g, m := engageFixture(t, s, 2)
	b := m[1]
	hotUpdate(t, s, func(tx *Tx) error {
		if err := tx.SetMute(Mute{MemberKey: b, GroupKey: g, Since: hotT0, Until: hotT0.Add(time.Hour)}); err != nil {
			return err
		}
		if _, _, err := tx.RequestRemoval(Removal{GroupKey: g, MemberKey: b, RequestedAt: hotT0, Source: "silent"}); err != nil {
			return err
		}
		if err := tx.StartScreening(Screening{MemberKey: b, GroupKey: g, JoinedAt: hotT0, RemindAt: hotT0.Add(time.Hour), Deadline: hotT0.Add(2 * time.Hour)}); err != nil {
			return err
		}
		return tx.SetSilentStep(g, b, 1, hotT0.AddDate(0, 0, -30), hotT0)
	})
	// Reopen, as after a restart, so that nothing is cached yet.
	s.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	before := hotState{Balance: 0, Earned: 0, Nickname: "成员1", Muted: true, RemovalPending: true, ScreeningPending: true}

	hotUpdate(t, s, func(tx *Tx) error {
		err := tx.Savepoint(func() error {
			if ok, err := tx.Unmute(b, hotT0); err != nil || !ok {
				t.Fatalf("Unmute = %v, %v", ok, err)
			}
			if n, err := tx.CloseRemovals(b, RemovalCancelled, hotT0); err != nil || n != 1 {
				t.Fatalf("CloseRemovals = %d, %v", n, err)
			}
			if ok, err := tx.CloseScreening(b, ScreeningPassed, hotT0); err != nil || !ok {
				t.Fatalf("CloseScreening = %v, %v", ok, err)
			}
			if err := tx.ClearSilentStep(b); err != nil {
				return err
			}
			if err := tx.UpdateIdentity(b, "m1-new", "改名", "", 0); err != nil {
				return err
			}
			mustAddPoints(t, tx, hotEntry(g, b, 3, ReasonMessage, "msg:b:1", hotDay2), 3, true)
			// These reads load the sets, the member row and the day's sums, all describing
			// the savepoint's state.
			inside := hotState{Balance: 3, Earned: 3, Nickname: "改名"}
			if got := readHotState(t, tx, b); got != inside {
				t.Errorf("inside the savepoint: %+v, want %+v", got, inside)
			}
			return errHotRollback
		})
		if !errors.Is(err, errHotRollback) {
			t.Errorf("Savepoint = %v", err)
		}
		if got := readHotState(t, tx, b); got != before {
			t.Errorf("same transaction, after the rollback: %+v, want %+v", got, before)
		}
		return nil
	})
	hotUpdate(t, s, func(tx *Tx) error {
		if got := readHotState(t, tx, b); got != before {
			t.Errorf("next transaction: %+v, want %+v", got, before)
		}
		return tx.ClearSilentStep(b)
	})
	if got := sqlHotState(t, s, b); got != before {
		t.Errorf("database: %+v, want %+v", got, before)
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM silent_step`); n != 0 {
		t.Errorf("ClearSilentStep after the rollback left %d rows: the may-have set lost b", n)
	}
	checkCacheAgreesWithDB(t, s)
}

// 1c. An inner savepoint that succeeds hands its changes to the outer one: if the outer one
// then fails, the inner one's cache changes and counters go too. An inner one that fails
// takes only its own.
func TestNestedSavepointsAndTheCache(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	a := m[0]
	hotUpdate(t, s, func(tx *Tx) error {
		if _, err := tx.Balance(a); err != nil { // warm
			return err
		}
		if _, _, err := tx.ActiveMute(a, hotT0); err != nil {
			return err
		}
		err := tx.Savepoint(func() error {
			mustAddPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "outer1", hotDay2), 1, true)
			countN(t, tx, g, a, hotDay2, true, 1)
			if err := tx.Savepoint(func() error {
				mustAddPoints(t, tx, hotEntry(g, a, 2, ReasonMessage, "inner1", hotDay2), 3, true)
				countN(t, tx, g, a, hotDay2, true, 1)
				if top := topActive(t, tx, g, hotDay2, hotDay2); !slices.Equal(top, []ActivityCount{{a, 2, 2}}) {
					t.Errorf("inside the inner savepoint: %+v", top)
				}
				return tx.SetMute(Mute{MemberKey: a, GroupKey: g, Since: hotT0, Until: hotT0.Add(time.Hour)})
			}); err != nil {
				return err
			}
			return errHotRollback
		})
		if !errors.Is(err, errHotRollback) {
			t.Errorf("outer Savepoint = %v", err)
		}
		if st := readHotState(t, tx, a); st.Balance != 0 || st.Earned != 0 || st.Muted {
			t.Errorf("after the outer rollback: %+v, want nothing", st)
		}
		if top := topActive(t, tx, g, hotDay2, hotDay2); len(top) != 0 {
			t.Errorf("after the outer rollback: activity %+v, want none", top)
		}

		err = tx.Savepoint(func() error {
			mustAddPoints(t, tx, hotEntry(g, a, 4, ReasonMessage, "outer2", hotDay2), 4, true)
			countN(t, tx, g, a, hotDay2, true, 1)
			ierr := tx.Savepoint(func() error {
				mustAddPoints(t, tx, hotEntry(g, a, 8, ReasonMessage, "inner2", hotDay2), 12, true)
				countN(t, tx, g, a, hotDay2, true, 1)
				topActive(t, tx, g, hotDay2, hotDay2) // flush inside the inner savepoint
				return errHotRollback
			})
			if !errors.Is(ierr, errHotRollback) {
				t.Errorf("inner Savepoint = %v", ierr)
			}
			if st := readHotState(t, tx, a); st.Balance != 4 || st.Earned != 4 {
				t.Errorf("after the inner rollback: %+v, want balance and earned 4", st)
			}
			if top := topActive(t, tx, g, hotDay2, hotDay2); !slices.Equal(top, []ActivityCount{{a, 1, 1}}) {
				t.Errorf("after the inner rollback: activity %+v", top)
			}
			return nil
		})
		return err
	})
	hotUpdate(t, s, func(tx *Tx) error {
		if st := readHotState(t, tx, a); st.Balance != 4 || st.Earned != 4 || st.Muted {
			t.Errorf("next transaction: %+v, want balance and earned 4, not muted", st)
		}
		return nil
	})
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger WHERE ref <> 'outer2'`); n != 0 {
		t.Errorf("%d rolled-back ledger entries committed", n)
	}
	if got := sqlHotState(t, s, a); got.Balance != 4 || got.Earned != 4 || got.Muted {
		t.Errorf("database: %+v", got)
	}
	if got, want := sqlActivity(t, s), map[activityKey][2]int{{g, a, hotDay2}: {1, 1}}; !maps.Equal(got, want) {
		t.Errorf("activity = %v, want %v", got, want)
	}
	checkCacheAgreesWithDB(t, s)
}

// 2. A panic inside a savepoint's fn rolls its writes back before it goes on: a caller that
// recovers can commit the rest, and neither the database nor the cache keeps the fn's writes.
func TestPanicInSavepointLeavesNothing(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	a := m[0]
	hotUpdate(t, s, func(tx *Tx) error {
		mustAddPoints(t, tx, hotEntry(g, a, 10, ReasonMessage, "seed", hotDay2), 10, true)
		return nil
	})
	before := hotState{Balance: 10, Earned: 10, Nickname: "成员0"}
	hotUpdate(t, s, func(tx *Tx) error {
		if got := readHotState(t, tx, a); got != before { // warm the cache
			t.Errorf("before: %+v", got)
		}
		recovered := func() (p any) {
			defer func() { p = recover() }()
			tx.Savepoint(func() error {
				mustAddPoints(t, tx, hotEntry(g, a, 7, ReasonMessage, "msg:panic", hotDay2), 17, true)
				if err := tx.SetMute(Mute{MemberKey: a, GroupKey: g, Since: hotT0, Until: hotT0.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
				countN(t, tx, g, a, hotDay2, true, 1)
				tx.SetLastSpoke(a, hotT0)
				panic("handler bug")
			})
			return nil
		}()
		if recovered != "handler bug" {
			t.Errorf("recovered %v, want the fn's panic", recovered)
		}
		// The transaction goes on as if the fn had failed.
		if got := readHotState(t, tx, a); got != before {
			t.Errorf("after the panic: %+v, want %+v", got, before)
		}
		if mem, _ := tx.Member(a); !mem.LastSpoke.IsZero() {
			t.Errorf("after the panic: last spoke %v, want never", mem.LastSpoke)
		}
		mustAddPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "msg:after", hotDay2), 11, true)
		return nil
	})
	after := hotState{Balance: 11, Earned: 11, Nickname: "成员0"}
	if got := sqlHotState(t, s, a); got != after {
		t.Errorf("database: %+v, want %+v", got, after)
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger WHERE ref = 'msg:panic'`); n != 0 {
		t.Errorf("the panicked fn's points entry was committed")
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM mutes`); n != 0 {
		t.Errorf("the panicked fn's mute was committed")
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM activity`); n != 0 {
		t.Errorf("the panicked fn's message count was committed")
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM member_spoke`); n != 0 {
		t.Errorf("the panicked fn's last_spoke was committed")
	}
	hotUpdate(t, s, func(tx *Tx) error {
		if got := readHotState(t, tx, a); got != after {
			t.Errorf("next transaction: %+v, want %+v", got, after)
		}
		return nil
	})
	checkCacheAgreesWithDB(t, s)
}

// 3. A transaction that fails — its fn returns an error, its counters cannot be written at
// commit, or its fn panics — leaves no trace in the next transaction's reads.
func TestFailedUpdateLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 2)
	a, b := m[0], m[1]
	hotUpdate(t, s, func(tx *Tx) error {
		mustAddPoints(t, tx, hotEntry(g, a, 10, ReasonMessage, "seed", hotDay2), 10, true)
		countN(t, tx, g, a, hotDay2, true, 1)
		return nil
	})
	before := hotState{Balance: 10, Earned: 10, Nickname: "成员0"}
	wantTop := []ActivityCount{{a, 1, 1}}

	// Everything the failing transactions do, after warming the cache with the old state.
	changeAll := func(t *testing.T, tx *Tx, ref string) {
		t.Helper()
		if got := readHotState(t, tx, a); got != before {
			t.Errorf("before: %+v, want %+v", got, before)
		}
		if top := topActive(t, tx, g, hotDay2, hotDay2); !slices.Equal(top, wantTop) {
			t.Errorf("before: activity %+v", top)
		}
		mustAddPoints(t, tx, hotEntry(g, a, 5, ReasonMessage, ref, hotDay2), 15, true)
		if err := tx.SetMute(Mute{MemberKey: a, GroupKey: g, Since: hotT0, Until: hotT0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := tx.UpdateIdentity(a, "x", "改名", "", 0); err != nil {
			t.Fatal(err)
		}
		countN(t, tx, g, a, hotDay2, true, 3)
		countN(t, tx, g, b, hotDay2, true, 1)
		tx.SetLastSpoke(a, hotT0)
		if top := topActive(t, tx, g, hotDay2, hotDay2); !slices.Equal(top, []ActivityCount{{a, 4, 4}, {b, 1, 1}}) {
			t.Errorf("inside: activity %+v", top)
		}
		if got := readHotState(t, tx, a); got != (hotState{Balance: 15, Earned: 15, Nickname: "改名", Muted: true}) {
			t.Errorf("inside: %+v", got)
		}
	}
	failures := []struct {
		name string
		run  func(t *testing.T) error
	}{
		{"fn returns an error", func(t *testing.T) error {
			return s.Update(ctx, func(tx *Tx) error {
				changeAll(t, tx, "fail:error")
				return errHotRollback
			})
		}},
		{"counters fail at commit", func(t *testing.T) error {
			return s.Update(ctx, func(tx *Tx) error {
				changeAll(t, tx, "fail:commit")
				// No such member: the activity row breaks its foreign key when the
				// pending counters are written, just before the commit.
				return tx.CountMessage(g, 424242, hotDay2, true)
			})
		}},
		{"fn panics", func(t *testing.T) (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			return s.Update(ctx, func(tx *Tx) error {
				changeAll(t, tx, "fail:panic")
				panic("handler bug")
			})
		}},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			if err := f.run(t); err == nil {
				t.Fatal("the transaction committed")
			}
			hotUpdate(t, s, func(tx *Tx) error {
				if got := readHotState(t, tx, a); got != before {
					t.Errorf("next transaction: %+v, want %+v", got, before)
				}
				if top := topActive(t, tx, g, hotDay2, hotDay2); !slices.Equal(top, wantTop) {
					t.Errorf("next transaction: activity %+v, want %+v", top, wantTop)
				}
				if mem, _ := tx.Member(a); !mem.LastSpoke.IsZero() {
					t.Errorf("next transaction: last spoke %v, want never", mem.LastSpoke)
				}
				return nil
			})
			if got := sqlHotState(t, s, a); got != before {
				t.Errorf("database: %+v, want %+v", got, before)
			}
			if got, want := sqlActivity(t, s), map[activityKey][2]int{{g, a, hotDay2}: {1, 1}}; !maps.Equal(got, want) {
				t.Errorf("activity = %v, want %v", got, want)
			}
			checkCacheAgreesWithDB(t, s)
		})
	}
}

// 4. Counters are pending until commit, yet reads in the same transaction see them, and
// the database ends up with exactly their sums (a flush for a read, then more counts, then
// the flush at commit: nothing twice, nothing lost).
func TestPendingCountersAreReadAndCommittedOnce(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 3)
	a, b, c := m[0], m[1], m[2]
	hotUpdate(t, s, func(tx *Tx) error {
		countN(t, tx, g, a, hotDay2, true, 3)
		countN(t, tx, g, a, hotDay2, false, 2)
		countN(t, tx, g, b, hotDay2, true, 1)
		countN(t, tx, g, b, hotDay1, false, 4)
		countN(t, tx, g, c, hotDay1, true, 2)
		if top, want := topActive(t, tx, g, hotDay1, hotDay2), []ActivityCount{{a, 5, 3}, {c, 2, 2}, {b, 5, 1}}; !slices.Equal(top, want) {
			t.Errorf("TopActive = %+v, want %+v", top, want)
		}
		if days, want := groupActivity(t, tx, g, hotDay1, hotDay2), []DayActivity{{hotDay1, 6, 2, 2}, {hotDay2, 6, 4, 2}}; !slices.Equal(days, want) {
			t.Errorf("GroupActivity = %+v, want %+v", days, want)
		}
		// Counted after the flush: pending again, added on top of the written rows.
		countN(t, tx, g, a, hotDay2, true, 1)
		countN(t, tx, g, c, hotDay2, false, 1)
		if top, want := topActive(t, tx, g, hotDay1, hotDay2), []ActivityCount{{a, 6, 4}, {c, 3, 2}, {b, 5, 1}}; !slices.Equal(top, want) {
			t.Errorf("TopActive after more counts = %+v, want %+v", top, want)
		}
		countN(t, tx, g, b, hotDay2, true, 2) // written only by the commit
		return nil
	})
	want := map[activityKey][2]int{
		{g, a, hotDay2}: {6, 4},
		{g, b, hotDay1}: {4, 0},
		{g, b, hotDay2}: {3, 3},
		{g, c, hotDay1}: {2, 2},
		{g, c, hotDay2}: {1, 0},
	}
	if got := sqlActivity(t, s); !maps.Equal(got, want) {
		t.Errorf("activity = %v, want %v", got, want)
	}
	hotUpdate(t, s, func(tx *Tx) error {
		if days, want := groupActivity(t, tx, g, hotDay1, hotDay2), []DayActivity{{hotDay1, 6, 2, 2}, {hotDay2, 10, 7, 3}}; !slices.Equal(days, want) {
			t.Errorf("next transaction: GroupActivity = %+v, want %+v", days, want)
		}
		return nil
	})
}

// 4b. A read inside a savepoint writes every pending counter, including those counted
// before the savepoint began. When the savepoint fails, the database undoes that write, so
// those earlier counts must be written again at commit; the savepoint's own must not.
func TestSavepointRollbackAfterFlushRewritesEarlierCounts(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 2)
	a, b := m[0], m[1]
	hotUpdate(t, s, func(tx *Tx) error {
		countN(t, tx, g, a, hotDay2, true, 2) // before the savepoint, still pending
		err := tx.Savepoint(func() error {
			countN(t, tx, g, b, hotDay2, true, 1)
			countN(t, tx, g, a, hotDay2, true, 1)
			if top, want := topActive(t, tx, g, hotDay2, hotDay2), []ActivityCount{{a, 3, 3}, {b, 1, 1}}; !slices.Equal(top, want) {
				t.Errorf("inside: TopActive = %+v, want %+v", top, want)
			}
			return errHotRollback
		})
		if !errors.Is(err, errHotRollback) {
			t.Errorf("Savepoint = %v", err)
		}
		if top, want := topActive(t, tx, g, hotDay2, hotDay2), []ActivityCount{{a, 2, 2}}; !slices.Equal(top, want) {
			t.Errorf("after the rollback: TopActive = %+v, want %+v", top, want)
		}
		countN(t, tx, g, b, hotDay2, false, 1)
		return nil
	})
	want := map[activityKey][2]int{{g, a, hotDay2}: {2, 2}, {g, b, hotDay2}: {1, 0}}
	if got := sqlActivity(t, s); !maps.Equal(got, want) {
		t.Errorf("activity = %v, want %v", got, want)
	}

	// Counts written before the savepoint began stay written, once: the rollback must not
	// make them pending again.
	hotUpdate(t, s, func(tx *Tx) error {
		countN(t, tx, g, a, hotDay3, true, 1)
		if days := groupActivity(t, tx, g, hotDay3, hotDay3); !slices.Equal(days, []DayActivity{{hotDay3, 1, 1, 1}}) {
			t.Errorf("before the savepoint: %+v", days)
		}
		err := tx.Savepoint(func() error {
			countN(t, tx, g, a, hotDay3, true, 1)
			countN(t, tx, g, b, hotDay3, false, 1)
			if days := groupActivity(t, tx, g, hotDay3, hotDay3); !slices.Equal(days, []DayActivity{{hotDay3, 3, 2, 2}}) {
				t.Errorf("inside: %+v", days)
			}
			return errHotRollback
		})
		if !errors.Is(err, errHotRollback) {
			t.Errorf("Savepoint = %v", err)
		}
		if days := groupActivity(t, tx, g, hotDay3, hotDay3); !slices.Equal(days, []DayActivity{{hotDay3, 1, 1, 1}}) {
			t.Errorf("after the rollback: %+v", days)
		}
		return nil
	})
	want[activityKey{g, a, hotDay3}] = [2]int{1, 1}
	if got := sqlActivity(t, s); !maps.Equal(got, want) {
		t.Errorf("activity = %v, want %v", got, want)
	}
}

// checkSpoke reads a member's last_spoke the three ways the bot does (by key: cached; by
// name and by group: from the database through the pending overlay) and wants each to be at.
func checkSpoke(t *testing.T, tx *Tx, g, key int64, name string, at time.Time) {
	t.Helper()
	check := func(how string, got time.Time) {
		t.Helper()
		if !got.Equal(at) {
			t.Errorf("member %d by %s: last spoke %v, want %v", key, how, got, at)
		}
	}
	mem, err := tx.Member(key)
	if err != nil {
		t.Fatal(err)
	}
	check("Member", mem.LastSpoke)
	named, err := tx.MembersNamed(g, name)
	if err != nil || len(named) != 1 {
		t.Fatalf("MembersNamed(%s) = %+v, %v", name, named, err)
	}
	check("MembersNamed", named[0].LastSpoke)
	all, err := tx.GroupMembers(g)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mem := range all {
		if mem.Key == key {
			found = true
			check("GroupMembers", mem.LastSpoke)
		}
	}
	if !found {
		t.Errorf("member %d not in GroupMembers", key)
	}
}

func sqlLastSpoke(t *testing.T, s *Store, key int64) time.Time {
	t.Helper()
	var v *int64
	if err := s.DB().QueryRow(`SELECT (SELECT at FROM member_spoke WHERE member_key = ?)`, key).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v == nil {
		return time.Time{}
	}
	return fromMS(*v)
}

// 5. last_spoke is written at commit, but every read of the member in the transaction
// already shows it; a savepoint that fails takes its SetLastSpoke with it, even after a
// read in the savepoint wrote it.
func TestSetLastSpokeReadAndCommitted(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 2)
	a, b := m[0], m[1]
	const nameA, nameB = "成员0", "成员1"
	t1, t2, t3, t4 := hotT0, hotT0.Add(time.Minute), hotT0.Add(2*time.Minute), hotT0.Add(3*time.Minute)

	hotUpdate(t, s, func(tx *Tx) error {
		checkSpoke(t, tx, g, a, nameA, time.Time{}) // a's row is cached from here on
		tx.SetLastSpoke(a, t1)
		tx.SetLastSpoke(a, t2)
		checkSpoke(t, tx, g, a, nameA, t2)
		// b is not cached: the row read from the database gets the pending value.
		tx.SetLastSpoke(b, t1)
		checkSpoke(t, tx, g, b, nameB, t1)
		return nil
	})
	if got := sqlLastSpoke(t, s, a); !got.Equal(t2) {
		t.Errorf("database: a last spoke %v, want the last value %v", got, t2)
	}
	if got := sqlLastSpoke(t, s, b); !got.Equal(t1) {
		t.Errorf("database: b last spoke %v, want %v", got, t1)
	}
	hotUpdate(t, s, func(tx *Tx) error {
		checkSpoke(t, tx, g, a, nameA, t2)
		checkSpoke(t, tx, g, b, nameB, t1)
		return nil
	})

	hotUpdate(t, s, func(tx *Tx) error {
		tx.SetLastSpoke(b, t3) // before the savepoint: kept
		err := tx.Savepoint(func() error {
			tx.SetLastSpoke(a, t4)
			checkSpoke(t, tx, g, a, nameA, t4)
			topActive(t, tx, g, hotDay2, hotDay2) // writes the pending last_spoke too
			checkSpoke(t, tx, g, a, nameA, t4)
			checkSpoke(t, tx, g, b, nameB, t3)
			return errHotRollback
		})
		if !errors.Is(err, errHotRollback) {
			t.Errorf("Savepoint = %v", err)
		}
		checkSpoke(t, tx, g, a, nameA, t2)
		checkSpoke(t, tx, g, b, nameB, t3)
		return nil
	})
	if got := sqlLastSpoke(t, s, a); !got.Equal(t2) {
		t.Errorf("database: a last spoke %v, want %v (the rolled-back value must not be stored)", got, t2)
	}
	if got := sqlLastSpoke(t, s, b); !got.Equal(t3) {
		t.Errorf("database: b last spoke %v, want %v (set before the savepoint)", got, t3)
	}
	hotUpdate(t, s, func(tx *Tx) error {
		checkSpoke(t, tx, g, a, nameA, t2)
		checkSpoke(t, tx, g, b, nameB, t3)
		return nil
	})
	checkCacheAgreesWithDB(t, s)
}

// 6. The daily sums behind the message-points cap: per day and reason, zero for a member
// without an entry, kept current by AddPoints, and a replayed ref never counts twice. A
// spend beyond the balance is refused, but a replay of a spend that went through is not.
func TestPointsEarnedOnAndReplays(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 3)
	a, b, c := m[0], m[1], m[2]
	hotUpdate(t, s, func(tx *Tx) error {
		mustAddPoints(t, tx, hotEntry(g, a, 3, ReasonMessage, "a1", hotDay1), 3, true)
		mustAddPoints(t, tx, hotEntry(g, a, 2, ReasonMessage, "a2", hotDay1), 5, true)
		mustAddPoints(t, tx, hotEntry(g, a, 4, ReasonMessage, "a3", hotDay2), 9, true)
		mustAddPoints(t, tx, hotEntry(g, a, 10, ReasonCheckin, "a4", hotDay2), 19, true)
		mustAddPoints(t, tx, hotEntry(g, a, -1, ReasonAdmin, "a5", hotDay2), 18, true)
		mustAddPoints(t, tx, hotEntry(g, b, 1, ReasonMessage, "b1", hotDay2), 1, true)
		return nil
	})
	earned := func(t *testing.T, tx *Tx, member int64, day, reason string, want int64) {
		t.Helper()
		got, err := tx.PointsEarnedOn(member, day, reason)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PointsEarnedOn(%d, %s, %s) = %d, want %d", member, day, reason, got, want)
		}
	}
	hotUpdate(t, s, func(tx *Tx) error {
		earned(t, tx, a, hotDay1, ReasonMessage, 5)
		earned(t, tx, a, hotDay2, ReasonMessage, 4)
		earned(t, tx, a, hotDay2, ReasonCheckin, 10)
		earned(t, tx, a, hotDay2, ReasonAdmin, 0) // only positive entries count
		earned(t, tx, b, hotDay1, ReasonMessage, 0)
		earned(t, tx, b, hotDay2, ReasonMessage, 1)
		earned(t, tx, c, hotDay2, ReasonMessage, 0)
		earned(t, tx, a, hotDay3, ReasonMessage, 0)

		// Today's sums are loaded (just asked): AddPoints must keep them current.
		earned(t, tx, a, hotDay2, ReasonMessage, 4)
		mustAddPoints(t, tx, hotEntry(g, a, 2, ReasonMessage, "a6", hotDay2), 20, true)
		earned(t, tx, a, hotDay2, ReasonMessage, 6)
		mustAddPoints(t, tx, hotEntry(g, a, 2, ReasonMessage, "a6", hotDay2), 20, false) // replay
		earned(t, tx, a, hotDay2, ReasonMessage, 6)
		mustAddPoints(t, tx, hotEntry(g, c, 1, ReasonMessage, "c1", hotDay2), 1, true) // c had no entry
		earned(t, tx, c, hotDay2, ReasonMessage, 1)
		earned(t, tx, b, hotDay2, ReasonMessage, 1)

		b, applied, err := tx.AddPoints(hotEntry(g, a, -25, ReasonRedeem, "s1", hotDay2))
		if !errors.Is(err, ErrInsufficientPoints) || applied || b != 20 {
			t.Errorf("spend beyond the balance = %d %v %v, want 20 false ErrInsufficientPoints", b, applied, err)
		}
		mustAddPoints(t, tx, hotEntry(g, a, -15, ReasonRedeem, "s2", hotDay2), 5, true)
		// The same spend again is now beyond the balance, but it went through already.
		mustAddPoints(t, tx, hotEntry(g, a, -15, ReasonRedeem, "s2", hotDay2), 5, false)
		earned(t, tx, a, hotDay2, ReasonMessage, 6) // spending does not lower what was earned
		return nil
	})
	hotUpdate(t, s, func(tx *Tx) error {
		if bal, err := tx.Balance(a); err != nil || bal != 5 {
			t.Errorf("next transaction: balance %d, %v, want 5", bal, err)
		}
		earned(t, tx, a, hotDay2, ReasonMessage, 6)
		earned(t, tx, c, hotDay2, ReasonMessage, 1)
		mustAddPoints(t, tx, hotEntry(g, a, -15, ReasonRedeem, "s2", hotDay2), 5, false)
		mustAddPoints(t, tx, hotEntry(g, a, 2, ReasonMessage, "a6", hotDay2), 5, false)
		earned(t, tx, a, hotDay2, ReasonMessage, 6)
		if _, _, err := tx.AddPoints(hotEntry(g, a, -25, ReasonRedeem, "s1", hotDay2)); !errors.Is(err, ErrInsufficientPoints) {
			t.Errorf("the refused spend, asked again: %v, want ErrInsufficientPoints", err)
		}
		return nil
	})
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger WHERE ref = 's1'`); n != 0 {
		t.Errorf("the refused spend was recorded")
	}
	for ref, want := range map[string]int64{"a6": 1, "s2": 1} {
		if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger WHERE ref = ?`, ref); n != want {
			t.Errorf("%d entries with ref %s, want %d", n, ref, want)
		}
	}
	if got := sqlHotState(t, s, a); got.Balance != 5 || got.Earned != 6 {
		t.Errorf("database: balance %d earned %d, want 5 and 6", got.Balance, got.Earned)
	}
	checkCacheAgreesWithDB(t, s)
}

// 7. The flush writes rows in chunks of 64, 16, 4 and 1; every size must come out whole,
// for the activity counters and for last_spoke, including a second flush in the same
// transaction that adds to rows already written.
func TestFlushWritesEveryRowForManySizes(t *testing.T) {
	const rounds = 5
	messages := func(i int) int { return i%rounds + 1 }       // member i sends this many
	valid := func(i int) int { return (messages(i) + 1) / 2 } // every other one is valid
	spoke := func(i, round int) time.Time {
		return hotT0.Add(time.Duration(i)*time.Second + time.Duration(round)*time.Millisecond)
	}
	for _, n := range []int{1, 2, 3, 4, 5, 16, 17, 21, 64, 65, 130} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, _ := openTemp(t)
			g, m := engageFixture(t, s, n)
			hotUpdate(t, s, func(tx *Tx) error {
				// Round by round, so one member's counts are never next to each other.
				for round := range rounds {
					if round == 2 {
						// A read writes what is pending; the rest is added at commit.
						days := groupActivity(t, tx, g, hotDay2, hotDay2)
						if len(days) != 1 || days[0].Active != n {
							t.Errorf("mid-transaction GroupActivity = %+v, want %d active", days, n)
						}
					}
					for i, key := range m {
						if round < messages(i) {
							countN(t, tx, g, key, hotDay2, round%2 == 0, 1)
							tx.SetLastSpoke(key, spoke(i, round))
						}
					}
				}
				return nil
			})
			got := sqlActivity(t, s)
			if len(got) != n {
				t.Errorf("%d activity rows, want %d", len(got), n)
			}
			for i, key := range m {
				if c, want := got[activityKey{g, key, hotDay2}], [2]int{messages(i), valid(i)}; c != want {
					t.Errorf("member %d: messages/valid %v, want %v", i, c, want)
				}
				if at, want := sqlLastSpoke(t, s, key), spoke(i, messages(i)-1); !at.Equal(want) {
					t.Errorf("member %d: last spoke %v, want %v", i, at, want)
				}
			}
			hotUpdate(t, s, func(tx *Tx) error {
				if top := topActive(t, tx, g, hotDay2, hotDay2); len(top) != n {
					t.Errorf("TopActive lists %d members, want %d", len(top), n)
				}
				return nil
			})
		})
	}
}

// The error of a transaction whose counters cannot be written says so (the commit-time
// failure above must be that failure, not another one).
func TestCommitTimeFlushErrorIsReported(t *testing.T) {
	s, _ := openTemp(t)
	g, _ := engageFixture(t, s, 1)
	err := s.Update(context.Background(), func(tx *Tx) error {
		return tx.CountMessage(g, 424242, hotDay2, true)
	})
	if err == nil || !strings.Contains(err.Error(), "count messages") {
		t.Fatalf("Update = %v, want the counters' write error", err)
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM activity`); n != 0 {
		t.Errorf("%d activity rows after a failed commit", n)
	}
}

// A group's roster (GroupMembers, CountMembers) is cached: it must follow every way a
// member comes and goes, a rename that uncaches a row, a savepoint rolled back and a
// transaction that fails, and always agree with a read of the table.
func TestRosterFollowsMembership(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 3)
	fromTable := func(t *testing.T, tx *Tx) []Member {
		t.Helper()
		ms, err := tx.members(`WHERE group_key = ? AND left_at IS NULL ORDER BY key`, g)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	check := func(t *testing.T, tx *Tx, want ...int64) {
		t.Helper()
		ms, err := tx.GroupMembers(g)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, x := range ms {
			got = append(got, x.Key)
		}
		if !slices.Equal(got, want) {
			t.Errorf("GroupMembers = %v, want %v", got, want)
		}
		if table := fromTable(t, tx); !slices.EqualFunc(ms, table, func(a, b Member) bool { return a == b }) {
			t.Errorf("GroupMembers rows differ from the table:\n got %+v\nwant %+v", ms, table)
		}
		if n, err := tx.CountMembers(g); err != nil || n != len(want) {
			t.Errorf("CountMembers = %d, %v; want %d", n, err, len(want))
		}
	}
	var d int64
	hotUpdate(t, s, func(tx *Tx) error {
		check(t, tx, m[0], m[1], m[2]) // loads the roster and caches the rows
		nm, err := tx.InsertMember(Member{GroupKey: g, PlatformID: "new", Nickname: "新人", FirstSeen: hotT0})
		if err != nil {
			return err
		}
		d = nm.Key
		check(t, tx, m[0], m[1], m[2], d)
		if _, err := tx.MarkLeft(m[1], hotT0); err != nil {
			return err
		}
		check(t, tx, m[0], m[2], d)
		if err := tx.UpdateIdentity(m[2], "m2-new-session", "改名了", "", 0); err != nil {
			return err
		}
		check(t, tx, m[0], m[2], d) // m[2]'s row read again, with its new name
		return tx.SetLastSpoke(m[0], hotT0.Add(time.Minute))
	})
	hotUpdate(t, s, func(tx *Tx) error {
		check(t, tx, m[0], m[2], d)
		if err := tx.MarkJoined(m[1], hotT0.Add(time.Hour), false); err != nil {
			return err
		}
		check(t, tx, m[0], m[1], m[2], d)
		// Inside a savepoint that rolls back: an insert and a leave leave no trace.
		err := tx.Savepoint(func() error {
			if _, err := tx.InsertMember(Member{GroupKey: g, PlatformID: "ghost", Nickname: "幽灵", FirstSeen: hotT0}); err != nil {
				return err
			}
			if _, err := tx.MarkLeft(m[0], hotT0); err != nil {
				return err
			}
			check(t, tx, m[1], m[2], d, d+1)
			return errors.New("roll back")
		})
		if err == nil {
			t.Fatal("savepoint did not fail")
		}
		check(t, tx, m[0], m[1], m[2], d)
		return nil
	})
	// A failed transaction: its leave is rolled back, and so is what the cache saw of it.
	err := s.Update(context.Background(), func(tx *Tx) error {
		if _, err := tx.MarkLeft(m[2], hotT0); err != nil {
			return err
		}
		check(t, tx, m[0], m[1], d)
		return errors.New("fail")
	})
	if err == nil {
		t.Fatal("update did not fail")
	}
	hotUpdate(t, s, func(tx *Tx) error {
		check(t, tx, m[0], m[1], m[2], d)
		return nil
	})
}

// A savepoint issues its SQL SAVEPOINT only before the first statement that may write:
// reads and queued rows need none, and a rollback of such a savepoint still drops what it
// queued. Once a write comes, every open level is opened, outermost first, and a failing
// inner level undoes its write alone.
func TestSavepointsOpenOnFirstWrite(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 2)
	opened := func(tx *Tx) []bool {
		var out []bool
		for _, mk := range tx.pending.marks {
			out = append(out, mk.sql)
		}
		return out
	}
	hotUpdate(t, s, func(tx *Tx) error {
		err := tx.Savepoint(func() error {
			if _, err := tx.Balance(m[0]); err != nil { // a read
				return err
			}
			if err := tx.CountMessage(g, m[0], "2026-11-21", true); err != nil { // queued
				return err
			}
			if got := opened(tx); !slices.Equal(got, []bool{false}) {
				t.Errorf("after a read and a queued row: opened %v, want [false]", got)
			}
			return errors.New("roll back")
		})
		if err == nil {
			t.Fatal("savepoint did not fail")
		}
		return tx.Savepoint(func() error {
			if err := tx.CountMessage(g, m[1], "2026-11-21", true); err != nil {
				return err
			}
			inner := tx.Savepoint(func() error {
				if _, err := tx.EnsureGroup("跑步群", hotT0); err != nil { // a write
					return err
				}
				if got := opened(tx); !slices.Equal(got, []bool{true, true}) {
					t.Errorf("after a write: opened %v, want [true true]", got)
				}
				return errors.New("roll back the inner one")
			})
			if inner == nil {
				t.Fatal("inner savepoint did not fail")
			}
			if got := opened(tx); !slices.Equal(got, []bool{true}) {
				t.Errorf("after the inner rollback: opened %v, want [true]", got)
			}
			return nil
		})
	})
	update(t, s, func(tx *Tx) error {
		top, err := tx.TopActive(g, "2026-11-21", "2026-11-21", 10)
		if err != nil || len(top) != 1 || top[0].MemberKey != m[1] {
			t.Errorf("activity = %+v, %v; want only the second savepoint's count", top, err)
		}
		gs, err := tx.Groups()
		if err != nil || len(gs) != 1 {
			t.Errorf("groups = %v, %v; want the inner savepoint's group rolled back", gs, err)
		}
		return nil
	})
}

// A read that needs the tables written (发言榜, a check-in's ledger read) in the middle of a
// batch writes the rows of the events before it outside the current event's savepoint: no
// SAVEPOINT is issued for them, a rollback of the savepoint keeps them and does not queue
// them again, and the event's own rows are still undone with it.
func TestSettledRowsAreWrittenOutsideTheSavepoint(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 2)
	message := func(i int) PointsEntry {
		return hotEntry(g, m[0], 1, ReasonMessage, fmt.Sprint("m:", i), hotDay2)
	}
	hotUpdate(t, s, func(tx *Tx) error {
		done := func(i int) {
			err := tx.Savepoint(func() error {
				countN(t, tx, g, m[0], hotDay2, true, 1)
				_, err := tx.AddNewPoints(message(i))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		done(0)
		done(1)
		err := tx.Savepoint(func() error { // an event that queues, reads, then fails
			countN(t, tx, g, m[1], hotDay2, true, 1)
			if _, err := tx.AddNewPoints(hotEntry(g, m[1], 1, ReasonMessage, "m:2", hotDay2)); err != nil {
				return err
			}
			if top := topActive(t, tx, g, hotDay2, hotDay2); len(top) != 2 {
				t.Errorf("发言榜 inside the event read %+v, want both members", top)
			}
			mustAddPoints(t, tx, hotEntry(g, m[1], 5, ReasonCheckin, "c:1", hotDay2), 6, true)
			return errHotRollback
		})
		if !errors.Is(err, errHotRollback) {
			t.Fatalf("savepoint = %v, want the rollback", err)
		}
		done(3)
		return tx.Savepoint(func() error { // a 发言榜 with nothing of its own queued
			top := topActive(t, tx, g, hotDay2, hotDay2)
			if len(top) != 1 || top[0].Messages != 3 {
				t.Errorf("发言榜 read %+v, want member %d with 3 messages", top, m[0])
			}
			if tx.pending.marks[0].sql {
				t.Error("writing the earlier events' rows opened the savepoint")
			}
			return nil
		})
	})
	if got := sqlActivity(t, s); len(got) != 1 || got[activityKey{g, m[0], hotDay2}] != [2]int{3, 3} {
		t.Errorf("activity after commit = %v, want only member %d's 3 messages, each counted once", got, m[0])
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger`); n != 3 {
		t.Errorf("%d ledger entries, want the 3 paid outside the failed event", n)
	}
	if b := sqlInt(t, s, sqlBalance, m[0]); b != 3 {
		t.Errorf("balance of member %d = %d, want 3", m[0], b)
	}
	if b := sqlInt(t, s, sqlBalance, m[1]); b != 0 {
		t.Errorf("balance of member %d = %d, want 0 (the failed event paid nothing)", m[1], b)
	}
	checkCacheAgreesWithDB(t, s)
}

// Rows written outside the savepoints cannot be undone in part: should writing them fail,
// the transaction does not commit at all (otherwise the rows written before the failure
// would be queued again by the savepoint's rollback and counted twice).
func TestSettledWriteFailureBreaksTheTransaction(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	err := s.Update(context.Background(), func(tx *Tx) error {
		err := tx.Savepoint(func() error { // an event, done
			countN(t, tx, g, m[0], hotDay2, true, 1)
			return tx.CountMessage(g, 999_999, hotDay2, true) // no such member: the write will fail
		})
		if err != nil {
			return err
		}
		err = tx.Savepoint(func() error { // 发言榜 writes the queue first
			_, err := tx.TopActive(g, hotDay2, hotDay2, 10)
			return err
		})
		if err == nil {
			t.Error("writing a counter of a member who does not exist succeeded")
		}
		// Marked at once: a failure that would not recur at the commit (a full disk that
		// frees up, a panic recovered by the engine) must still stop it.
		if tx.broken == nil {
			t.Error("the transaction was not marked broken")
		}
		return nil // the event failed; the batch goes on to commit
	})
	if err == nil {
		t.Fatal("the transaction committed after the batch's queued rows failed to be written")
	}
	if got := sqlActivity(t, s); len(got) != 0 {
		t.Errorf("activity after the failed transaction = %v, want nothing", got)
	}
}
