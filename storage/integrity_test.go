package storage

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// filledDB makes a closed database at path with a few hundred pages of audit rows.
func filledDB(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	err = s.Update(ctx, func(tx *Tx) error {
		g, err := tx.EnsureGroup("读书会", now)
		if err != nil {
			return err
		}
		for i := range 3000 {
			if _, err := tx.Audit(AuditEntry{Time: now, GroupKey: g.Key, Action: "warn",
				Detail: map[string]any{"reason": strings.Repeat("广告", 20), "i": i}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func wantDamaged(t *testing.T, err error, wantText ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("open must refuse the file")
	}
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("want ErrDamaged, got %v", err)
	}
	msg := err.Error()
	for _, w := range append([]string{"备份", "backup", "-wal"}, wantText...) {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q: %s", w, msg)
		}
	}
	if strings.Contains(msg, "可写") {
		t.Errorf("a damaged file must not get the 'check the path is writable' advice: %s", msg)
	}
}

func TestOpenRefusesOverwrittenPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	filledDB(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	pages := len(data) / page
	if pages < 20 {
		t.Fatalf("only %d pages", pages)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range []int{pages / 4, pages / 2, pages - 2, 2} {
		for i := range page {
			data[p*page+i] = byte(r.IntN(256))
		}
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), path)
	wantDamaged(t, err)
	after, _ := os.ReadFile(path)
	if string(after) != string(data) {
		t.Fatal("a refused file must be left as it was")
	}
}

func TestOpenRefusesEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	wantDamaged(t, err, "0 字节")
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Fatal("the empty file must not become a new database")
	}
}

func TestOpenRefusesTruncatedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	filledDB(t, path)
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	wantDamaged(t, err, "截断")
}

func TestOpenRefusesJunkWithRestoreAdvice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not sqlite ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	wantDamaged(t, err, "SQLite")
}

func TestNewDatabaseIsCreatedWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".new-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	// Reopening a healthy file passes the check.
	s, err = Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if bad, err := s.QuickCheck(context.Background()); err != nil || len(bad) > 0 {
		t.Fatalf("quick check: %v %v", bad, err)
	}
	s.Close()
}
