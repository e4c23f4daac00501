package storage

import (
	"context"
	"strings"
	"testing"
)

func queryPlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.DB().QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
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
	return strings.Join(plan, "; ")
}

// Ranks and leaderboards read one group's balances through the group index, not the
// whole table, now that the per-balance index is gone from the message path.
func TestRankQueriesUseTheGroupIndex(t *testing.T) {
	s, _ := openTemp(t)
	for _, q := range []string{
		`SELECT COUNT(*) FROM points_balances b JOIN members m ON m.key = b.member_key
		WHERE b.group_key = 1 AND m.left_at IS NULL AND b.balance > 5`,
		`SELECT b.member_key, b.balance FROM points_balances b JOIN members m ON m.key = b.member_key
		WHERE b.group_key = 1 AND m.left_at IS NULL AND b.balance > 0 ORDER BY b.balance DESC, b.member_key LIMIT 10`,
	} {
		if plan := queryPlan(t, s, q); !strings.Contains(plan, "points_balances_by_group") {
			t.Errorf("plan does not use points_balances_by_group: %s", plan)
		}
	}
}

// The connection is tuned for the write path (see tune).
func TestConnectionTuning(t *testing.T) {
	s, _ := openTemp(t)
	for pragma, want := range map[string]string{"wal_autocheckpoint": "10000", "journal_size_limit": "67108864", "cache_size": "-32768"} {
		var got string
		if err := s.DB().QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}
