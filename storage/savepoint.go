package storage

import "fmt"

// Savepoint runs fn inside a nested savepoint: if fn fails, only its writes are undone and
// the surrounding transaction goes on (a malformed command changes nothing, yet the message
// is still recorded as processed). One fixed name serves every level: SQLite resolves a
// repeated savepoint name to the innermost one.
func (t *Tx) Savepoint(fn func() error) error {
	if _, err := t.exec("SAVEPOINT sp"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rbErr := t.exec("ROLLBACK TO sp"); rbErr != nil {
			return fmt.Errorf("%w (and rollback to savepoint failed: %v)", err, rbErr)
		}
		t.exec("RELEASE sp")
		return err
	}
	if _, err := t.exec("RELEASE sp"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
