package bot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"qunbot/storage"
)

// The daily retention job deletes audit entries and processed ids past their retention,
// in chunks (a first prune of an old database goes on a second later until done), and
// keeps everything younger.
func TestRetentionJobPrunesInChunks(t *testing.T) {
	h := newHarness(t, "retention:\n  audit: 91d\n  processed: 1d\n", Capabilities{}, nil)
	ctx := context.Background()
	old, recent := t0.AddDate(0, 0, -100), t0.Add(-time.Hour)
	if err := h.store.Update(ctx, func(tx *storage.Tx) error {
		for i := 0; i < retentionChunk+3; i++ {
			if _, err := tx.Audit(storage.AuditEntry{Time: old, Action: "test"}); err != nil {
				return err
			}
		}
		for i := 0; i < 2; i++ {
			if _, err := tx.Audit(storage.AuditEntry{Time: recent, Action: "test"}); err != nil {
				return err
			}
			if _, err := tx.MarkProcessed(1, fmt.Sprint("new", i), recent); err != nil {
				return err
			}
		}
		for i := 0; i < 10; i++ {
			if _, err := tx.MarkProcessed(1, fmt.Sprint("old", i), t0.AddDate(0, 0, -2)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		var n int
		if err := h.store.DB().QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// t0 is 08:00; the job runs at 04:30 the next morning.
	h.advance(20*time.Hour + 30*time.Minute)
	if n := count(`SELECT COUNT(*) FROM audit WHERE action = 'test'`); n != 5 {
		t.Fatalf("after the first chunk %d test entries left, want 3 old + 2 recent", n)
	}
	h.advance(time.Second)
	if n := count(`SELECT COUNT(*) FROM audit WHERE action = 'test'`); n != 2 {
		t.Fatalf("after the second chunk %d test entries left, want the 2 recent", n)
	}
	if n := count(`SELECT COUNT(*) FROM processed`); n != 2 {
		t.Fatalf("%d processed ids left, want the 2 recent", n)
	}
	var last int64
	h.store.DB().QueryRow(`SELECT last_run FROM jobs WHERE name = 'retention'`).Scan(&last)
	if want := t0.Add(20*time.Hour + 30*time.Minute); last != want.UnixMilli() {
		t.Fatalf("retention job last run %v, want %v", time.UnixMilli(last), want)
	}
}

// Zero keeps records forever.
func TestRetentionZeroKeepsEverything(t *testing.T) {
	h := newHarness(t, "retention:\n  audit: 0\n  processed: 0\n", Capabilities{}, nil)
	ctx := context.Background()
	h.store.Update(ctx, func(tx *storage.Tx) error {
		tx.Audit(storage.AuditEntry{Time: t0.AddDate(-5, 0, 0), Action: "test"})
		_, err := tx.MarkProcessed(1, "ancient", t0.AddDate(-5, 0, 0))
		return err
	})
	h.advance(2 * 24 * time.Hour)
	var a, p int
	h.store.DB().QueryRow(`SELECT COUNT(*) FROM audit WHERE action = 'test'`).Scan(&a)
	h.store.DB().QueryRow(`SELECT COUNT(*) FROM processed`).Scan(&p)
	if a != 1 || p != 1 {
		t.Fatalf("retention 0 must keep everything: %d audit, %d processed", a, p)
	}
}
