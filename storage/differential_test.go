package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestCachedStoreAgreesWithPlainSQL is the differential test of the per-message path: one
// random sequence of operations runs against the store (caches, write queues, undo log,
// settling) and against a model — the same schema in another file, written and read with
// plain SQL and no cache. The sequence has events in savepoints that fail (rolled back to
// the savepoint), whole transactions that fail, settlements and reopens. After every
// operation and at the end of every transaction, each read the per-message path serves
// from a cache must agree with the model: balances, the points board, rosters (member
// counts and who is in), processed ids, activity counts, mutes and last_spoke; and the
// unsettled sums must agree with plain SQL over the store's own ledger.
//
// QUNBOT_DIFF_SEEDS sets how many seeds run (default 4).
func TestCachedStoreAgreesWithPlainSQL(t *testing.T) {
	seeds := 4
	if testing.Short() {
		seeds = 1
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runDifferential(t, seed, 120) })
	}
}

// model is the plain-SQL side: one connection, transactions and savepoints as statements.
type model struct {
	t    *testing.T
	conn *sql.Conn
}

func (m *model) exec(q string, args ...any) sql.Result {
	m.t.Helper()
	res, err := m.conn.ExecContext(context.Background(), q, args...)
	if err != nil {
		m.t.Fatalf("model: %s: %v", q, err)
	}
	return res
}

func (m *model) int(q string, args ...any) int64 {
	m.t.Helper()
	var v sql.NullInt64
	if err := m.conn.QueryRowContext(context.Background(), q, args...).Scan(&v); err != nil && !errors.Is(err, sql.ErrNoRows) {
		m.t.Fatalf("model: %s: %v", q, err)
	}
	return v.Int64
}

func (m *model) pairs(q string, args ...any) map[int64]int64 {
	m.t.Helper()
	rows, err := m.conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		m.t.Fatalf("model: %s: %v", q, err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var k, v int64
		if err := rows.Scan(&k, &v); err != nil {
			m.t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

func runDifferential(t *testing.T, seed uint64, rounds int) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "store.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	s.settleEvery = 7 // settle often, so balances are split between rows and the tail

	// The model: the same schema, empty, reached by a plain connection.
	modelPath := filepath.Join(dir, "model.db")
	ms0, err := Open(ctx, modelPath)
	if err != nil {
		t.Fatal(err)
	}
	ms0.Close()
	mdb := rawOpen(t, modelPath)
	conn, err := mdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	md := &model{t: t, conn: conn}

	rng := rand.New(rand.NewPCG(seed, 2026))
	day := func(r int) string { return []string{"2026-11-21", "2026-11-22", "2026-11-23"}[r/50%3] }
	at := func(r, i int) time.Time {
		return engageT0.Add(time.Duration(r)*time.Minute + time.Duration(i)*time.Second)
	}

	// Two groups with members; both sides get the same rows and keys.
	var groups []int64
	var members []int64
	groupOf := map[int64]int64{}
	if err := s.Update(ctx, func(tx *Tx) error {
		for gi := range 2 {
			g, err := tx.EnsureGroup(fmt.Sprint("群", gi), engageT0)
			if err != nil {
				return err
			}
			groups = append(groups, g.Key)
			md.exec(`INSERT INTO groups(key, name, first_seen) VALUES (?, ?, 0)`, g.Key, g.Name)
			for i := range 6 {
				m, err := tx.InsertMember(Member{GroupKey: g.Key, PlatformID: fmt.Sprint(gi, "-", i), Nickname: fmt.Sprint("成员", i), FirstSeen: engageT0})
				if err != nil {
					return err
				}
				md.exec(`INSERT INTO members(key, group_key, platform_id, nickname, first_seen, welcomed, role) VALUES (?,?,?,?,0,1,'member')`,
					m.Key, g.Key, m.PlatformID, m.Nickname)
				members = append(members, m.Key)
				groupOf[m.Key] = g.Key
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	msgID := 0
	refN := 0
	errEvent := errors.New("test: this event fails")
	errBatch := errors.New("test: this transaction fails")

	for r := range rounds {
		if rng.IntN(25) == 0 { // a reopen: Close settles, the new store starts cold
			if err := s.Close(); err != nil {
				t.Fatalf("round %d: close: %v", r, err)
			}
			if s, err = Open(ctx, path); err != nil {
				t.Fatalf("round %d: reopen: %v", r, err)
			}
			s.settleEvery = 7
		}
		failBatch := rng.IntN(6) == 0
		md.exec("BEGIN")
		err := s.Update(ctx, func(tx *Tx) error {
			events := 1 + rng.IntN(12)
			for e := range events {
				failEvent := rng.IntN(5) == 0
				md.exec("SAVEPOINT sp")
				err := tx.Savepoint(func() error {
					for range 1 + rng.IntN(3) {
						diffOp(t, tx, md, rng, r, members, groupOf, day(r), at(r, e), &msgID, &refN)
					}
					if rng.IntN(3) == 0 {
						compareReads(t, tx, md, groups, members, day(r), at(r, e), fmt.Sprintf("round %d event %d", r, e))
					}
					if failEvent {
						return errEvent
					}
					return nil
				})
				if failEvent {
					if !errors.Is(err, errEvent) {
						return fmt.Errorf("event: %w", err)
					}
					md.exec("ROLLBACK TO sp")
				} else if err != nil {
					return err
				}
				md.exec("RELEASE sp")
				if rng.IntN(4) == 0 {
					compareReads(t, tx, md, groups, members, day(r), at(r, e), fmt.Sprintf("round %d after event %d", r, e))
				}
			}
			if failBatch {
				return errBatch
			}
			return nil
		})
		if failBatch {
			if !errors.Is(err, errBatch) {
				t.Fatalf("round %d: %v", r, err)
			}
			md.exec("ROLLBACK")
		} else {
			if err != nil {
				t.Fatalf("round %d: %v", r, err)
			}
			md.exec("COMMIT")
		}
		if err := s.Update(ctx, func(tx *Tx) error {
			compareReads(t, tx, md, groups, members, day(r), at(r, 59), fmt.Sprintf("round %d, next transaction", r))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			t.Fatalf("seed %d: the store and the model disagree from round %d", seed, r)
		}
	}
}

// diffOp makes one random change on both sides and checks that both report the same.
func diffOp(t *testing.T, tx *Tx, md *model, rng *rand.Rand, r int, members []int64, groupOf map[int64]int64,
	day string, now time.Time, msgID, refN *int) {
	t.Helper()
	m := members[rng.IntN(len(members))]
	g := groupOf[m]
	switch op := rng.IntN(10); {
	case op < 5: // a chat message, sometimes one already processed
		id := *msgID
		if *msgID > 0 && rng.IntN(6) == 0 {
			id = rng.IntN(*msgID)
		} else {
			*msgID++
		}
		sid := fmt.Sprint("msg", id)
		fresh, err := tx.MarkProcessed(g, sid, now)
		if err != nil {
			t.Fatal(err)
		}
		mfresh := md.exec(`INSERT OR IGNORE INTO processed(group_key, msg_id, time) VALUES (?,?,?)`, g, sid, ms(now))
		if n, _ := mfresh.RowsAffected(); (n == 1) != fresh {
			t.Errorf("round %d: message %s fresh = %v, model %v", r, sid, fresh, n == 1)
		}
		if !fresh {
			return
		}
		valid := rng.IntN(4) != 0
		if err := tx.CountMessage(g, m, day, valid); err != nil {
			t.Fatal(err)
		}
		v := 0
		if valid {
			v = 1
		}
		md.exec(`INSERT INTO activity(group_key, member_key, day, messages, valid) VALUES (?,?,?,1,?)
			ON CONFLICT(group_key, day, member_key) DO UPDATE SET messages = messages + 1, valid = valid + excluded.valid`, g, m, day, v)
		if err := tx.SetLastSpoke(m, now); err != nil {
			t.Fatal(err)
		}
		md.exec(`INSERT INTO member_spoke(member_key, at) VALUES (?,?) ON CONFLICT(member_key) DO UPDATE SET at = excluded.at`, m, ms(now))
		e := PointsEntry{GroupKey: g, MemberKey: m, Delta: 1, Reason: ReasonMessage, Ref: fmt.Sprint("m:", g, ":", sid), Time: now, Day: day}
		b, err := tx.AddNewPoints(e)
		if err != nil {
			t.Fatal(err)
		}
		md.exec(`INSERT INTO points_ledger(group_key, member_key, delta, reason, ref, time, day) VALUES (?,?,?,?,?,?,?)
			ON CONFLICT(ref) DO NOTHING`, g, m, 1, ReasonMessage, e.Ref, ms(now), day)
		if want := md.int(`SELECT SUM(delta) FROM points_ledger WHERE member_key = ?`, m); b != want {
			t.Errorf("round %d: AddNewPoints balance of %d = %d, model %d", r, m, b, want)
		}
	case op < 7: // an admin's points or a spend
		*refN++
		e := PointsEntry{GroupKey: g, MemberKey: m, Delta: rng.Int64N(9) - 6, Reason: ReasonRedeem, Ref: fmt.Sprint("r:", *refN), Time: now, Day: day}
		if rng.IntN(3) == 0 {
			e.Reason, e.Delta = ReasonAdmin, rng.Int64N(21)-5
		}
		if e.Delta == 0 {
			e.Delta = 1
		}
		b, applied, err := tx.AddPoints(e)
		have := md.int(`SELECT SUM(delta) FROM points_ledger WHERE member_key = ?`, m)
		refuse := e.Delta < 0 && have+e.Delta < 0 && e.Reason != ReasonAdmin
		if refuse {
			if !errors.Is(err, ErrInsufficientPoints) {
				t.Errorf("round %d: spend %d of %d's %d: %v, model refuses", r, -e.Delta, m, have, err)
			}
			return
		}
		if err != nil || !applied {
			t.Errorf("round %d: AddPoints %+v: applied %v, %v; model applies", r, e, applied, err)
			return
		}
		md.exec(`INSERT INTO points_ledger(group_key, member_key, delta, reason, ref, time, day) VALUES (?,?,?,?,?,?,?)`,
			g, m, e.Delta, e.Reason, e.Ref, ms(now), day)
		if b != have+e.Delta {
			t.Errorf("round %d: AddPoints balance of %d = %d, model %d", r, m, b, have+e.Delta)
		}
	case op < 8: // a leave or a (re)join
		if rng.IntN(2) == 0 {
			if _, err := tx.MarkLeft(m, now); err != nil {
				t.Fatal(err)
			}
			md.exec(`UPDATE members SET left_at = ?, welcomed = 1 WHERE key = ? AND left_at IS NULL`, ms(now), m)
		} else {
			if err := tx.MarkJoined(m, now, true); err != nil {
				t.Fatal(err)
			}
			md.exec(`UPDATE members SET joined_at = ?, left_at = NULL, welcomed = 1 WHERE key = ?`, ms(now), m)
		}
	case op < 9: // a mute
		until := now.Add(time.Duration(rng.IntN(3)) * time.Minute)
		if err := tx.SetMute(Mute{MemberKey: m, GroupKey: g, Since: now, Until: until, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		md.exec(`INSERT INTO mutes(member_key, group_key, since, until, reason) VALUES (?,?,?,?,?)
			ON CONFLICT(member_key) DO UPDATE SET since = excluded.since, until = excluded.until, reason = excluded.reason`,
			m, g, ms(now), ms(until), "test")
	default: // a settlement mid-transaction is not possible (it runs at commit); read instead
		if _, err := tx.Balance(m); err != nil {
			t.Fatal(err)
		}
	}
}

// compareReads checks every cached read against the model (and the unsettled sums against
// plain SQL over the store's own tables).
func compareReads(t *testing.T, tx *Tx, md *model, groups, members []int64, day string, now time.Time, where string) {
	t.Helper()
	for _, m := range members {
		b, err := tx.Balance(m)
		if err != nil {
			t.Fatal(err)
		}
		if want := md.int(`SELECT SUM(delta) FROM points_ledger WHERE member_key = ?`, m); b != want {
			t.Errorf("%s: balance of %d = %d, model %d", where, m, b, want)
		}
		mm, err := tx.Member(m)
		if err != nil {
			t.Fatal(err)
		}
		if want := md.int(`SELECT left_at FROM members WHERE key = ?`, m); ms(mm.LeftAt) != want && !(mm.LeftAt.IsZero() && want == 0) {
			t.Errorf("%s: member %d left_at = %v, model %d", where, m, mm.LeftAt, want)
		}
		if want := md.int(`SELECT at FROM member_spoke WHERE member_key = ?`, m); !(mm.LastSpoke.IsZero() && want == 0) && ms(mm.LastSpoke) != want {
			t.Errorf("%s: member %d last_spoke = %v, model %d", where, m, mm.LastSpoke, want)
		}
		_, muted, err := tx.ActiveMute(m, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := md.int(`SELECT COUNT(*) FROM mutes WHERE member_key = ? AND until > ?`, m, ms(now)) > 0; muted != want {
			t.Errorf("%s: member %d muted = %v, model %v", where, m, muted, want)
		}
	}
	for _, g := range groups {
		n, err := tx.CountMembers(g)
		if err != nil {
			t.Fatal(err)
		}
		if want := md.int(`SELECT COUNT(*) FROM members WHERE group_key = ? AND left_at IS NULL`, g); int64(n) != want {
			t.Errorf("%s: roster of group %d has %d, model %d", where, g, n, want)
		}
		top, err := tx.PointsTop(g, 100)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]int64{}
		for _, st := range top {
			got[st.MemberKey] = st.Balance
		}
		want := md.pairs(`SELECT l.member_key, SUM(l.delta) FROM points_ledger l JOIN members m ON m.key = l.member_key
			WHERE m.group_key = ? AND m.left_at IS NULL GROUP BY l.member_key HAVING SUM(l.delta) > 0`, g)
		if !maps.Equal(got, want) {
			t.Errorf("%s: board of group %d = %v, model %v", where, g, got, want)
		}
		if !slices.IsSortedFunc(top, func(a, b Standing) int {
			return cmp.Or(cmp.Compare(b.Balance, a.Balance), cmp.Compare(a.MemberKey, b.MemberKey))
		}) {
			t.Errorf("%s: board of group %d out of order: %v", where, g, top)
		}
		act, err := tx.TopActive(g, day, day, 100)
		if err != nil {
			t.Fatal(err)
		}
		gotAct := map[int64]int64{}
		for _, a := range act {
			gotAct[a.MemberKey] = int64(a.Messages)*1000 + int64(a.Valid)
		}
		wantAct := md.pairs(`SELECT a.member_key, a.messages * 1000 + a.valid FROM activity a JOIN members m ON m.key = a.member_key
			WHERE a.group_key = ? AND a.day = ? AND m.left_at IS NULL AND a.valid > 0`, g, day)
		for k, v := range gotAct {
			if v%1000 == 0 {
				delete(gotAct, k) // ranked by valid messages: a member with none may or may not be listed
			}
		}
		if !maps.Equal(gotAct, wantAct) {
			t.Errorf("%s: activity of group %d on %s = %v, model %v", where, g, day, gotAct, wantAct)
		}
	}
	// The unsettled sums against plain SQL over the store's own ledger, queue written.
	if err := tx.flushPending(); err != nil {
		t.Fatal(err)
	}
	sums, err := tx.unsettledPoints()
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int64{}
	for k, u := range sums {
		if u.delta != 0 {
			got[k] = u.delta
		}
	}
	want := map[int64]int64{}
	rows, err := tx.query(`SELECT member_key, SUM(delta) FROM points_ledger WHERE id > (SELECT through FROM points_settled)
		GROUP BY member_key HAVING SUM(delta) != 0`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, v int64
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	rows.Close()
	if !maps.Equal(got, want) {
		t.Errorf("%s: unsettled sums = %v, plain SQL %v", where, got, want)
	}
}
