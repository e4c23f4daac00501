package storage

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// The write-ahead log and its index hold the same member names and evidence as the
// database: they must be as private (SQLite gives them the database file's mode), whatever
// the umask.
func TestWALFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	s, path := openTemp(t)
	if err := s.Update(context.Background(), func(tx *Tx) error {
		_, err := tx.Audit(AuditEntry{Time: time.Now(), Action: "test"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %o, want 600", f, st.Mode().Perm())
		}
	}
}
