package storage

import (
	"database/sql"
	"errors"
	"fmt"
)

// OutDMImage is an image to a friend or the owner's file helper (the weekly chart). The
// PNG travels in the outbox row itself, so a queued image survives a restart like text.
const OutDMImage = "dm_image"

const schemaOutboxImages = `ALTER TABLE outbox ADD COLUMN image BLOB;`

// EnqueueImage queues an image inside the transaction that caused it; m.Text is the
// image's file name.
func (t *Tx) EnqueueImage(m OutMessage, png []byte) (int64, error) {
	if len(png) == 0 {
		return 0, errors.New("queue image: empty image")
	}
	m.Kind = OutDMImage
	if m.NextTry.IsZero() {
		m.NextTry = m.Created
	}
	res, err := t.exec(`INSERT INTO outbox(created, kind, group_key, target, text, mentions, next_try, image) VALUES (?,?,?,?,?,'[]',?,?)`,
		ms(m.Created), m.Kind, nullKey(m.GroupKey), m.Target, m.Text, ms(m.NextTry), png)
	if err != nil {
		return 0, fmt.Errorf("queue image %s: %w", m.Text, err)
	}
	return res.LastInsertId()
}

// OutboxImage returns the image stored with an outbox row.
func (t *Tx) OutboxImage(id int64) ([]byte, error) {
	var png []byte
	err := t.queryRow(`SELECT image FROM outbox WHERE id = ?`, id).Scan(&png)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(png) == 0) {
		return nil, fmt.Errorf("outbox %d has no image", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read image of outbox %d: %w", id, err)
	}
	return png, nil
}
