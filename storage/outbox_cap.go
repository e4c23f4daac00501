package storage

import (
	"fmt"
	"time"
)

// The bot's own posts (scheduled, dated, the weekly star) are marked in the outbox so that
// the dispatcher can cap them per group and day (post_cap) and the reports can say what it
// held back. Answers to members are never capped.

// ClassPost marks one of the bot's own posts.
const ClassPost = "post"

// schemaOutboxClass is migration 17: a message's class, and when the post cap held it back.
// A held message is also marked failed (it will not be sent, and the pending index stays
// exact), with held_at telling it from a delivery that failed.
const schemaOutboxClass = `
ALTER TABLE outbox ADD COLUMN class TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN held_at INTEGER;
`

// heldError is the error a held message records.
const heldError = "held back: the group's daily post cap (post_cap.daily)"

// HoldOutbox gives up on a post the cap does not allow: it is never sent.
func (t *Tx) HoldOutbox(id int64, at time.Time) error {
	if _, err := t.exec(`UPDATE outbox SET held_at = ?, failed_at = ?, error = ?, claimed_at = NULL WHERE id = ?`, ms(at), ms(at), heldError, id); err != nil {
		return fmt.Errorf("hold back outbox %d: %w", id, err)
	}
	return nil
}

// PostsSent counts the posts delivered to a group over [from, to).
func (t *Tx) PostsSent(groupKey int64, from, to time.Time) (int, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM outbox WHERE group_key = ? AND kind = 'send' AND sent_at IS NOT NULL
		AND sent_at >= ? AND sent_at < ? AND class = 'post'`, groupKey, ms(from), ms(to)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count posts sent to group %d: %w", groupKey, err)
	}
	return n, nil
}

// HeldPosts lists the texts of the posts the cap held back in a group over [from, to).
func (t *Tx) HeldPosts(groupKey int64, from, to time.Time) ([]string, error) {
	var out []string
	if err := t.queryEach(`SELECT text FROM outbox WHERE held_at >= ? AND held_at < ? AND group_key = ? ORDER BY id`, []any{ms(from), ms(to), groupKey}, func(rows rowScanner) error {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list held posts of group %d: %w", groupKey, err)
	}
	return out, nil
}
