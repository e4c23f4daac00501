package storage

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Queued writes. A per-message write that every message makes (its activity counter, its
// last_spoke, its processed id, its points) is not run as a statement of its own: the
// transaction queues the row and writes the queue in multi-row statements just before it
// commits, or before a read that needs the table to have it (hot.go).
//
// Each kind of queued row is one queueKind value, registered in queueKinds: the flush
// statement for its rows and, if it keeps an index beside them, how to bring that index
// back after a savepoint rollback or a flush. Savepoint marks, rollback and flush iterate
// over queueKinds; nothing else needs to know which kinds exist. To add one, see doc.go.
//
// The rules every kind keeps by being in the registry:
//   - a savepoint remembers, per kind, how many rows were queued and how many written;
//   - a savepoint rolled back drops the rows queued since, and the rows written since are
//     undone by the database, so they count as queued again;
//   - rows queued before the outermost savepoint (events already released) are written
//     outside it when a read needs them (flushSettled), so they cost no sub-journal;
//   - the whole transaction rolled back takes everything with it (the Tx is dropped).

// Queue ids: the index of each kind in queueKinds and in a Tx's queues. The order is the
// order of writing: the ledger goes last, as AddPoints writes it alone before a direct
// entry so ledger ids follow the order the entries were made.
const (
	qActivity = iota
	qSpoke
	qProcessed
	qLedger
	numQueues
)

// queueKinds is the registry. A test checks that every id has its kind.
var queueKinds = [numQueues]anyKind{
	qActivity:  activityQueue,
	qSpoke:     spokeQueue,
	qProcessed: processedQueue,
	qLedger:    ledgerQueue,
}

// queueKind describes one kind of queued row R.
type queueKind[R any] struct {
	id   int
	name string // for errors and tests
	// write runs the flush statement for rows (never empty), in the transaction.
	write func(t *Tx, rows []R) error
	// dropped, if set, is told which rows a savepoint rollback took back (kept are the
	// rows still queued): for an index the Tx keeps over the rows.
	dropped func(t *Tx, kept, dropped []R)
	// unwritten, if set, is told the rows still to write each time that changes (after a
	// flush and after a rollback): for sums the Tx keeps over them.
	unwritten func(t *Tx, rows []R)
}

// anyKind is a queueKind of any row type: what the registry holds.
type anyKind interface {
	kindID() int
	kindName() string
}

func (k *queueKind[R]) kindID() int      { return k.id }
func (k *queueKind[R]) kindName() string { return k.name }

// queue is one transaction's rows of one kind; rows before written are in the table.
type queue[R any] struct {
	kind    *queueKind[R]
	rows    []R
	written int
}

// anyQueue is what the savepoint and flush code see of a queue.
type anyQueue interface {
	queued() int
	done() int
	// writeTo writes the rows not written yet up to end.
	writeTo(t *Tx, end int) error
	// rewind returns to a savepoint's counts.
	rewind(t *Tx, queued, written int)
}

func (q *queue[R]) queued() int { return len(q.rows) }
func (q *queue[R]) done() int   { return q.written }

func (q *queue[R]) writeTo(t *Tx, end int) error {
	if end <= q.written {
		return nil
	}
	if err := q.kind.write(t, q.rows[q.written:end]); err != nil {
		return err
	}
	q.written = end
	if q.kind.unwritten != nil {
		q.kind.unwritten(t, q.rows[q.written:])
	}
	return nil
}

func (q *queue[R]) rewind(t *Tx, queued, written int) {
	if q.kind.dropped != nil && queued < len(q.rows) {
		q.kind.dropped(t, q.rows[:queued], q.rows[queued:])
	}
	changed := queued != len(q.rows) || written != q.written
	clear(q.rows[queued:]) // no references kept past the end
	q.rows = q.rows[:queued]
	q.written = written
	if changed && q.kind.unwritten != nil {
		q.kind.unwritten(t, q.rows[q.written:])
	}
}

// enqueue queues a row of kind k in the transaction.
func enqueue[R any](t *Tx, k *queueKind[R], r R) {
	q := queueOf(t, k)
	q.rows = append(q.rows, r)
}

// queueOf is the transaction's queue of kind k, made on first use.
func queueOf[R any](t *Tx, k *queueKind[R]) *queue[R] {
	if q := t.pending.queues[k.id]; q != nil {
		return q.(*queue[R])
	}
	q := &queue[R]{kind: k}
	t.pending.queues[k.id] = q
	return q
}

// pendingWrites are one transaction's queued rows. Entries stay until the transaction
// ends: a savepoint rolled back after a flush takes the flushed rows with it, and they are
// written again.
type pendingWrites struct {
	queues [numQueues]anyQueue // nil: nothing of that kind queued
	marks  []pendingMark       // one per open savepoint

	// Indexes kept over the queued rows by their kinds' hooks.
	latest          map[int64]time.Time       // spoke: last queued time per member, for reads
	processedSet    map[processedKey]struct{} // processed: the queued keys, for MarkProcessed
	unflushedPoints map[int64]int64           // ledger: unwritten deltas per member, for Balance
}

// counts are each queue's rows, queued or written.
type counts [numQueues]int

type pendingMark struct {
	queued, written counts
	undo            int
	sql             bool // its SQL SAVEPOINT was issued (savepoint.go)
}

func (p *pendingWrites) counts() (queued, written counts) {
	for i, q := range p.queues {
		if q != nil {
			queued[i], written[i] = q.queued(), q.done()
		}
	}
	return queued, written
}

// dirty reports whether any of the queues in which has rows not written yet.
func (p *pendingWrites) dirty(which []int) bool {
	for _, i := range which {
		if q := p.queues[i]; q != nil && q.done() < q.queued() {
			return true
		}
	}
	return false
}

// allQueues lists every queue id, for a flush of them all.
var allQueues = func() []int {
	ids := make([]int, numQueues)
	for i := range ids {
		ids[i] = i
	}
	return ids
}()

// markSavepoint notes where a savepoint began.
func (t *Tx) markSavepoint() {
	p := &t.pending
	queued, written := p.counts()
	p.marks = append(p.marks, pendingMark{queued: queued, written: written, undo: len(t.undo)})
}

// releaseSavepoint keeps what the savepoint did, and reports whether it issued an SQL
// savepoint to release. Once no savepoint is open the undo log is not needed: a whole
// transaction rolled back resets the cache.
func (t *Tx) releaseSavepoint() (opened bool) {
	p := &t.pending
	opened = p.marks[len(p.marks)-1].sql
	p.marks = p.marks[:len(p.marks)-1]
	if len(p.marks) == 0 {
		clear(t.undo)
		t.undo = t.undo[:0]
	}
	return opened
}

// rollbackSavepoint returns to the innermost savepoint: what was queued since is dropped,
// what was written since is undone by the database (so it is queued again), and the
// cache is put back as it was. It reports whether the savepoint issued an SQL savepoint,
// which the caller rolls back.
func (t *Tx) rollbackSavepoint() (opened bool) {
	p := &t.pending
	m := p.marks[len(p.marks)-1]
	opened = m.sql
	t.undoTo(m.undo)
	p.marks = p.marks[:len(p.marks)-1]
	for i, q := range p.queues {
		if q != nil {
			q.rewind(t, m.queued[i], m.written[i])
		}
	}
	return opened
}

// flushPending writes every queued row not written yet.
func (t *Tx) flushPending() error { return t.flushQueues(allQueues) }

// flushQueues writes the rows not written yet of the queues in which.
func (t *Tx) flushQueues(which []int) error {
	p := &t.pending
	if !p.dirty(which) {
		return nil
	}
	if err := t.flushSettled(which); err != nil {
		return err
	}
	queued, _ := p.counts()
	return t.flushTo(which, queued)
}

// flushTo writes the rows not written yet of the queues in which, up to end.
func (t *Tx) flushTo(which []int, end counts) error {
	for _, i := range which {
		if q := t.pending.queues[i]; q != nil {
			if err := q.writeTo(t, end[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// flushSettled writes the rows of the queues in which queued before the outermost open
// savepoint, when no SQL savepoint has been issued yet: the rows of events whose
// savepoints are already released, which only a rollback of the whole transaction can
// undo. Written outside the savepoint, they cost no sub-journal: SQLite copies every page
// an open savepoint first changes, and a read that needs the table written (发言榜
// mid-batch, a check-in's ledger) would otherwise copy most of the batch's pages to write
// a batch's worth of counters (docs/PERFORMANCE.md ## load). The marks then count those
// rows as written, so rolling a savepoint back does not queue them again (activity counts
// would be added twice). Should the writing fail, the transaction is marked broken: what
// was written outside the savepoints can no longer be undone in part.
func (t *Tx) flushSettled(which []int) error {
	p := &t.pending
	if len(p.marks) == 0 || p.marks[0].sql {
		return nil
	}
	t.outsideSavepoints = true
	written := false
	defer func() {
		t.outsideSavepoints = false
		if !written && t.broken == nil { // an error, or a panic on its way up
			t.broken = errors.New("writing the batch's queued rows did not finish")
		}
	}()
	if err := t.flushTo(which, p.marks[0].queued); err != nil {
		return fmt.Errorf("write the batch's queued rows: %w", err)
	}
	_, done := p.counts()
	for i := range p.marks {
		m := &p.marks[i]
		for q := range m.written {
			m.written[q] = max(m.written[q], done[q])
		}
	}
	written = true
	return nil
}

// Rows per multi-row statement: the largest first, then smaller ones for the rest, so
// only four statement texts per table are ever prepared.
var flushChunks = [...]int{64, 16, 4, 1}

// execRows runs prefix + rows + suffix over args (cols values per row), in chunks of
// flushChunks rows: the body of most flush statements.
func (t *Tx) execRows(prefix, row, suffix string, cols int, args []any) error {
	_, err := t.execRowsCount(prefix, row, suffix, cols, args)
	return err
}

// execRowsCount is execRows that also returns the number of rows changed.
func (t *Tx) execRowsCount(prefix, row, suffix string, cols int, args []any) (int64, error) {
	var changed int64
	for len(args) > 0 {
		n := len(args) / cols
		for _, c := range flushChunks {
			if c <= n {
				n = c
				break
			}
		}
		q := prefix + strings.TrimSuffix(strings.Repeat(row+",", n), ",") + suffix
		res, err := t.exec(q, args[:n*cols]...)
		if err != nil {
			return changed, err
		}
		c, err := res.RowsAffected()
		if err != nil {
			return changed, err
		}
		changed += c
		args = args[n*cols:]
	}
	return changed, nil
}
