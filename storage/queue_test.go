package storage

import (
	"context"
	"testing"
)

// Every queue id has its kind in the registry, under its own id, and names the table its
// rows are written to: a kind added to the constants but not registered (or registered
// under another's id) would never be written, marked or rolled back.
func TestQueueRegistryComplete(t *testing.T) {
	s, _ := openTemp(t)
	for id, k := range queueKinds {
		if k == nil {
			t.Errorf("queue id %d has no kind in queueKinds", id)
			continue
		}
		if k.kindID() != id {
			t.Errorf("queue %q is registered at %d but says id %d", k.kindName(), id, k.kindID())
		}
		var n int
		if err := s.DB().QueryRowContext(context.Background(),
			`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, k.kindName()).Scan(&n); err != nil || n != 1 {
			t.Errorf("queue %q names no table (%v)", k.kindName(), err)
		}
	}
}
