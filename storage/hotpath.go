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

// schemaLedgerByDay reshapes the ledger's indexes for the per-message path. The daily cap
// on message points reads every member's sum for a day in one query (hot.go) through
// points_ledger_by_day; new entries go to its end (today), so keeping it costs little. The
// (member_key, day, reason, delta) index existed for that sum, one member at a time; only
// a member's history (PointsEntries: newest first) still reads by member, and an index on
// member_key alone serves it in order (SQLite appends the rowid to every index) with a
// smaller entry to insert for every paid message.
const schemaLedgerByDay = `
CREATE INDEX points_ledger_by_day ON points_ledger(day, reason);
DROP INDEX points_ledger_by_member_day;
CREATE INDEX points_ledger_by_member ON points_ledger(member_key);
`

// schemaLedgerNoMemberIndex: the ledger's index by member was one random page written per
// paid message (members are spread over the whole index), for a query only tests made.
const schemaLedgerNoMemberIndex = `
DROP INDEX points_ledger_by_member;
`

// schemaMemberSpoke moves last_spoke out of members. Every message sets its sender's; in
// members that dirtied the page of a ~100-byte row, and a batch's senders are spread over
// most of the table's pages. member_spoke's rows are 12 bytes: the same senders touch a
// fifth as many pages (docs/PERFORMANCE.md ## load).
const schemaMemberSpoke = `
CREATE TABLE member_spoke (
	member_key INTEGER PRIMARY KEY REFERENCES members(key),
	at         INTEGER NOT NULL
);
INSERT INTO member_spoke(member_key, at) SELECT key, last_spoke FROM members WHERE last_spoke IS NOT NULL;
ALTER TABLE members DROP COLUMN last_spoke;
`

// schemaProcessedByMsg keys processed by (msg_id, group_key) instead of (group_key,
// msg_id). Message ids grow with time, so every new row now goes to the end of one B-tree
// instead of into the middle of each group's run: one insertion point where there were as
// many as groups, which SQLite inserts at without rebalancing the pages around it, and a
// batch dirties a few pages at the end instead of one per group. The lookup names both
// columns, so either order serves it (docs/PERFORMANCE.md ## load).
const schemaProcessedByMsg = `
CREATE TABLE processed_by_msg (
	msg_id    TEXT NOT NULL,
	group_key INTEGER NOT NULL,
	time      INTEGER NOT NULL,
	PRIMARY KEY (msg_id, group_key)
) WITHOUT ROWID;
INSERT INTO processed_by_msg(msg_id, group_key, time) SELECT msg_id, group_key, time FROM processed;
DROP TABLE processed;
ALTER TABLE processed_by_msg RENAME TO processed;
CREATE INDEX processed_by_time ON processed(time);
`
