package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	for pragma, want := range map[string]string{"wal_autocheckpoint": "40000", "journal_size_limit": "67108864", "cache_size": "-16384"} {
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

// Migration 12 moves last_spoke out of members: a database from before it keeps every
// member's time, and the members table no longer has the column.
func TestMigrationKeepsLastSpoke(t *testing.T) {
	ctx := context.Background()
	raw, upgrade := databaseAtVersion(t, 11)
	spoke := time.Date(2026, 11, 20, 21, 30, 0, 0, time.UTC)
	if _, err := raw.Exec(`INSERT INTO groups(key, name, first_seen) VALUES (1, '读书会', 0);
		INSERT INTO members(key, group_key, nickname, first_seen, last_spoke) VALUES (7, 1, '张三', 0, ?), (8, 1, '李四', 0, NULL)`,
		spoke.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	s := upgrade()
	s.View(ctx, func(tx *Tx) error {
		a, err := tx.Member(7)
		if err != nil || !a.LastSpoke.Equal(spoke) {
			t.Errorf("张三 last spoke %v, %v; want %v", a.LastSpoke, err, spoke)
		}
		b, err := tx.Member(8)
		if err != nil || !b.LastSpoke.IsZero() {
			t.Errorf("李四 last spoke %v, %v; want never", b.LastSpoke, err)
		}
		return nil
	})
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM pragma_table_info('members') WHERE name = 'last_spoke'`); n != 0 {
		t.Error("members still has last_spoke")
	}
}

// Migration 13 re-keys processed by message id first: a database from before it keeps
// every id (a replay is still caught, per group), and retention still prunes by time.
func TestMigrationKeepsProcessedIDs(t *testing.T) {
	raw, upgrade := databaseAtVersion(t, 12)
	at := time.Date(2026, 11, 20, 21, 30, 0, 0, time.UTC)
	if _, err := raw.Exec(`INSERT INTO groups(key, name, first_seen) VALUES (1, '读书会', 0), (2, '跑步群', 0);
		INSERT INTO processed(group_key, msg_id, time) VALUES (1, '7001', ?), (2, '7001', ?), (1, '7002', ?)`,
		at.UnixMilli(), at.UnixMilli(), at.Add(48*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	s := upgrade()
	var ddl string
	if err := s.DB().QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'processed'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "PRIMARY KEY (msg_id, group_key)") {
		t.Errorf("processed is not keyed by message id first:\n%s", ddl)
	}
	update(t, s, func(tx *Tx) error {
		for _, c := range []struct {
			group int64
			id    string
			fresh bool
		}{{1, "7001", false}, {2, "7001", false}, {1, "7002", false}, {2, "7002", true}, {3, "7001", true}} {
			if fresh, err := tx.MarkProcessed(c.group, c.id, at); err != nil || fresh != c.fresh {
				t.Errorf("group %d id %s: fresh %v, %v; want %v", c.group, c.id, fresh, err, c.fresh)
			}
		}
		return nil
	})
	update(t, s, func(tx *Tx) error {
		// Older than the cut: the two migrated ids at `at` and the two just marked at `at`.
		n, err := tx.PruneProcessed(at.Add(time.Hour), 100)
		if err != nil || n != 4 {
			t.Errorf("pruned %d, %v; want the 4 ids older than the cut", n, err)
		}
		return nil
	})
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM processed WHERE group_key = 1 AND msg_id = '7002'`); n != 1 {
		t.Error("the id newer than the cut was pruned too")
	}
}

// databaseAtVersion creates a database file migrated only up to version n, as a release
// from before the later migrations left it, and returns its raw handle for seeding rows
// and upgrade, which closes that handle and opens the file with Open (migrating it).
func databaseAtVersion(t *testing.T, n int) (raw *sql.DB, upgrade func() *Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("v%d.db", n))
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	old := &Store{db: raw, path: path}
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:n] {
		if err := old.apply(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	return raw, func() *Store {
		t.Helper()
		raw.Close()
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}
