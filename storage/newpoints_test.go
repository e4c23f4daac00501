package storage

import (
	"context"
	"slices"
	"testing"
	"time"
)

// Tests of AddNewPoints: message points queued in the transaction and written with its
// other pending rows. Whatever happens in between, the committed ledger must hold each
// entry once, every balance must equal the sum of its ledger entries, and the cache must
// agree with the database.

func mustAddNewPoints(t *testing.T, tx *Tx, e PointsEntry, wantBalance int64) {
	t.Helper()
	b, err := tx.AddNewPoints(e)
	if err != nil {
		t.Fatalf("AddNewPoints(%s): %v", e.Ref, err)
	}
	if b != wantBalance {
		t.Errorf("AddNewPoints(%s) = balance %d, want %d", e.Ref, b, wantBalance)
	}
}

// checkBalancesMatchLedger checks the settled balances against the ledger up to the mark,
// then settles the rest and checks them against the whole ledger.
func checkBalancesMatchLedger(t *testing.T, s *Store) {
	t.Helper()
	check := func(when string) {
		t.Helper()
		if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_balances b WHERE b.balance !=
			(SELECT COALESCE(SUM(delta), 0) FROM points_ledger l WHERE l.member_key = b.member_key
				AND l.id <= (SELECT through FROM points_settled))`); n != 0 {
			t.Errorf("%s: %d settled balances differ from the sum of their ledger entries up to the mark", when, n)
		}
	}
	check("before settling")
	if err := s.SettlePoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("after settling")
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger WHERE id > (SELECT through FROM points_settled)`); n != 0 {
		t.Errorf("%d entries past the mark after settling", n)
	}
	if n := sqlInt(t, s, `SELECT COUNT(DISTINCT member_key) FROM points_ledger l
		WHERE NOT EXISTS (SELECT 1 FROM points_balances b WHERE b.member_key = l.member_key)`); n != 0 {
		t.Errorf("%d members with entries but no balance after settling", n)
	}
}

// Queued entries are seen by every read in the transaction, keep their order against
// entries written at once, and commit exactly once.
func TestNewPointsReadInOrderAndCommitted(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 2)
	a, b := m[0], m[1]
	hotUpdate(t, s, func(tx *Tx) error {
		mustAddNewPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "message:1", hotDay2), 1)
		mustAddNewPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "message:2", hotDay2), 2)
		if got, err := tx.PointsEarnedOn(a, hotDay2, ReasonMessage); err != nil || got != 2 {
			t.Errorf("earned today = %d, %v; want 2 (queued entries count)", got, err)
		}
		mustAddPoints(t, tx, hotEntry(g, a, 10, ReasonCheckin, "checkin:1", hotDay2), 12, true)
		mustAddNewPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "message:3", hotDay2), 13)
		mustAddNewPoints(t, tx, hotEntry(g, b, 1, ReasonMessage, "message:4", hotDay2), 1)
		entries, err := tx.PointsEntries(a, 10)
		if err != nil {
			return err
		}
		var refs []string
		for _, e := range entries {
			refs = append(refs, e.Ref)
		}
		if want := []string{"message:3", "checkin:1", "message:2", "message:1"}; !slices.Equal(refs, want) {
			t.Errorf("history newest first = %v, want %v", refs, want)
		}
		rank, err := tx.PointsRank(g, b)
		if err != nil || rank != 2 {
			t.Errorf("rank of b = %d, %v; want 2", rank, err)
		}
		return nil
	})
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger`); n != 5 {
		t.Errorf("%d ledger rows, want 5", n)
	}
	if got := sqlHotState(t, s, a); got.Balance != 13 || got.Earned != 3 {
		t.Errorf("database: balance %d earned %d, want 13 and 3", got.Balance, got.Earned)
	}
	checkBalancesMatchLedger(t, s)
	checkCacheAgreesWithDB(t, s)
}

// A savepoint rolled back takes its queued entries with it, also when they were written
// inside it; entries queued before it stay.
func TestNewPointsSavepointRollback(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	a := m[0]
	hotUpdate(t, s, func(tx *Tx) error {
		mustAddNewPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "message:kept", hotDay2), 1)
		err := tx.Savepoint(func() error {
			mustAddNewPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "message:flushed", hotDay2), 2)
			if _, err := tx.PointsTop(g, 10); err != nil { // writes the queue
				return err
			}
			mustAddNewPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "message:queued", hotDay2), 3)
			return errHotRollback
		})
		if err != errHotRollback {
			t.Fatalf("savepoint: %v", err)
		}
		if b, err := tx.Balance(a); err != nil || b != 1 {
			t.Errorf("balance after the rollback = %d, %v; want 1", b, err)
		}
		// The cache is dropped: a balance read from the table must still count the
		// entry that is queued but not written.
		tx.dropPointsCache()
		if b, err := tx.Balance(a); err != nil || b != 1 {
			t.Errorf("balance read from the table = %d, %v; want 1", b, err)
		}
		return nil
	})
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger`); n != 1 {
		t.Errorf("%d ledger rows, want 1 (message:kept)", n)
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger WHERE ref = 'message:kept'`); n != 1 {
		t.Error("the entry queued before the savepoint was lost")
	}
	checkBalancesMatchLedger(t, s)
	checkCacheAgreesWithDB(t, s)
}

// A ref already in the ledger (a message replayed after its id left processed) is not
// paid again; the cached balance that counted it is dropped, not committed as truth.
func TestNewPointsExistingRefNotPaidTwice(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	a := m[0]
	hotUpdate(t, s, func(tx *Tx) error {
		mustAddNewPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "message:old", hotDay2), 1)
		return nil
	})
	hotUpdate(t, s, func(tx *Tx) error {
		mustAddNewPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "message:old", hotDay2), 2)
		mustAddNewPoints(t, tx, hotEntry(g, a, 1, ReasonMessage, "message:new", hotDay2), 3)
		return nil
	})
	if got := sqlHotState(t, s, a); got.Balance != 2 || got.Earned != 2 {
		t.Errorf("database: balance %d earned %d, want 2 and 2", got.Balance, got.Earned)
	}
	checkBalancesMatchLedger(t, s)
	checkCacheAgreesWithDB(t, s)
	hotUpdate(t, s, func(tx *Tx) error {
		if b, err := tx.Balance(a); err != nil || b != 2 {
			t.Errorf("balance in the next transaction = %d, %v; want 2", b, err)
		}
		return nil
	})
}

func TestNewPointsOnlyCredits(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	err := s.Update(t.Context(), func(tx *Tx) error {
		_, err := tx.AddNewPoints(hotEntry(g, m[0], -1, ReasonMessage, "message:neg", hotDay2))
		return err
	})
	if err == nil {
		t.Fatal("a debit was queued")
	}
}

// The points board (ranks and the top list) is kept in memory once asked for: it must
// follow every balance change, a member's first points, leaves and rejoins, and savepoint
// rollbacks, exactly as the SQL over points_balances and members would answer.
func TestPointsBoardFollowsChanges(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 4)
	a, b, c, d := m[0], m[1], m[2], m[3]
	rank := func(t *testing.T, tx *Tx, member int64, want int) {
		t.Helper()
		if got, err := tx.PointsRank(g, member); err != nil || got != want {
			t.Errorf("rank of %d = %d, %v; want %d", member, got, err, want)
		}
	}
	top := func(t *testing.T, tx *Tx, want ...int64) {
		t.Helper()
		st, err := tx.PointsTop(g, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, s := range st {
			got = append(got, s.MemberKey)
		}
		if !slices.Equal(got, want) {
			t.Errorf("top = %v, want %v", got, want)
		}
	}
	hotUpdate(t, s, func(tx *Tx) error {
		mustAddPoints(t, tx, hotEntry(g, a, 5, ReasonCheckin, "c:a", hotDay2), 5, true)
		mustAddPoints(t, tx, hotEntry(g, b, 3, ReasonCheckin, "c:b", hotDay2), 3, true)
		top(t, tx, a, b) // loads the board
		rank(t, tx, c, 3)
		mustAddNewPoints(t, tx, hotEntry(g, c, 4, ReasonMessage, "message:c", hotDay2), 4) // c's first points
		top(t, tx, a, c, b)
		rank(t, tx, b, 3)
		mustAddNewPoints(t, tx, hotEntry(g, b, 2, ReasonMessage, "message:b", hotDay2), 5)
		top(t, tx, a, b, c) // equal balances: lower key first
		rank(t, tx, b, 1)
		rank(t, tx, c, 3)
		err := tx.Savepoint(func() error {
			mustAddPoints(t, tx, hotEntry(g, d, 9, ReasonAdmin, "admin:d", hotDay2), 9, true)
			top(t, tx, d, a, b, c)
			return errHotRollback
		})
		if err != errHotRollback {
			t.Fatalf("savepoint: %v", err)
		}
		top(t, tx, a, b, c)
		return nil
	})
	checkCacheAgreesWithDB(t, s)

	hotUpdate(t, s, func(tx *Tx) error {
		if _, err := tx.MarkLeft(a, hotT0); err != nil {
			return err
		}
		top(t, tx, b, c)
		rank(t, tx, c, 2)
		mustAddPoints(t, tx, hotEntry(g, a, -1, ReasonAdmin, "admin:a", hotDay2), 4, true) // a left: not on the board
		top(t, tx, b, c)
		return tx.MarkJoined(a, hotT0.Add(time.Hour), true)
	})
	checkCacheAgreesWithDB(t, s)
	hotUpdate(t, s, func(tx *Tx) error {
		top(t, tx, b, a, c) // b 5, a 4, c 4: a back on the board
		rank(t, tx, a, 2)
		rank(t, tx, d, 4)
		return nil
	})
	checkCacheAgreesWithDB(t, s)
}
