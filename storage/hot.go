package storage

import (
	"fmt"
	"maps"
	"sync"
	"time"
)

// The per-message path. Every chat message reads its sender's member row, asks four small
// tables whether the sender is in them (pending removal, mute, open screening, silent-member
// step: the sets below) and the points rules (balance, today's message points), and writes
// its sender's activity counter, last_spoke, processed id and message points. As single
// statements that is about fourteen round trips through database/sql and cgo per message,
// which bounded throughput before anything else did (docs/PERFORMANCE.md ## engine). Two
// things take most of them away without changing what is committed or when:
//
//   - hotCache keeps, across transactions, what those reads return: member rows, balances,
//     today's message points, rosters, unsettled sums, and for each small table the
//     set of member keys that may have a row (nobody in the set: no query). It always
//     describes the state of the open transaction. A savepoint rolled back replays the undo
//     log of the changes made inside it (onUndo); a whole transaction rolled back, or
//     another connection's commit (PRAGMA data_version, lock.go), resets it, and it is
//     reloaded lazily from the database.
//   - the write queues (queue.go) collect each transaction's per-message rows and write
//     them in multi-row statements just before it commits, or before a read that needs
//     them. They commit with the transaction, exactly as before; reads inside the
//     transaction see them (members through an overlay, the rest by writing them first).
//
// Which write must tell which cache what is listed per table in cacheRules (rules.go);
// doc.go has the checklist for adding a table, a cached read or a queued write.
//
// Only one unit of work runs at a time (Store.txMu, store.go), so the cache has one user at
// a time, whichever goroutine it is on (the loop, the outbox, the dashboard); its mutex
// keeps that true for any read made outside a unit of work.

// Small tables whose membership the hot path asks about for every message.
const (
	setPendingRemoval = iota
	setMute
	setPendingScreening
	setSilentStep
	numSets
)

// setQueries load every member key that may have a row in each small table.
var setQueries = [numSets]string{
	setPendingRemoval:   `SELECT member_key FROM removals WHERE status = 'pending'`,
	setMute:             `SELECT member_key FROM mutes`,
	setPendingScreening: `SELECT member_key FROM screening WHERE status = 'pending'`,
	setSilentStep:       `SELECT member_key FROM silent_step`,
}

// hotCacheLimit bounds the member and balance maps: past it a map is emptied and refilled
// on demand, so a bot with years of members never holds them all.
const hotCacheLimit = 200_000

// earnedDays is how many days of message-points sums are kept (today, and yesterday for
// events that arrive around midnight).
const earnedDays = 2

type dayReason struct{ day, reason string }

type hotCache struct {
	mu       sync.Mutex
	members  map[int64]Member
	balances map[int64]int64
	// earned holds, for a few (day, reason) pairs, every member's sum of positive entries:
	// loaded whole from the ledger on first use, then kept up to date by AddPoints, so a
	// member without an entry earned nothing that day.
	earned map[dayReason]map[int64]int64
	sets   [numSets]map[int64]struct{} // nil: not loaded
	// rosters holds, per group, the keys of the members still in it, ascending: what the
	// daily silent-member check walks and the reports and posts count. Loaded on first use;
	// an inserted member is added at the end, a join or a leave drops them all.
	rosters map[int64][]int64
	// unsettled holds, per member, the sum of the ledger entries past the settled mark:
	// what a balance adds to its points_balances row (settle.go). nil: not loaded.
	unsettled map[int64]unsettledSum
	// seen holds every processed message id (processed.go). Unlike the rest it survives a
	// reset: it only has to be a superset of the table, and rebuilding it reads the table.
	seen *seenFilter
}

func newHotCache() *hotCache {
	h := &hotCache{}
	h.reset()
	return h
}

// reset forgets everything: the database is the truth again. Used when a whole
// transaction is rolled back; a savepoint rolled back replays its undo log instead.
func (h *hotCache) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.resetLocked()
}

// forget is reset and also the processed-id filter: another writer may have added ids.
func (h *hotCache) forget() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.resetLocked()
	h.seen = nil
}

func (h *hotCache) resetLocked() {
	h.members = map[int64]Member{}
	h.balances = map[int64]int64{}
	h.earned = map[dayReason]map[int64]int64{}
	h.sets = [numSets]map[int64]struct{}{}
	h.rosters = map[int64][]int64{}
	h.unsettled = nil
}

// Every change below is made through the transaction, which logs how to undo it while a
// savepoint is open: a savepoint rolled back (a command answered with its usage line, a
// failing event) puts the cache back as it was instead of dropping it.

// Changes made while writing rows outside the savepoints (flushSettled) are not logged:
// rolling the savepoint back leaves those rows, so the cache must keep describing them.
func (t *Tx) onUndo(fn func(h *hotCache)) {
	if len(t.pending.marks) > 0 && !t.outsideSavepoints {
		t.undo = append(t.undo, fn)
	}
}

// undoTo replays the undo log back to length n, newest first.
func (t *Tx) undoTo(n int) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(t.undo) - 1; i >= n; i-- {
		t.undo[i](h)
	}
	t.undo = t.undo[:n]
}

// setEntry sets m[k] = v (or deletes k when del) and logs the undo.
func setEntry[K comparable, V any](t *Tx, m map[K]V, k K, v V, del bool) {
	prev, had := m[k]
	if del {
		delete(m, k)
	} else {
		m[k] = v
	}
	t.onUndo(func(*hotCache) {
		if had {
			m[k] = prev
		} else {
			delete(m, k)
		}
	})
}

func (t *Tx) cachedMember(key int64) (Member, bool) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.members[key]
	return m, ok
}

func (t *Tx) cacheMember(m Member) {
	// Exactly what a read from the database gives (milliseconds, local zone), so a cached
	// row and a read row compare equal.
	m.FirstSeen = fromMS(ms(m.FirstSeen))
	m.JoinedAt, m.LeftAt, m.LastSpoke = roundMS(m.JoinedAt), roundMS(m.LeftAt), roundMS(m.LastSpoke)
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.members) >= hotCacheLimit {
		evict(t, h.members)
	}
	setEntry(t, h.members, m.Key, m, false)
}

func (t *Tx) uncacheMember(key int64) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	setEntry(t, h.members, key, Member{}, true)
}

func (t *Tx) uncacheGroupMembers(groupKey int64) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, m := range h.members {
		if m.GroupKey == groupKey {
			setEntry(t, h.members, k, Member{}, true)
		}
	}
}

// evict empties a full map; an undo puts the entries back.
func evict[K comparable, V any](t *Tx, m map[K]V) {
	if len(t.pending.marks) > 0 && !t.outsideSavepoints {
		saved := maps.Clone(m)
		t.onUndo(func(*hotCache) { maps.Copy(m, saved) })
	}
	clear(m)
}

// cacheSpoke records last_spoke on a cached row (the write itself is pending in the Tx).
func (t *Tx) cacheSpoke(key int64, at time.Time) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.members[key]
	if !ok {
		return
	}
	// Every message comes here: the undo keeps only the old time, not a copy of the row.
	prev := m.LastSpoke
	m.LastSpoke = at
	h.members[key] = m
	members := h.members
	t.onUndo(func(*hotCache) {
		if m, ok := members[key]; ok {
			m.LastSpoke = prev
			members[key] = m
		}
	})
}

func (t *Tx) cachedBalance(member int64) (int64, bool) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.balances[member]
	return b, ok
}

func (t *Tx) cacheBalance(member, balance int64) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.balances) >= hotCacheLimit {
		evict(t, h.balances)
	}
	setEntry(t, h.balances, member, balance, false)
}

// earnedSums returns the (day, reason) sums if they are loaded.
func (t *Tx) earnedSums(k dayReason) (map[int64]int64, bool) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	sums, ok := h.earned[k]
	return sums, ok
}

// cacheEarnedSums installs a day's loaded sums, dropping the oldest day beyond earnedDays.
func (t *Tx) cacheEarnedSums(k dayReason, sums map[int64]int64) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.earned) >= earnedDays {
		var oldest dayReason
		first := true
		for d := range h.earned {
			if first || d.day < oldest.day || (d.day == oldest.day && d.reason < oldest.reason) {
				oldest, first = d, false
			}
		}
		setEntry(t, h.earned, oldest, nil, true)
	}
	setEntry(t, h.earned, k, sums, false)
}

// addEarned adds a positive entry to its day's sums if they are loaded (if not, they will
// be read from the ledger, which has the entry).
func (t *Tx) addEarned(k dayReason, member, delta int64) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	if sums, ok := h.earned[k]; ok {
		setEntry(t, sums, member, sums[member]+delta, false)
	}
}

// dropPointsCache forgets every cached balance, day sum and unsettled sum (they
// are read again from the tables), for when the ledger did not take what the cache
// already counted: only the ledger knows which entries it took.
func (t *Tx) dropPointsCache() {
	t.wroteLedger = true // it took some, perhaps
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	evict(t, h.balances)
	evict(t, h.earned)
	prev := h.unsettled
	h.unsettled = nil
	t.onUndo(func(h *hotCache) { h.unsettled = prev })
}

// roster returns the keys of the group's members still in it, ascending. The slice is the
// cache's own: read it, never change it.
func (t *Tx) roster(groupKey int64) ([]int64, error) {
	h := t.s.hot
	h.mu.Lock()
	keys, ok := h.rosters[groupKey]
	h.mu.Unlock()
	if ok {
		return keys, nil
	}
	keys = []int64{}
	if err := t.queryEach(`SELECT key FROM members WHERE group_key = ? AND left_at IS NULL ORDER BY key`, []any{groupKey}, func(rows rowScanner) error {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	}); err != nil {
		return nil, err
	}
	h.mu.Lock()
	setEntry(t, h.rosters, groupKey, keys, false)
	h.mu.Unlock()
	return keys, nil
}

// rosterAdd puts a newly inserted member at the end of its group's roster, if loaded: keys
// only grow, so the end keeps it in order. The old slice stays valid for its length, so a
// savepoint's undo can simply put it back.
func (t *Tx) rosterAdd(m Member) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	keys, ok := h.rosters[m.GroupKey]
	if !ok || !m.InGroup() {
		return
	}
	if n := len(keys); n > 0 && keys[n-1] >= m.Key {
		setEntry(t, h.rosters, m.GroupKey, nil, true) // out of order: read it again
		return
	}
	setEntry(t, h.rosters, m.GroupKey, append(keys, m.Key), false)
}

// dropRosters forgets every roster: a member joined or left.
func (t *Tx) dropRosters() {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	evict(t, h.rosters)
}

// mayHave reports whether the member may have a row in the set's table; false means
// certainly not. The set is loaded on first use.
func (t *Tx) mayHave(set int, member int64) (bool, error) {
	h := t.s.hot
	h.mu.Lock()
	keys := h.sets[set]
	if keys != nil {
		_, ok := keys[member]
		h.mu.Unlock()
		return ok, nil
	}
	h.mu.Unlock()
	keys = map[int64]struct{}{}
	if err := t.queryEach(setQueries[set], nil, func(rows rowScanner) error {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return err
		}
		keys[k] = struct{}{}
		return nil
	}); err != nil {
		return false, err
	}
	h.mu.Lock()
	h.sets[set] = keys
	t.onUndo(func(h *hotCache) { h.sets[set] = nil })
	h.mu.Unlock()
	_, ok := keys[member]
	return ok, nil
}

// mayNowHave notes that the member got a row in the set's table.
func (t *Tx) mayNowHave(set int, member int64) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sets[set] != nil {
		setEntry(t, h.sets[set], member, struct{}{}, false)
	}
}

// hasNoLonger notes that the member's rows in the set's table are gone.
func (t *Tx) hasNoLonger(set int, member int64) {
	h := t.s.hot
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sets[set] != nil {
		setEntry(t, h.sets[set], member, struct{}{}, true)
	}
}

// wrapErr says what was being read, or is nil.
func wrapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// roundMS stores-and-reads a time the way the database does (zero stays zero).
func roundMS(at time.Time) time.Time { return nullMS(toNullMS(at)) }
