package storage

import (
	"strings"
	"testing"
)

// TestOutboxPendingUsesIndex: delivery runs after every event, so it must not scan every
// message ever sent.
func TestOutboxPendingUsesIndex(t *testing.T) {
	s, _ := openTemp(t)
	joined := queryPlan(t, s, `SELECT id FROM outbox
		WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT 500`)
	if !strings.Contains(joined, "outbox_pending") || strings.Contains(joined, "TEMP B-TREE") {
		t.Fatalf("pending outbox query plan: %s", joined)
	}
	// After each event the engine reads only up to that event's messages: a range of the
	// same index, not the whole queue filtered.
	joined = queryPlan(t, s, `SELECT id FROM outbox
		WHERE sent_at IS NULL AND failed_at IS NULL AND id <= ? ORDER BY id LIMIT 500`, 10)
	if !strings.Contains(joined, "outbox_pending (id<?)") || strings.Contains(joined, "TEMP B-TREE") {
		t.Fatalf("pending outbox up-to query plan: %s", joined)
	}
}
