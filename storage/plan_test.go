package storage

import (
	"context"
	"strings"
	"testing"
)

// TestOutboxPendingUsesIndex: delivery runs after every event, so it must not scan every
// message ever sent.
func TestOutboxPendingUsesIndex(t *testing.T) {
	s, _ := openTemp(t)
	rows, err := s.DB().QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT id FROM outbox
		WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT 500`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	joined := strings.Join(plan, "; ")
	if !strings.Contains(joined, "outbox_pending") || strings.Contains(joined, "TEMP B-TREE") {
		t.Fatalf("pending outbox query plan: %s", joined)
	}
}
