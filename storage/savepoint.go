package storage

import (
	"fmt"
	"sync/atomic"
)

var savepointSeq atomic.Uint64 // names only need to be unique; not state anyone reads

// Savepoint runs fn inside a nested savepoint: if fn fails, only its writes are undone and
// the surrounding transaction goes on (a malformed command changes nothing, yet the message
// is still recorded as processed).
func (t *Tx) Savepoint(fn func() error) error {
	name := fmt.Sprintf("sp%d", savepointSeq.Add(1))
	if _, err := t.exec("SAVEPOINT " + name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rbErr := t.exec("ROLLBACK TO " + name); rbErr != nil {
			return fmt.Errorf("%w (and rollback to savepoint failed: %v)", err, rbErr)
		}
		t.exec("RELEASE " + name)
		return err
	}
	if _, err := t.exec("RELEASE " + name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}
