// Package storage keeps qunbot's state in one SQLite file: groups, members (our own keys),
// the audit log, the transactional outbox, and each feature's tables. Every change a member
// would notice is written in one transaction together with its audit entry and the messages
// it causes, before anything is sent.
//
// One process writes a database: Open holds "<db>.lock" until Close, and refuses a file
// another process holds, naming its PID (lock.go). The per-message path keeps caches
// across transactions and queues per-message rows until the commit (hot.go, queue.go);
// what keeps them true is written down in code, as the checklists below say.
//
// # Adding a table
//
//  1. A migration in migrations.go, with the number your brief gives you.
//  2. An entry in cacheRules (rules.go). If nothing caches the table, an empty entry
//     ("blocklist": {}) — most tables are this. TestEveryTableHasACacheRule fails until
//     the entry exists.
//  3. Reads close their rows before the next statement (one connection: store.go); use
//     queryEach / queryList (query.go) rather than a rows loop of your own.
//
// # Adding a cached read
//
//  1. Keep the cached value in hotCache (hot.go) and reset it in resetLocked: a rolled-back
//     transaction and an outside writer (data_version) reset it.
//  2. Change it only through setEntry / evict / onUndo, so a savepoint rolled back puts it
//     back (the undo log).
//  3. In cacheRules, name what the cache keeps of every table it reads (caches) and the
//     only functions that may write those tables (insert, write). Give the statement and its
//     cache update one function: a write helper like execMayHave or execMember (rules.go)
//     when the update is the same for every caller. TestCachedTablesWrittenOnlyByTheirWriters
//     then fails for any other SQL that writes the table.
//  4. Extend the differential test (differential_test.go): its plain-SQL model reads the
//     same thing from the tables, and every random sequence must agree.
//  5. Measure it (docs/PERFORMANCE.md ## engine). A real account carries a few messages a
//     second and the bar is 10,000 msg/s: a cache that does not pay for its rules goes.
//
// # Adding a per-message queued write
//
// Only for a write every ordinary message makes; anything rarer is a plain t.exec.
//
//  1. A queue id in the const block of queue.go, before numQueues (the order of writing).
//
//  2. Its kind beside the method that queues it, and the kind in queueKinds:
//
//     var thanksQueue = &queueKind[thanksRow]{id: qThanks, name: "thanks", write: (*Tx).flushThanks}
//
//     write gets the rows not written yet (never none) and runs the multi-row statement
//     (execRows). If the Tx keeps an index over the queued rows (a set of keys, sums),
//     dropped and unwritten keep it true after a savepoint rollback and a flush.
//
//  3. The method that records the write calls enqueue(t, thanksQueue, row).
//
//  4. Every read of the table first calls t.flushPending(): reads see the queue.
//
//  5. In cacheRules: queued: true, and the flush function as the table's insert writer.
//
// Savepoint marks, rollback, the flush before commit and the settled-rows flush iterate
// over queueKinds: nothing else changes. TestQueueRegistryComplete checks the registry.
package storage
