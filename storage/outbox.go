package storage

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Outbox kinds.
const (
	OutSend   = "send"   // text to a group
	OutDM     = "dm"     // text to a member (friend) or the owner's file helper
	OutRemove = "remove" // remove a member (only enqueued where the platform can)
)

// OutMessage is one queued action. It names groups and members by our keys, never by
// session ids, so it survives a re-login: the dispatcher resolves ids at delivery time.
type OutMessage struct {
	ID        int64
	Created   time.Time
	Kind      string
	GroupKey  int64
	Target    string // OutDM: "filehelper" or a member key as decimal; OutRemove: member key
	Text      string
	Mentions  []int64 // member keys the text @-mentions
	Attempts  int
	NextTry   time.Time
	LastError string
	// Claimed is when a delivery attempt began and had not finished: set just before the
	// platform is called, cleared with the attempt's result. A message still claimed when
	// it is read again was in flight when the bot stopped: it may have been sent.
	Claimed time.Time
	// Class is ClassPost for the bot's own posts (capped per group and day), "" otherwise.
	Class string
}

// schemaOutboxClaim adds the in-flight mark. A send to the platform and the commit that
// records it cannot be one atomic step; the mark makes the one message that can be caught
// between them known, instead of silently sent twice.
const schemaOutboxClaim = `ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;`

// Enqueue queues a message inside the transaction that caused it: if the transaction
// rolls back, the message was never promised; if it commits, it will be delivered.
func (t *Tx) Enqueue(m OutMessage) (int64, error) {
	mentions, err := json.Marshal(m.Mentions)
	if err != nil {
		return 0, fmt.Errorf("encode mentions: %w", err)
	}
	if m.NextTry.IsZero() {
		m.NextTry = m.Created
	}
	res, err := t.exec(`INSERT INTO outbox(created, kind, group_key, target, text, mentions, next_try, class) VALUES (?,?,?,?,?,?,?,?)`,
		ms(m.Created), m.Kind, nullKey(m.GroupKey), m.Target, m.Text, string(mentions), ms(m.NextTry), m.Class)
	if err != nil {
		return 0, fmt.Errorf("queue %s message: %w", m.Kind, err)
	}
	return res.LastInsertId()
}

// PendingOutbox lists undelivered messages in the order they were queued.
func (t *Tx) PendingOutbox(limit int) ([]OutMessage, error) {
	return t.PendingOutboxUpTo(math.MaxInt64, limit)
}

// PendingOutboxUpTo is PendingOutbox limited to ids up to upTo. The engine delivers after
// each event only what that event and earlier ones queued; reading the whole queue each
// time would read a batch's later replies once per earlier event (quadratic in the batch).
func (t *Tx) PendingOutboxUpTo(upTo int64, limit int) ([]OutMessage, error) {
	var out []OutMessage
	if err := t.queryEach(`SELECT id, created, kind, COALESCE(group_key,0), target, text, mentions, attempts, next_try, error, claimed_at, class
		FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND id <= ? ORDER BY id LIMIT ?`, []any{upTo, limit}, func(rows rowScanner) error {
		var m OutMessage
		var created, next int64
		var mentions string
		var claimed sql.NullInt64
		if err := rows.Scan(&m.ID, &created, &m.Kind, &m.GroupKey, &m.Target, &m.Text, &mentions, &m.Attempts, &next, &m.LastError, &claimed, &m.Class); err != nil {
			return err
		}
		m.Created, m.NextTry, m.Claimed = fromMS(created), fromMS(next), nullMS(claimed)
		if err := json.Unmarshal([]byte(mentions), &m.Mentions); err != nil {
			return fmt.Errorf("decode outbox %d mentions: %w", m.ID, err)
		}
		out = append(out, m)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}

// ClaimOutbox marks a message as being handed to the platform now. Commit it before the
// send: the attempt's result (MarkSent, MarkRetry, MarkFailed) clears it.
func (t *Tx) ClaimOutbox(id int64, at time.Time) error {
	if _, err := t.exec(`UPDATE outbox SET claimed_at = ? WHERE id = ?`, ms(at), id); err != nil {
		return fmt.Errorf("claim outbox %d for sending: %w", id, err)
	}
	return nil
}

// MarkSent records a delivery.
func (t *Tx) MarkSent(id int64, at time.Time) error {
	if _, err := t.exec(`UPDATE outbox SET sent_at = ?, attempts = attempts + 1, claimed_at = NULL WHERE id = ?`, ms(at), id); err != nil {
		return fmt.Errorf("mark outbox %d sent: %w", id, err)
	}
	return nil
}

// MarkRetry records a failed attempt to be tried again at next.
func (t *Tx) MarkRetry(id int64, next time.Time, cause string) error {
	if _, err := t.exec(`UPDATE outbox SET attempts = attempts + 1, next_try = ?, error = ?, claimed_at = NULL WHERE id = ?`, ms(next), cause, id); err != nil {
		return fmt.Errorf("reschedule outbox %d: %w", id, err)
	}
	return nil
}

// MarkFailed gives up on a message; it stays in the table (and the audit log) for the owner.
func (t *Tx) MarkFailed(id int64, at time.Time, cause string) error {
	if _, err := t.exec(`UPDATE outbox SET attempts = attempts + 1, failed_at = ?, error = ?, claimed_at = NULL WHERE id = ?`, ms(at), cause, id); err != nil {
		return fmt.Errorf("mark outbox %d failed: %w", id, err)
	}
	return nil
}

// OutboxCounts are what the outbox did since a time, and what waits: for status lines
// (状态, the end of bot run).
type OutboxCounts struct {
	Sent, Failed, Pending int
	LastError             string // the cause recorded on the newest failure since (empty: none)
}

// OutboxCounts counts messages sent and given up since `since`, and those still queued.
// It reads the whole table (a status question, asked by a person, not per message).
func (t *Tx) OutboxCounts(since time.Time) (OutboxCounts, error) {
	var c OutboxCounts
	err := t.queryRow(`SELECT
		COALESCE(SUM(sent_at >= ?), 0), COALESCE(SUM(failed_at >= ?), 0),
		COALESCE(SUM(sent_at IS NULL AND failed_at IS NULL), 0),
		COALESCE((SELECT error FROM outbox WHERE failed_at >= ? ORDER BY failed_at DESC LIMIT 1), '')
		FROM outbox`, ms(since), ms(since), ms(since)).Scan(&c.Sent, &c.Failed, &c.Pending, &c.LastError)
	if err != nil {
		return c, fmt.Errorf("count outbox messages: %w", err)
	}
	return c, nil
}
