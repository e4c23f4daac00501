package storage

import "fmt"

// Savepoint runs fn inside a nested savepoint: if fn fails, only its writes are undone and
// the surrounding transaction goes on (a malformed command changes nothing, yet the message
// is still recorded as processed). One fixed name serves every level: SQLite resolves a
// repeated savepoint name to the innermost one.
//
// The SQL savepoint is opened only when fn first runs a statement that may write
// (openSavepoints): most chat messages only queue rows in the Tx and read, and their undo
// is the Tx's own, so they cost no SAVEPOINT and RELEASE statements (two of the few
// statements an ordinary message had left).
func (t *Tx) Savepoint(fn func() error) (err error) {
	t.markSavepoint()
	done := false
	defer func() {
		if done {
			return
		}
		// fn panicked: undo its writes before the panic goes on, so the caller that
		// recovers can carry on with the transaction as if fn had failed.
		t.undoSavepoint()
	}()
	fnErr := fn()
	done = true
	if fnErr != nil {
		if rbErr := t.undoSavepoint(); rbErr != nil {
			return fmt.Errorf("%w (and rollback to savepoint failed: %v)", fnErr, rbErr)
		}
		return fnErr
	}
	if opened := t.releaseSavepoint(); opened {
		if _, err := t.execRaw("RELEASE sp"); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	return nil
}

// undoSavepoint rolls the innermost savepoint back and closes it, with the pending
// counters and the cache changes made inside it.
func (t *Tx) undoSavepoint() error {
	if opened := t.rollbackSavepoint(); !opened {
		return nil // nothing was written to the database inside it
	}
	if _, err := t.execRaw("ROLLBACK TO sp"); err != nil {
		return err
	}
	_, err := t.execRaw("RELEASE sp")
	return err
}

// openSavepoints issues, before a statement that may write, the SQL savepoints of the open
// levels that have not issued theirs yet, outermost first. Opened levels are always the
// outer ones, so the innermost says whether any is missing. Should a SAVEPOINT fail, the
// transaction can no longer be undone in part: it is marked broken and will not commit.
func (t *Tx) openSavepoints(query string) {
	marks := t.pending.marks
	if len(marks) == 0 || marks[len(marks)-1].sql || t.outsideSavepoints || isRead(query) {
		return
	}
	for i := range marks {
		if marks[i].sql {
			continue
		}
		if _, err := t.execRaw("SAVEPOINT sp"); err != nil && t.broken == nil {
			t.broken = fmt.Errorf("savepoint: %w", err)
		}
		marks[i].sql = true
	}
}

// isRead reports whether a statement only reads: it begins with SELECT. Anything else
// (an INSERT, an UPDATE … RETURNING, a PRAGMA) counts as a write.
func isRead(query string) bool {
	i := 0
	for i < len(query) && (query[i] == ' ' || query[i] == '\t' || query[i] == '\n' || query[i] == '\r') {
		i++
	}
	return len(query)-i >= 6 && query[i:i+6] == "SELECT"
}
