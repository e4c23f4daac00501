package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func markFresh(t *testing.T, tx *Tx, group int64, id string) bool {
	t.Helper()
	fresh, err := tx.MarkProcessed(group, id, time.UnixMilli(1_700_000_000_000))
	if err != nil {
		t.Fatalf("MarkProcessed(%d, %q): %v", group, id, err)
	}
	return fresh
}

func processedRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM processed`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// An id is written with the transaction: committed ids are not fresh in later
// transactions (and in a new Store on the same file, whose filter is built from the table).
func TestProcessedAcrossTransactionsAndRestart(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	s.Update(ctx, func(tx *Tx) error {
		for i := range 100 {
			if !markFresh(t, tx, 1, fmt.Sprint("m", i)) {
				t.Fatalf("m%d not fresh the first time", i)
			}
		}
		return nil
	})
	if n := processedRows(t, s); n != 100 {
		t.Fatalf("%d processed rows after commit, want 100", n)
	}
	s.Update(ctx, func(tx *Tx) error {
		for i := range 100 {
			if markFresh(t, tx, 1, fmt.Sprint("m", i)) {
				t.Fatalf("m%d fresh again in a later transaction", i)
			}
		}
		if !markFresh(t, tx, 1, "m100") {
			t.Fatal("a new id was not fresh")
		}
		return nil
	})
	s.Close()
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.Update(ctx, func(tx *Tx) error {
		for _, id := range []string{"m0", "m50", "m100"} {
			if markFresh(t, tx, 1, id) {
				t.Fatalf("%s fresh again after a restart", id)
			}
		}
		return nil
	})
}

// Ids recorded by a savepoint or a transaction that rolled back were never processed:
// the message is new when it comes again (the filter still holding them costs a query).
func TestProcessedRollbacksForget(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	s.Update(ctx, func(tx *Tx) error {
		markFresh(t, tx, 1, "kept")
		err := tx.Savepoint(func() error {
			markFresh(t, tx, 1, "undone")
			if err := tx.flushPending(); err != nil { // written, then rolled back by the database
				return err
			}
			markFresh(t, tx, 1, "undone-pending")
			return errors.New("usage error")
		})
		if err == nil {
			t.Fatal("savepoint did not fail")
		}
		if !markFresh(t, tx, 1, "undone") || !markFresh(t, tx, 1, "undone-pending") {
			t.Fatal("an id from a rolled-back savepoint was not fresh")
		}
		if markFresh(t, tx, 1, "kept") {
			t.Fatal("an id from before the savepoint was fresh")
		}
		return nil
	})
	if n := processedRows(t, s); n != 3 {
		t.Fatalf("%d processed rows, want 3 (kept, undone, undone-pending once each)", n)
	}
	err := s.Update(ctx, func(tx *Tx) error {
		markFresh(t, tx, 1, "lost")
		return errors.New("fail the transaction")
	})
	if err == nil {
		t.Fatal("update did not fail")
	}
	s.Update(ctx, func(tx *Tx) error {
		if !markFresh(t, tx, 1, "lost") {
			t.Fatal("an id from a rolled-back transaction was not fresh")
		}
		return nil
	})
}

// When more ids were added than the filter was sized for, it is rebuilt from the table:
// ids pruned by retention are forgotten, every id still in the table stays known.
func TestProcessedFilterRebuild(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	total := seenMinCapacity + 500
	s.Update(ctx, func(tx *Tx) error {
		for i := range total {
			if !markFresh(t, tx, 2, fmt.Sprint("id", i)) {
				t.Fatalf("id%d not fresh", i)
			}
		}
		return nil
	})
	s.hot.mu.Lock()
	f := s.hot.seen
	s.hot.mu.Unlock()
	if f == nil || f.capacity <= seenMinCapacity {
		t.Fatalf("filter not rebuilt past its capacity: %+v", f)
	}
	if f.added != total {
		t.Errorf("rebuilt filter counts %d ids, want %d", f.added, total)
	}
	s.Update(ctx, func(tx *Tx) error {
		for _, i := range []int{0, seenMinCapacity, total - 1} {
			if markFresh(t, tx, 2, fmt.Sprint("id", i)) {
				t.Fatalf("id%d fresh after the rebuild", i)
			}
		}
		return nil
	})
}

// The filter never forgets an id, and is wrong the other way about ~1% of the time.
func TestSeenFilter(t *testing.T) {
	f := newSeenFilter(50_000)
	for i := range f.capacity {
		f.add(int64(i%100), fmt.Sprint(7_000_000_000_000_000_000+i))
	}
	for i := range f.capacity {
		if !f.mayContain(int64(i%100), fmt.Sprint(7_000_000_000_000_000_000+i)) {
			t.Fatalf("id %d forgotten", i)
		}
	}
	wrong := 0
	const probes = 100_000
	for i := range probes {
		if f.mayContain(int64(i%100), fmt.Sprint(8_000_000_000_000_000_000+i)) {
			wrong++
		}
	}
	if rate := float64(wrong) / probes; rate > 0.02 {
		t.Errorf("false positive rate %.3f at capacity, want about 0.01", rate)
	}
	one := newSeenFilter(0)
	one.add(1, "x")
	if !one.mayContain(1, "x") || one.mayContain(2, "x") {
		t.Error("the group is not part of the key")
	}
}
