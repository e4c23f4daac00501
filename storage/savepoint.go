package storage

import "fmt"

// Savepoint runs fn inside a nested savepoint: if fn fails, only its writes are undone and
// the surrounding transaction goes on (a malformed command changes nothing, yet the message
// is still recorded as processed). One fixed name serves every level: SQLite resolves a
// repeated savepoint name to the innermost one.
func (t *Tx) Savepoint(fn func() error) (err error) {
	if _, err := t.exec("SAVEPOINT sp"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
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
	t.releaseSavepoint()
	if _, err := t.exec("RELEASE sp"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// undoSavepoint rolls the innermost savepoint back and closes it, with the pending
// counters and the cache changes made inside it.
func (t *Tx) undoSavepoint() error {
	t.rollbackSavepoint()
	if _, err := t.exec("ROLLBACK TO sp"); err != nil {
		return err
	}
	_, err := t.exec("RELEASE sp")
	return err
}
