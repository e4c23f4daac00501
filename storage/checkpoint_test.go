package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// The checkpointer is a goroutine with its own connection: Close must stop it (a leak
// would keep the file open) and may be called twice; the data written meanwhile is intact.
func TestCheckpointerStopsWithTheStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if s.ckpt == nil {
		t.Fatal("a file database has no checkpointer")
	}
	for i := range 50 {
		err := s.Update(ctx, func(tx *Tx) error {
			_, err := tx.MarkProcessed(1, string(rune('a'+i%26))+time.Duration(i).String(), time.UnixMilli(int64(i)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Whatever the goroutine is doing, a checkpoint of everything so far must succeed.
	if err := s.ckpt.checkpoint(ctx); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	done := s.ckpt.done
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	default:
		t.Fatal("checkpointer goroutine still running after Close")
	}
	s.ckpt.close() // a second close is a no-op
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM processed`).Scan(&n); err != nil || n != 50 {
		t.Fatalf("processed rows after reopen = %d, %v; want 50", n, err)
	}
	if bad, err := s.IntegrityCheck(ctx); err != nil || len(bad) > 0 {
		t.Fatalf("integrity: %v %v", bad, err)
	}
}

func TestMemoryStoreHasNoCheckpointer(t *testing.T) {
	s, err := Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ckpt != nil {
		t.Fatal("an in-memory database has no log to checkpoint")
	}
	s.ckpt.committed() // nil-safe: Update calls it on every store
}
