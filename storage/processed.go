package storage

import (
	"database/sql"
	"fmt"
	"hash/maphash"
	"time"
)

// Processed message ids make a replayed message a no-op. Every message asks whether its id
// is new and records it; as an INSERT OR IGNORE per message that was a tenth of the
// engine's time (docs/PERFORMANCE.md ## engine). Almost every id is new, so:
//
//   - seenFilter, a Bloom filter of every id in the table, answers "certainly new" without
//     a query. Only when it says "maybe" (an id really seen, or a ~1% false positive) is
//     the table read.
//   - New ids are written with the transaction's other pending rows, in multi-row
//     statements just before it commits; a second copy inside the same transaction is
//     caught by the pending set.
//
// The filter only has to hold a superset of the table: an id recorded by a transaction or
// savepoint that rolled back, or pruned by retention, costs at most a query. When the ids
// added since it was built exceed its capacity it is rebuilt from the table, which also
// forgets the pruned ones.

// seenFilter is a Bloom filter over (group, message id): ~1% false positives at capacity.
type seenFilter struct {
	seed     maphash.Seed
	bits     []uint64
	capacity int // ids it was sized for
	added    int // ids added since it was built
}

const (
	seenHashes      = 7  // k for ~1% false positives at 10 bits an id
	seenBitsPerID   = 10 // m/n
	seenMinCapacity = 1 << 16
)

func newSeenFilter(ids int) *seenFilter {
	capacity := max(2*ids, seenMinCapacity)
	words := (capacity*seenBitsPerID + 63) / 64
	return &seenFilter{seed: maphash.MakeSeed(), bits: make([]uint64, words), capacity: capacity}
}

func (f *seenFilter) hashes(group int64, id string) (h1, h2 uint64) {
	return split(withGroup(maphash.String(f.seed, id), group))
}

func (f *seenFilter) hashesBytes(group int64, id []byte) (h1, h2 uint64) {
	return split(withGroup(maphash.Bytes(f.seed, id), group))
}

// withGroup folds the group into an id's hash (the same id in two groups is two messages)
// with splitmix64's finaliser, so every bit of both reaches every bit of the result.
func withGroup(v uint64, group int64) uint64 {
	v ^= uint64(group) * 0x9e3779b97f4a7c15
	v = (v ^ v>>30) * 0xbf58476d1ce4e5b9
	v = (v ^ v>>27) * 0x94d049bb133111eb
	return v ^ v>>31
}

// split derives k probes by double hashing (Kirsch–Mitzenmacher) from the two halves of
// one 64-bit hash.
func split(v uint64) (h1, h2 uint64) { return v, (v>>32 | v<<32) | 1 }

func (f *seenFilter) add(group int64, id string) { f.set(f.hashes(group, id)) }

func (f *seenFilter) set(h1, h2 uint64) {
	m := uint64(len(f.bits) * 64)
	for i := range uint64(seenHashes) {
		b := (h1 + i*h2) % m
		f.bits[b/64] |= 1 << (b % 64)
	}
	f.added++
}

func (f *seenFilter) mayContain(group int64, id string) bool {
	h1, h2 := f.hashes(group, id)
	m := uint64(len(f.bits) * 64)
	for i := range uint64(seenHashes) {
		b := (h1 + i*h2) % m
		if f.bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

func (f *seenFilter) full() bool { return f.added > f.capacity }

type processedKey struct {
	group int64
	id    string
}

type processedRow struct {
	key processedKey
	at  int64 // Unix ms
}

// MarkProcessed remembers a platform message id; it reports false when the id was already
// processed, which makes a replayed message a no-op. The row is written before the
// transaction commits, with the event's other changes.
func (t *Tx) MarkProcessed(groupKey int64, msgID string, at time.Time) (fresh bool, err error) {
	k := processedKey{groupKey, msgID}
	p := &t.pending
	if _, dup := p.processedSet[k]; dup {
		return false, nil
	}
	f, err := t.seenFilter()
	if err != nil {
		return false, fmt.Errorf("record message id %q: %w", msgID, err)
	}
	if f.mayContain(groupKey, msgID) {
		var seen bool
		if err := t.queryRow(`SELECT EXISTS(SELECT 1 FROM processed WHERE group_key = ? AND msg_id = ?)`, groupKey, msgID).Scan(&seen); err != nil {
			return false, fmt.Errorf("look up message id %q: %w", msgID, err)
		}
		if seen {
			return false, nil
		}
	}
	t.s.hot.mu.Lock()
	f.add(groupKey, msgID)
	t.s.hot.mu.Unlock()
	if p.processedSet == nil {
		p.processedSet = map[processedKey]struct{}{}
	}
	p.processedSet[k] = struct{}{}
	enqueue(t, processedQueue, processedRow{k, ms(at)})
	return true, nil
}

// processedQueue: every message's id (queue.go). The Tx keeps the queued keys
// (processedSet) so a replay inside the batch is found without the table.
var processedQueue = &queueKind[processedRow]{id: qProcessed, name: "processed", write: (*Tx).flushProcessed,
	dropped: func(t *Tx, _, dropped []processedRow) {
		for _, r := range dropped {
			delete(t.pending.processedSet, r.key)
		}
	}}

// seenFilter returns the store's filter, building it from the table on first use and when
// it has filled up.
func (t *Tx) seenFilter() (*seenFilter, error) {
	h := t.s.hot
	h.mu.Lock()
	f := h.seen
	h.mu.Unlock()
	if f != nil && !f.full() {
		return f, nil
	}
	// The table must hold this transaction's new ids before it is read.
	if err := t.flushPending(); err != nil {
		return nil, err
	}
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM processed`).Scan(&n); err != nil {
		return nil, fmt.Errorf("count processed message ids: %w", err)
	}
	f = newSeenFilter(n)
	if err := t.queryEach(`SELECT group_key, msg_id FROM processed`, nil, func(rows rowScanner) error {
		var g int64
		var id sql.RawBytes // no string per id: the table holds a week of them
		if err := rows.Scan(&g, &id); err != nil {
			return err
		}
		f.set(f.hashesBytes(g, id))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read processed message ids: %w", err)
	}
	f.added = n
	h.mu.Lock()
	h.seen = f
	h.mu.Unlock()
	return f, nil
}

func (t *Tx) flushProcessed(rows []processedRow) error {
	args := make([]any, 0, 3*len(rows))
	for _, r := range rows {
		args = append(args, r.key.group, r.key.id, r.at)
	}
	// OR IGNORE only as a guard: MarkProcessed has made sure every id is new.
	if err := t.execRows(`INSERT OR IGNORE INTO processed(group_key, msg_id, time) VALUES `, "(?,?,?)", "", 3, args); err != nil {
		return fmt.Errorf("record processed message ids: %w", err)
	}
	return nil
}
