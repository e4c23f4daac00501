package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const schemaClassifier = `
CREATE TABLE reviews (
	id          INTEGER PRIMARY KEY,
	group_key   INTEGER NOT NULL,
	member_key  INTEGER NOT NULL REFERENCES members(key),
	message_id  TEXT NOT NULL DEFAULT '',
	text        TEXT NOT NULL,
	score       REAL NOT NULL DEFAULT 0,
	reason      TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	status      TEXT NOT NULL DEFAULT 'open',
	decided_at  INTEGER,
	decided_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reviews_by_status ON reviews(status, id);
CREATE TABLE labelled_examples (
	id          INTEGER PRIMARY KEY,
	text        TEXT NOT NULL,
	spam        INTEGER NOT NULL,
	source      TEXT NOT NULL,
	member_key  INTEGER,
	created_at  INTEGER NOT NULL
);
CREATE TABLE classifier_weights (
	bucket  INTEGER PRIMARY KEY,
	delta   REAL NOT NULL
) WITHOUT ROWID;
`

// Review statuses.
const (
	ReviewOpen = "open" // waiting for the owner
	ReviewSpam = "spam" // the owner said 广告
	ReviewHam  = "ham"  // the owner said 正常
)

// Review is a message the classifier was unsure about, waiting for the owner's label.
type Review struct {
	ID        int64
	GroupKey  int64
	MemberKey int64
	MessageID string
	Text      string
	Score     float64
	Reason    string
	CreatedAt time.Time
	Status    string
	DecidedBy string
}

// AddReview queues a review request.
func (t *Tx) AddReview(r Review) (int64, error) {
	res, err := t.exec(`INSERT INTO reviews(group_key, member_key, message_id, text, score, reason, created_at) VALUES (?,?,?,?,?,?,?)`,
		r.GroupKey, r.MemberKey, r.MessageID, r.Text, r.Score, r.Reason, ms(r.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("queue review of member %d: %w", r.MemberKey, err)
	}
	return res.LastInsertId()
}

const reviewCols = `id, group_key, member_key, message_id, text, score, reason, created_at, status, decided_by`

func scanReview(sc interface{ Scan(...any) error }) (Review, error) {
	var r Review
	var at int64
	err := sc.Scan(&r.ID, &r.GroupKey, &r.MemberKey, &r.MessageID, &r.Text, &r.Score, &r.Reason, &at, &r.Status, &r.DecidedBy)
	r.CreatedAt = fromMS(at)
	return r, err
}

// OpenReviews lists the open review requests, oldest first, at most limit.
func (t *Tx) OpenReviews(limit int) ([]Review, error) {
	rows, err := t.query(`SELECT `+reviewCols+` FROM reviews WHERE status = 'open' ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list open reviews: %w", err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, fmt.Errorf("read review: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReviewByID reads one review request.
func (t *Tx) ReviewByID(id int64) (Review, bool, error) {
	r, err := scanReview(t.queryRow(`SELECT `+reviewCols+` FROM reviews WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read review %d: %w", id, err)
	}
	return r, true, nil
}

// DecideReview labels an open review; it reports false if it was not open (decided
// already, or no such review), so a double click labels once.
func (t *Tx) DecideReview(id int64, status, by string, at time.Time) (bool, error) {
	res, err := t.exec(`UPDATE reviews SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'open'`,
		status, by, ms(at), id)
	if err != nil {
		return false, fmt.Errorf("label review %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LabelledExample is one example the owner taught.
type LabelledExample struct {
	Text      string
	Spam      bool
	Source    string // "review", "admin:广告", "pardon", "removal", "import"
	MemberKey int64
	At        time.Time
}

// AddExample records a labelled example.
func (t *Tx) AddExample(e LabelledExample) error {
	var member any
	if e.MemberKey != 0 {
		member = e.MemberKey
	}
	if _, err := t.exec(`INSERT INTO labelled_examples(text, spam, source, member_key, created_at) VALUES (?,?,?,?,?)`,
		e.Text, e.Spam, e.Source, member, ms(e.At)); err != nil {
		return fmt.Errorf("record labelled example: %w", err)
	}
	return nil
}

// ExampleCounts counts the labelled examples: spam and ordinary.
func (t *Tx) ExampleCounts() (spam, ham int, err error) {
	err = t.queryRow(`SELECT COALESCE(SUM(spam), 0), COUNT(*) - COALESCE(SUM(spam), 0) FROM labelled_examples`).Scan(&spam, &ham)
	if err != nil {
		err = fmt.Errorf("count labelled examples: %w", err)
	}
	return spam, ham, err
}

// SetWeightDeltas stores learned corrections to the classifier's weights (0 deletes).
func (t *Tx) SetWeightDeltas(deltas map[uint32]float32) error {
	for b, d := range deltas {
		var err error
		if d == 0 {
			_, err = t.exec(`DELETE FROM classifier_weights WHERE bucket = ?`, int64(b))
		} else {
			_, err = t.exec(`INSERT INTO classifier_weights(bucket, delta) VALUES (?, ?)
				ON CONFLICT(bucket) DO UPDATE SET delta = excluded.delta`, int64(b), float64(d))
		}
		if err != nil {
			return fmt.Errorf("store learned weight %d: %w", b, err)
		}
	}
	return nil
}

// WeightDeltas reads every learned correction.
func (t *Tx) WeightDeltas() (map[uint32]float32, error) {
	rows, err := t.query(`SELECT bucket, delta FROM classifier_weights`)
	if err != nil {
		return nil, fmt.Errorf("read learned weights: %w", err)
	}
	defer rows.Close()
	out := map[uint32]float32{}
	for rows.Next() {
		var b int64
		var d float64
		if err := rows.Scan(&b, &d); err != nil {
			return nil, fmt.Errorf("read learned weight: %w", err)
		}
		out[uint32(b)] = float32(d)
	}
	return out, rows.Err()
}

// RemovalClosedAt reports whether the member's moderation removal request (source
// "moderation:…") was closed as done at exactly at: the owner carried out what moderation
// asked, which confirms the offence.
func (t *Tx) RemovalClosedAt(memberKey int64, at time.Time) (bool, error) {
	var n int
	err := t.queryRow(`SELECT COUNT(*) FROM removals WHERE member_key = ? AND status = 'done' AND closed_at = ?
		AND source LIKE 'moderation:%'`, memberKey, ms(at)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read closed removal of member %d: %w", memberKey, err)
	}
	return n > 0, nil
}
