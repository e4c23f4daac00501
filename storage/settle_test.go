package storage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// checkSettledRows checks what settling promises of points_balances: each row is exactly
// its member's entries up to the mark, every member with entries up to it has a row, and
// the mark is not past the ledger's end. It returns the mark.
func checkSettledRows(t *testing.T, s *Store) int64 {
	t.Helper()
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM (SELECT l.member_key, COALESCE(b.balance, -999999) AS b, SUM(l.delta) AS s
		FROM points_ledger l LEFT JOIN points_balances b ON b.member_key = l.member_key
		WHERE l.id <= (SELECT through FROM points_settled) GROUP BY l.member_key) WHERE b != s`); n != 0 {
		t.Errorf("%d members' settled balances differ from their entries up to the mark", n)
	}
	mark := sqlInt(t, s, `SELECT through FROM points_settled`)
	if last := sqlInt(t, s, `SELECT COALESCE(MAX(id), 0) FROM points_ledger`); mark > last {
		t.Errorf("settled mark %d is past the ledger's last entry %d", mark, last)
	}
	return mark
}

// Balances settle in bulk every few entries; between settlements every read — a balance,
// a board, a rank — adds the entries past the mark, through savepoint rollbacks, failed
// transactions and a cache dropped as at a restart.
func TestBalancesSettleInBulk(t *testing.T) {
	s, _ := openTemp(t)
	s.settleEvery = 7
	g, m := engageFixture(t, s, 6)
	rng := rand.New(rand.NewPCG(14, 1))
	want := map[int64]int64{} // committed balances
	marks := map[int64]bool{}
	ref := 0
	entry := func(reason string, delta int64) PointsEntry {
		ref++
		return hotEntry(g, m[rng.IntN(len(m))], delta, reason, fmt.Sprint("r", ref), hotDay2)
	}
	var paid []PointsEntry // message entries committed, to replay
	for round := range 300 {
		got := map[int64]int64{}
		var fresh []PointsEntry
		replayed := false
		failWhole := rng.IntN(10) == 0
		err := s.Update(context.Background(), func(tx *Tx) error {
			for range 1 + rng.IntN(4) {
				inner := map[int64]int64{}
				rollBack := rng.IntN(4) == 0
				err := tx.Savepoint(func() error {
					for range 1 + rng.IntN(3) {
						var e PointsEntry
						if len(paid) > 0 && rng.IntN(8) == 0 {
							// A message replayed after its id left processed: the ledger
							// has its ref and takes nothing when the queue is written.
							if _, err := tx.AddNewPoints(paid[rng.IntN(len(paid))]); err != nil {
								return err
							}
							replayed = true
							continue
						}
						if rng.IntN(2) == 0 {
							e = entry(ReasonMessage, 1)
							if _, err := tx.AddNewPoints(e); err != nil {
								return err
							}
							if !rollBack {
								fresh = append(fresh, e)
							}
						} else {
							e = entry(ReasonAdmin, rng.Int64N(21)-5)
							if _, applied, err := tx.AddPoints(e); err != nil || !applied {
								return fmt.Errorf("AddPoints %+v: applied %v, %w", e, applied, err)
							}
						}
						inner[e.MemberKey] += e.Delta
					}
					if rng.IntN(2) == 0 { // a board read in the middle (签到, 积分)
						if _, err := tx.PointsTop(g, 10); err != nil {
							return err
						}
					}
					if rollBack {
						return errHotRollback
					}
					return nil
				})
				if rollBack != errors.Is(err, errHotRollback) {
					return fmt.Errorf("savepoint: %w", err)
				}
				if !rollBack {
					for k, d := range inner {
						got[k] += d
					}
				}
			}
			for _, k := range m {
				b, err := tx.Balance(k)
				if err != nil {
					return err
				}
				if !replayed && b != want[k]+got[k] { // (a replay counts until the queue is written)
					t.Errorf("round %d: balance of %d = %d inside the transaction, want %d", round, k, b, want[k]+got[k])
				}
			}
			if failWhole {
				return errHotRollback
			}
			return nil
		})
		if failWhole != errors.Is(err, errHotRollback) {
			t.Fatalf("round %d: %v", round, err)
		}
		if !failWhole {
			for k, d := range got {
				want[k] += d
			}
			paid = append(paid, fresh...)
		}
		if round%50 == 49 {
			s.hot.reset() // as after a restart: sums read again from the ledger's tail
		}
		checkCacheAgreesWithDB(t, s)
		for _, k := range m {
			if b := sqlInt(t, s, sqlBalance, k); b != want[k] {
				t.Errorf("round %d: balance of %d in the database = %d, want %d", round, k, b, want[k])
			}
		}
		marks[checkSettledRows(t, s)] = true
		if t.Failed() {
			t.FailNow()
		}
	}
	if len(marks) < 20 {
		t.Errorf("the mark moved %d times in 300 rounds of entries; settling every 7 should move it far more", len(marks))
	}
	board := sqlKeyValues(t, s, sqlBoard, g)
	update(t, s, func(tx *Tx) error {
		top, err := tx.PointsTop(g, 10)
		if err != nil {
			return err
		}
		for _, st := range top {
			if st.Balance != board[st.MemberKey] {
				t.Errorf("board: member %d at %d, database %d", st.MemberKey, st.Balance, board[st.MemberKey])
			}
		}
		return nil
	})
}

// A database left by a crash has entries past the mark; a store opened on it reads them
// into every balance, and a clean stop of a store that paid points settles them all (one
// that only read leaves the file as it found it: TestReadOnlyStoreLeavesTheTail).
func TestOpenReadsTheUnsettledTail(t *testing.T) {
	s, path := openTemp(t)
	g, m := engageFixture(t, s, 2)
	update(t, s, func(tx *Tx) error {
		mustAddPoints(t, tx, hotEntry(g, m[0], 10, ReasonCheckin, "c:0", hotDay2), 10, true)
		mustAddNewPoints(t, tx, hotEntry(g, m[1], 1, ReasonMessage, "m:1", hotDay2), 1)
		return nil
	})
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_balances`); n != 0 {
		t.Fatalf("%d balance rows before the first settlement; this test wants the entries past the mark", n)
	}
	// The first store is not closed: as if killed.
	killed(s)
	after, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	update(t, after, func(tx *Tx) error {
		for i, want := range []int64{10, 1} {
			if b, err := tx.Balance(m[i]); err != nil || b != want {
				t.Errorf("balance of %d after a restart = %d, %v; want %d", m[i], b, err, want)
			}
		}
		if rank, err := tx.PointsRank(g, m[1]); err != nil || rank != 2 {
			t.Errorf("rank of %d = %d, %v; want 2", m[1], rank, err)
		}
		mustAddPoints(t, tx, hotEntry(g, m[1], 2, ReasonAdmin, "a:1", hotDay2), 3, true)
		return nil
	})
	if err := after.Close(); err != nil {
		t.Fatal(err)
	}
	balances := sqlKeyValues(t, s, `SELECT member_key, balance FROM points_balances`)
	if len(balances) != 2 || balances[m[0]] != 10 || balances[m[1]] != 3 {
		t.Errorf("balance rows after a clean stop = %v, want %d: 10 and %d: 3", balances, m[0], m[1])
	}
	checkSettledRows(t, s)
}

// Migration 14 drops the balance trigger and starts the mark at the ledger's end: the
// balances the trigger kept stay, and later entries reach them by settling.
func TestMigrationSettlesAtTheLedgerEnd(t *testing.T) {
	raw, upgrade := databaseAtVersion(t, 13)
	if _, err := raw.Exec(`INSERT INTO groups(key, name, first_seen) VALUES (1, '读书会', 0);
		INSERT INTO members(key, group_key, nickname, first_seen) VALUES (1, 1, '王五', 0), (2, 1, '赵六', 0);
		INSERT INTO points_ledger(group_key, member_key, delta, reason, ref, time, day)
			VALUES (1, 1, 10, 'checkin', 'c:1', 0, '2026-11-20'), (1, 1, 1, 'message', 'm:1', 0, '2026-11-20'),
			(1, 2, 3, 'admin', 'a:2', 0, '2026-11-20')`); err != nil {
		t.Fatal(err)
	}
	s := upgrade()
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'points_ledger_balance'`); n != 0 {
		t.Error("the balance trigger is still there")
	}
	if mark := checkSettledRows(t, s); mark != 3 {
		t.Errorf("mark = %d, want 3 (the ledger's last entry)", mark)
	}
	update(t, s, func(tx *Tx) error {
		mustAddPoints(t, tx, hotEntry(1, 2, 5, ReasonCheckin, "c:2", "2026-11-21"), 8, true)
		return nil
	})
	if b := sqlInt(t, s, `SELECT balance FROM points_balances WHERE member_key = 2`); b != 3 {
		t.Errorf("member 2's row = %d before settling, want 3 (the entry waits past the mark)", b)
	}
	if err := s.SettlePoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	balances := sqlKeyValues(t, s, `SELECT member_key, balance FROM points_balances`)
	if len(balances) != 2 || balances[1] != 11 || balances[2] != 8 {
		t.Errorf("balances after settling = %v, want 1: 11 and 2: 8", balances)
	}
	if mark := checkSettledRows(t, s); mark != 4 {
		t.Errorf("mark = %d, want 4", mark)
	}
}

// A store that paid no points does not settle when it closes: opening and closing a
// database to look at it (the crash harness's checker, `bot check`) changes nothing.
func TestReadOnlyStoreLeavesTheTail(t *testing.T) {
	s, path := openTemp(t)
	g, m := engageFixture(t, s, 1)
	update(t, s, func(tx *Tx) error {
		mustAddPoints(t, tx, hotEntry(g, m[0], 10, ReasonCheckin, "c:0", hotDay2), 10, true)
		return nil
	})
	killed(s) // its connection stays, to look at the file afterwards
	look, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	update(t, look, func(tx *Tx) error {
		_, err := tx.Balance(m[0])
		return err
	})
	if err := look.Close(); err != nil {
		t.Fatal(err)
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_balances`); n != 0 {
		t.Errorf("%d balance rows after a store that only read was closed, want 0", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if b := sqlInt(t, raw, `SELECT balance FROM points_balances WHERE member_key = ?`, m[0]); b != 10 {
		t.Errorf("after the store that paid was closed: balance row %d, want 10", b)
	}
}
