package storage

import "database/sql"

// cacheRules says, for every table, what the hot cache (hot.go) keeps of it and so which
// functions may write it: each listed function keeps the cache true for the write it
// makes (most through the write helpers below, which pair the statement with what the
// cache must be told). A table with no cache names no writers: any statement may write it.
//
// Two tests hold the rules: every table of the schema has an entry here (a new table is a
// decision, not an accident: TestEveryTableHasACacheRule), and every SQL literal in the
// package that writes a table with writers sits inside one of them
// (TestCachedTablesWrittenOnlyByTheirWriters). doc.go says how to add a table.
var cacheRules = map[string]cacheRule{
	// Cached: member rows (with member_spoke's time) and rosters (who is in a group).
	"members": {caches: "member rows, rosters",
		insert: []string{"InsertMember"}, // caches the new row, adds it to its roster
		write: []string{
			"execMember",       // uncaches the row
			"execMembership",   // a join or a leave: uncaches the row, drops the rosters
			"execGroupMembers", // uncaches the group's rows
		}},
	"member_spoke": {caches: "member rows (last_spoke)", queued: true,
		insert: []string{
			"InsertMember", // the row it caches has the time
			"flushSpoke",   // the queue: SetLastSpoke updated the cached row when it queued
		},
		write: none},

	// The may-have sets: an insert adds the member (execMayHave). An update or a delete
	// leaves a key that may no longer have a row, which costs a query, never a wrong answer.
	"removals":    {caches: "may-have set: pending removal", insert: []string{"execMayHave"}},
	"mutes":       {caches: "may-have set: mute", insert: []string{"execMayHave"}},
	"screening":   {caches: "may-have set: pending screening", insert: []string{"execMayHave"}},
	"silent_step": {caches: "may-have set: silent step", insert: []string{"execMayHave"}},

	// Points: balances, day sums and unsettled sums move with every entry.
	"points_ledger": {caches: "balances, day sums, unsettled sums", queued: true,
		insert: []string{
			"AddPoints",       // credited: moves the cached balance and day sums
			"flushLedgerRows", // the queue: AddNewPoints credited when it queued; a replay drops the points caches
		},
		write: none}, // append-only
	"points_balances": {caches: "balances (a balance is its row plus the unsettled tail)",
		insert: []string{"settlePoints"}, write: []string{"settlePoints"}},
	"points_settled": {caches: "unsettled sums (the mark)", insert: none, write: []string{"settlePoints"}},

	// Queued, not cached: a read of these flushes the queue first (TopActive, seenFilter).
	"activity": {queued: true, insert: []string{"flushActivity"}, write: none},
	"processed": {caches: "processed-id filter (a superset: pruning needs no word)", queued: true,
		insert: []string{"flushProcessed"}, write: []string{"PruneProcessed"}},

	// Nothing cached: any statement may write them.
	"audit": {}, "auto_reply_sent": {}, "chain_entries": {}, "chains": {}, "checkins": {},
	"groups": {}, "invites": {}, "jobs": {}, "lotteries": {}, "lottery_entries": {},
	"newcomers": {}, "notices": {}, "outbox": {}, "platform_notices": {}, "platform_roles": {},
	"poll_votes": {}, "polls": {}, "post_rotation": {}, "promotions": {},
	"schema_migrations": {}, "strikes": {}, "thanks": {}, "whitelist": {},
	// The classifier's review queue, labelled examples and learned weights (migration 18):
	// the moderation module keeps its own model in memory and reloads it from these.
	"reviews": {}, "labelled_examples": {}, "classifier_weights": {},
	// The blocklist (migration 19): read when a member joins, never cached.
	"blocklist": {}, "blocklist_hits": {},
}

// none: no function may write the table that way (outside migrations).
var none = []string{}

type cacheRule struct {
	caches string // what the hot cache keeps of the table; "" nothing
	// insert and write (UPDATE, DELETE) list the only functions whose SQL may change the
	// table that way; nil: any.
	insert, write []string
	// queued: the table has a write queue (queue.go), so a read of it flushes first.
	queued bool
}

// The write helpers: a statement and what the cache must be told of it, in one call, so no
// caller has to remember the second half.

// execMayHave runs an insert into the table of a may-have set and notes the member in the
// set: the next mayHave asks the table instead of answering no.
func (t *Tx) execMayHave(set int, member int64, query string, args ...any) (sql.Result, error) {
	res, err := t.exec(query, args...)
	t.mayNowHave(set, member) // even on error: a superset is never wrong
	return res, err
}

// execMember runs an update of one member's row and uncaches it.
func (t *Tx) execMember(key int64, query string, args ...any) (sql.Result, error) {
	res, err := t.exec(query, args...)
	t.uncacheMember(key)
	return res, err
}

// execMembership runs an update that changes whether a member is in its group (a join, a
// leave): the row and every roster are read again.
func (t *Tx) execMembership(key int64, query string, args ...any) (sql.Result, error) {
	res, err := t.exec(query, args...)
	t.uncacheMember(key)
	t.dropRosters()
	return res, err
}

// execGroupMembers runs an update of a group's member rows (not of who is in it) and
// uncaches them.
func (t *Tx) execGroupMembers(groupKey int64, query string, args ...any) (sql.Result, error) {
	res, err := t.exec(query, args...)
	t.uncacheGroupMembers(groupKey)
	return res, err
}
