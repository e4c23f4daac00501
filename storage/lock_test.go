package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// killed lets go of a store's lock file as the kernel does when its process dies, leaving
// its connection open: for tests that open a database "after a crash" from the same
// process.
func killed(s *Store) {
	s.lock.release()
	s.lock = nil
}

// A second store on a file that is open is refused, naming the holder; once the first is
// closed the file opens again. flock is per open file, so two Opens in one process stand
// for two processes (cmd/bot: TestSimRefusesAHeldDatabase).
func TestSecondStoreRefused(t *testing.T) {
	s, path := openTemp(t)
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open on a held database: %v, want ErrLocked", err)
	}
	pid := fmt.Sprint(os.Getpid())
	if msg := err.Error(); !strings.Contains(msg, "进程 "+pid) || !strings.Contains(msg, "process "+pid) {
		t.Errorf("refusal %q does not name the holder's PID %s in both languages", msg, pid)
	}
	b, err := os.ReadFile(path + ".lock")
	if err != nil || strings.TrimSpace(string(b)) != pid {
		t.Errorf("lock file holds %q, %v; want the PID %s", b, err, pid)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	again.Close()
}

// The confirmed bug: two stores on one file spent a cached balance of 10 twice. With the
// lock the second store is never opened; and should a writer get past it (a sqlite3
// shell spends the points meanwhile), the first store's next unit of work sees
// data_version move, drops its cached balance and refuses the second spend.
func TestNoDoubleSpendAcrossWriters(t *testing.T) {
	s, path := openTemp(t)
	g, m := engageFixture(t, s, 1)
	update(t, s, func(tx *Tx) error {
		mustAddPoints(t, tx, hotEntry(g, m[0], 10, ReasonCheckin, "c:0", hotDay2), 10, true)
		return nil
	})
	if _, err := Open(context.Background(), path); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second store opened on the live file: %v", err)
	}
	// The outside writer: a plain connection, as a sqlite3 shell would be.
	other := rawOpen(t, path)
	if _, err := other.Exec(`INSERT INTO points_ledger(group_key, member_key, delta, reason, ref, time, day)
		VALUES (?, ?, -10, 'redeem', 'shell:1', 0, ?)`, g, m[0], hotDay2); err != nil {
		t.Fatal(err)
	}
	err := s.Update(context.Background(), func(tx *Tx) error {
		_, _, err := tx.AddPoints(hotEntry(g, m[0], -10, ReasonRedeem, "r:1", hotDay2))
		return err
	})
	if !errors.Is(err, ErrInsufficientPoints) {
		t.Fatalf("spending the 10 the shell already spent: %v, want ErrInsufficientPoints", err)
	}
	if sum := sqlInt(t, s, `SELECT SUM(delta) FROM points_ledger WHERE member_key = ?`, m[0]); sum != 0 {
		t.Errorf("ledger sum = %d, want 0 (no double spend)", sum)
	}
}

// rawOpen is a plain connection to the file with no store around it: an outside writer.
func rawOpen(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
