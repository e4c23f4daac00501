package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackupWhileWriting backs up a database while another goroutine keeps committing
// transactions that each write an audit entry and an outbox row together. Every copy must
// pass the integrity check and hold whole transactions only (as many audit entries as
// outbox rows): a snapshot, not a smear of half-written state.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	write := func(i int) error {
		return s.Update(ctx, func(tx *Tx) error {
			if _, err := tx.Audit(AuditEntry{Time: now, Action: "test", Detail: map[string]any{"i": i, "pad": strings.Repeat("x", 200)}}); err != nil {
				return err
			}
			_, err := tx.Enqueue(OutMessage{Created: now, Kind: OutDM, Target: "filehelper", Text: fmt.Sprint("message ", i)})
			return err
		})
	}
	// Some bulk first, so a backup takes long enough to overlap with writes.
	for i := 0; i < 2000; i++ {
		if err := write(i); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wrote atomic.Int64
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 2000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := write(i); err != nil {
				writeErr = err
				return
			}
			wrote.Add(1)
		}
	}()
	dir := t.TempDir()
	for round := 0; round < 5; round++ {
		before := wrote.Load()
		out := filepath.Join(dir, fmt.Sprintf("copy-%d.db", round))
		res, err := Backup(ctx, path, out, false)
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("backup %d: %v", round, err)
		}
		if res.Pages == 0 || res.Bytes == 0 {
			t.Errorf("backup %d: result %+v", round, res)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("backup mode %v, want 0600", st.Mode().Perm())
		}
		c, err := Open(ctx, out)
		if err != nil {
			t.Fatalf("open copy: %v", err)
		}
		problems, err := c.IntegrityCheck(ctx)
		if err != nil || len(problems) > 0 {
			t.Fatalf("copy integrity: %v %v", problems, err)
		}
		var audits, outs int
		c.DB().QueryRow(`SELECT COUNT(*) FROM audit`).Scan(&audits)
		c.DB().QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&outs)
		c.Close()
		if audits != outs || audits < 2000+int(before) {
			t.Errorf("copy %d: %d audit entries, %d outbox rows (≥ %d written before the backup began): not one snapshot", round, audits, outs, 2000+before)
		}
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("writer failed during backups: %v", writeErr)
	}
	if wrote.Load() == 0 {
		t.Fatal("the writer never wrote during the backups")
	}
	t.Logf("%d transactions committed during 5 backups", wrote.Load())
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	ctx := context.Background()
	_, path := openTemp(t)
	out := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(out, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Backup(ctx, path, out, false)
	if !errors.Is(err, ErrBackupExists) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("want ErrBackupExists mentioning --force, got %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "precious" {
		t.Fatal("existing file was touched")
	}
	if _, err := Backup(ctx, path, out, true); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	c, err := Open(ctx, out)
	if err != nil {
		t.Fatalf("open overwritten copy: %v", err)
	}
	c.Close()
	// Nothing is left behind in the directory but the copy (and the lock file of the
	// Open above: lock.go).
	entries, _ := os.ReadDir(filepath.Dir(out))
	for _, e := range entries {
		if e.Name() != "copy.db" && e.Name() != "copy.db.lock" && !strings.HasPrefix(e.Name(), "copy.db-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestBackupErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := Backup(ctx, missing, filepath.Join(dir, "out.db"), false); err == nil {
		t.Fatal("backup of a missing database succeeded")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatal("backup created the missing source database")
	}
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not sqlite ", 500)), 0o600)
	if _, err := Backup(ctx, junk, filepath.Join(dir, "out2.db"), false); err == nil {
		t.Fatal("backup of a non-database succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "out2.db")); !os.IsNotExist(err) {
		t.Fatal("a failed backup left an output file")
	}
	_, path := openTemp(t)
	if _, err := Backup(ctx, path, path, true); err == nil {
		t.Fatal("backup onto the database itself succeeded")
	}
}
