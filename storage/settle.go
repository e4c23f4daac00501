package storage

import (
	"context"
	"fmt"
	"os"
	"strconv"
)

// Settled balances. The ledger is the truth about points: every entry is written in the
// transaction of the event that made it, and nothing else is needed to know a balance.
// points_balances is a summary of it, kept so that a balance or a board is one read
// instead of a sum over months of entries. Until migration 14 a trigger updated it for
// every entry; in a busy bot that was a write at a random place of points_balances for
// every paid message (~18% of the load benchmark, docs/PERFORMANCE.md ## load). Now the
// summary is brought up to date in bulk: points_settled holds the id of the last entry it
// includes, and settling adds every later entry per member in one statement, which walks
// points_balances in key order and writes each member's row once however many entries
// they had.
//
// Between settlements a member's balance is their points_balances row plus their entries
// past the mark. The hot cache holds those per-member sums (hotCache.unsettled), loaded
// from the ledger's tail when first needed and kept current by every entry written, so a
// balance read is still one row read and a map lookup. A crash loses nothing: the entries
// are committed, and the next reader sums the tail again.

// schemaSettledBalances is migration 14. The balances are exact when it runs (the trigger
// kept them), so the mark starts at the ledger's last entry.
const schemaSettledBalances = `
DROP TRIGGER points_ledger_balance;
CREATE TABLE points_settled (
	only    INTEGER PRIMARY KEY CHECK (only = 1),
	through INTEGER NOT NULL
);
INSERT INTO points_settled(only, through) SELECT 1, COALESCE(MAX(id), 0) FROM points_ledger;
`

// defaultSettleEvery is how many ledger entries may wait past the mark before a
// committing transaction settles them. It bounds the tail a restart sums and the cache's
// per-member sums (one map entry per member with entries past the mark), and is large
// enough that a member's entries since the last settlement are added to their row at once.
const defaultSettleEvery = 100_000

// settleEveryEnv overrides it, for tests that want settlements to happen often (the
// crash harness, which runs the real binary).
const settleEveryEnv = "QUNBOT_SETTLE_EVERY"

func settleEveryFromEnv() int64 {
	if n, err := strconv.ParseInt(os.Getenv(settleEveryEnv), 10, 64); err == nil && n > 0 {
		return n
	}
	return defaultSettleEvery
}

type unsettledSum struct{ group, delta int64 }

// unsettledPoints returns every member's sum of entries past the settled mark, loading it
// from the ledger's tail if the cache does not have it. The map is the cache's own: read
// it under no lock only inside the unit of work.
func (t *Tx) unsettledPoints() (map[int64]unsettledSum, error) {
	h := t.s.hot
	h.mu.Lock()
	sums := h.unsettled
	h.mu.Unlock()
	if sums != nil {
		return sums, nil
	}
	sums = map[int64]unsettledSum{}
	if err := t.queryEach(`SELECT member_key, group_key, SUM(delta) FROM points_ledger
		WHERE id > (SELECT through FROM points_settled) GROUP BY member_key`, nil, func(rows rowScanner) error {
		var m int64
		var u unsettledSum
		if err := rows.Scan(&m, &u.group, &u.delta); err != nil {
			return err
		}
		sums[m] = u
		return nil
	}); err != nil {
		return nil, fmt.Errorf("sum the points not settled yet: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unsettled = sums
	// Loaded inside a savepoint, the sums include what the savepoint wrote: should it be
	// rolled back, they are summed again.
	t.onUndo(func(h *hotCache) { h.unsettled = nil })
	return sums, nil
}

// noteUnsettled counts entries just written to the ledger in the unsettled sums, if they
// are loaded (if not, they will be read from the ledger, which has them), under one lock
// for a whole flush, and marks the transaction as one that wrote points.
func (t *Tx) noteUnsettled(entries ...PointsEntry) {
	t.wroteLedger = true
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.unsettled == nil {
		return
	}
	for _, e := range entries {
		u := h.unsettled[e.MemberKey]
		setEntry(t, h.unsettled, e.MemberKey, unsettledSum{group: e.GroupKey, delta: u.delta + e.Delta}, false)
	}
}

// settlePoints adds the ledger's entries past the mark to points_balances and moves the
// mark to the last entry, if at least min entries are waiting. Run outside any savepoint
// (Update, just before the commit; Close), so it commits or rolls back with the whole
// transaction; balances read before and after it are the same.
func (t *Tx) settlePoints(min int64) error {
	var through, last int64
	if err := t.queryRow(`SELECT through, (SELECT COALESCE(MAX(id), 0) FROM points_ledger) FROM points_settled`).
		Scan(&through, &last); err != nil {
		return fmt.Errorf("read how far points are settled: %w", err)
	}
	if last-through < min || last <= through {
		return nil
	}
	if _, err := t.exec(`INSERT INTO points_balances(member_key, group_key, balance)
		SELECT member_key, group_key, SUM(delta) FROM points_ledger WHERE id > ? AND id <= ? GROUP BY member_key
		ON CONFLICT(member_key) DO UPDATE SET balance = balance + excluded.balance`, through, last); err != nil {
		return fmt.Errorf("settle points balances: %w", err)
	}
	if _, err := t.exec(`UPDATE points_settled SET through = ?`, last); err != nil {
		return fmt.Errorf("settle points balances: %w", err)
	}
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unsettled = map[int64]unsettledSum{}
	return nil
}

// SettlePoints brings points_balances up to date with the ledger now, whatever the tail's
// length: Close does it, so a database left by a clean stop is settled throughout.
func (s *Store) SettlePoints(ctx context.Context) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.settlePoints(1) })
}
