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
	for pragma, want := range map[string]string{"wal_autocheckpoint": "40000", "journal_size_limit": "67108864", "cache_size": "-32768"} {
		var got string
		if err := s.DB().QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

// A day's sums (the daily cap) read only that day, through the index of migration 10.
// Migration 11 leaves the ledger no index a paid message writes at a random place: only
// the ref (unique, for replays) and the day (appended to).
func TestLedgerQueriesUseTheirIndexes(t *testing.T) {
	s, _ := openTemp(t)
	day := queryPlan(t, s, `SELECT member_key, SUM(delta) FROM points_ledger
		WHERE day = '2026-11-21' AND reason = 'message' AND delta > 0 GROUP BY member_key`)
	if !strings.Contains(day, "points_ledger_by_day") {
		t.Errorf("day sums plan: %s", day)
	}
	rows, err := s.DB().Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'points_ledger' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if got := strings.Join(names, " "); got != "points_ledger_by_day sqlite_autoindex_points_ledger_1" {
		t.Errorf("ledger indexes: %s; want only by_day and the ref's unique index", got)
	}
}
