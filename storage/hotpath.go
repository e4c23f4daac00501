package storage

// schemaHotPath drops index maintenance from the per-message path. Every message updates
// its sender's activity counter and points balance, each a random page of its table; each
// index over them was one more random page written per message (the write-ahead log grows
// by a page per page touched, and that is what bounds throughput: docs/PERFORMANCE.md
// ## load). activity_by_member served no query. points_balances_rank(group_key, balance)
// moved with every balance change; ranks and leaderboards are asked for by a command now
// and then and scan one group's balances through the group index instead.
const schemaHotPath = `
DROP INDEX activity_by_member;
DROP INDEX points_balances_rank;
CREATE INDEX points_balances_by_group ON points_balances(group_key);
`

// schemaLedgerByDay indexes the ledger by day so that the daily cap on message points can
// read every member's sum for a day in one query instead of one per member (hot.go). New
// entries go to the end of the index (today), so keeping it costs almost nothing.
const schemaLedgerByDay = `CREATE INDEX points_ledger_by_day ON points_ledger(day, reason);`
