package bot

import (
	"context"
	"fmt"

	"qunbot/storage"
)

// loadKnownGroups names every stored group on start, so that timers re-armed from the
// database (a welcome batch, a screening deadline) can find a group by key before its
// first event of this run.
func (e *Engine) loadKnownGroups(ctx context.Context) error {
	err := e.store.View(ctx, func(tx *storage.Tx) error {
		groups, err := tx.Groups()
		if err != nil {
			return err
		}
		for _, g := range groups {
			if _, ok := e.groups[g.Key]; !ok {
				e.groups[g.Key] = &groupState{key: g.Key, name: g.Name}
				e.groupKeys[g.Name] = g.Key
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load known groups: %w", err)
	}
	return nil
}
