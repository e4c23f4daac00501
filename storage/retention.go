package storage

import (
	"fmt"
	"time"
)

// Retention: the audit log and the processed-message ids grow with every message; a daily
// job prunes what is older than the configured retention, a bounded chunk per transaction
// so that a first prune of a big old database never holds the event loop for long. The
// points ledger, check-ins and strikes are never pruned.

// PruneAudit deletes up to limit audit entries older than before, oldest first, and
// reports how many it deleted (fewer than limit: none older are left).
func (t *Tx) PruneAudit(before time.Time, limit int) (int64, error) {
	res, err := t.exec(`DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE time < ? ORDER BY time LIMIT ?)`, ms(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune audit log before %s: %w", before.Format(time.DateOnly), err)
	}
	return res.RowsAffected()
}

// PruneProcessed forgets up to limit message ids older than before (replays older than
// that are stopped by the adapter's session-start cut-off) and reports how many.
func (t *Tx) PruneProcessed(before time.Time, limit int) (int64, error) {
	res, err := t.exec(`DELETE FROM processed WHERE (group_key, msg_id) IN
		(SELECT group_key, msg_id FROM processed WHERE time < ? ORDER BY time LIMIT ?)`, ms(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune processed message ids before %s: %w", before.Format(time.DateOnly), err)
	}
	return res.RowsAffected()
}
