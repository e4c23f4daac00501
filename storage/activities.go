package storage

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Activities: lotteries (抽奖), polls (投票) and sign-up chains (接龙). Each has a status
// that only moves forward (open → drawn/closed/…) in the transaction that posts its ending,
// so the ending happens once, whatever restarts come between.

// Activity statuses.
const (
	StatusOpen      = "open"
	StatusDrawn     = "drawn"
	StatusVoid      = "void" // a lottery nobody entered
	StatusCancelled = "cancelled"
	StatusClosed    = "closed"
)

// ---- lotteries ----

// Lottery is one 抽奖.
type Lottery struct {
	ID         int64
	GroupKey   int64
	StarterKey int64
	Prize      string
	Cost       int64
	Winners    int
	Created    time.Time
	Deadline   time.Time
	Seed       string // hex; secret until the draw, committed to by its hash at the start
	Status     string
	ClosedAt   time.Time
	Result     string // JSON of the draw, written once
	// AckThrough is the last entry acknowledged in the group (entries are acknowledged
	// together, not one message each), AckedAt when.
	AckThrough int64
	AckedAt    time.Time
}

const lotteryColumns = `id, group_key, starter_key, prize, cost, winners, created, deadline, seed, status, closed_at, result, ack_through, acked_at`

func scanLottery(sc interface{ Scan(...any) error }) (Lottery, error) {
	var l Lottery
	var created, deadline int64
	var closed, acked sql.NullInt64
	err := sc.Scan(&l.ID, &l.GroupKey, &l.StarterKey, &l.Prize, &l.Cost, &l.Winners, &created, &deadline, &l.Seed, &l.Status, &closed, &l.Result,
		&l.AckThrough, &acked)
	l.Created, l.Deadline, l.ClosedAt, l.AckedAt = fromMS(created), fromMS(deadline), nullMS(closed), nullMS(acked)
	return l, err
}

// MarkLotteryAcked records that entries up to through were acknowledged at `at`.
func (t *Tx) MarkLotteryAcked(id, through int64, at time.Time) error {
	if _, err := t.exec(`UPDATE lotteries SET ack_through = ?, acked_at = ? WHERE id = ?`, through, ms(at), id); err != nil {
		return fmt.Errorf("mark lottery %d acknowledged: %w", id, err)
	}
	return nil
}

// CreateLottery stores a new lottery and returns its id.
func (t *Tx) CreateLottery(l Lottery) (int64, error) {
	res, err := t.exec(`INSERT INTO lotteries(group_key, starter_key, prize, cost, winners, created, deadline, seed) VALUES (?,?,?,?,?,?,?,?)`,
		l.GroupKey, l.StarterKey, l.Prize, l.Cost, l.Winners, ms(l.Created), ms(l.Deadline), l.Seed)
	if err != nil {
		return 0, fmt.Errorf("create lottery in group %d: %w", l.GroupKey, err)
	}
	return res.LastInsertId()
}

// LotteryByID returns a lottery; ok is false for an unknown id.
func (t *Tx) LotteryByID(id int64) (Lottery, bool, error) {
	l, err := scanLottery(t.queryRow(`SELECT `+lotteryColumns+` FROM lotteries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Lottery{}, false, nil
	}
	if err != nil {
		return Lottery{}, false, fmt.Errorf("read lottery %d: %w", id, err)
	}
	return l, true, nil
}

// OpenLotteries lists the open lotteries of a group (every group when groupKey is 0),
// oldest first.
func (t *Tx) OpenLotteries(groupKey int64) ([]Lottery, error) {
	q := `SELECT ` + lotteryColumns + ` FROM lotteries WHERE status = 'open'`
	var args []any
	if groupKey != 0 {
		q += ` AND group_key = ?`
		args = append(args, groupKey)
	}
	out, err := queryList(t, scanLottery, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list open lotteries: %w", err)
	}
	return out, nil
}

// LatestLotteries lists a group's lotteries, newest first.
func (t *Tx) LatestLotteries(groupKey int64, limit int) ([]Lottery, error) {
	out, err := queryList(t, scanLottery, `SELECT `+lotteryColumns+` FROM lotteries WHERE group_key = ? ORDER BY id DESC LIMIT ?`, groupKey, limit)
	if err != nil {
		return nil, fmt.Errorf("list lotteries of group %d: %w", groupKey, err)
	}
	return out, nil
}

// CloseLottery moves an open lottery to its final status with its result. It reports
// false, writing nothing, when the lottery was not open: the draw (or the cancellation)
// happened already.
func (t *Tx) CloseLottery(id int64, status, result string, at time.Time) (bool, error) {
	res, err := t.exec(`UPDATE lotteries SET status = ?, result = ?, closed_at = ? WHERE id = ? AND status = 'open'`, status, result, ms(at), id)
	if err != nil {
		return false, fmt.Errorf("close lottery %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// LotteryEntry is one member in a lottery, in the order they entered.
type LotteryEntry struct {
	Seq       int64 // the entry's id: entries are numbered in the order they came
	MemberKey int64
	At        time.Time
}

// EnterLottery adds a member; it reports false when they are in already.
func (t *Tx) EnterLottery(lotteryID, memberKey int64, at time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO lottery_entries(lottery_id, member_key, at) VALUES (?,?,?) ON CONFLICT DO NOTHING`, lotteryID, memberKey, ms(at))
	if err != nil {
		return false, fmt.Errorf("enter member %d in lottery %d: %w", memberKey, lotteryID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// LotteryEntries lists a lottery's entrants in the order they entered.
func (t *Tx) LotteryEntries(lotteryID int64) ([]LotteryEntry, error) {
	var out []LotteryEntry
	if err := t.queryEach(`SELECT id, member_key, at FROM lottery_entries WHERE lottery_id = ? ORDER BY id`, []any{lotteryID}, func(rows rowScanner) error {
		var e LotteryEntry
		var at int64
		if err := rows.Scan(&e.Seq, &e.MemberKey, &at); err != nil {
			return err
		}
		e.At = fromMS(at)
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list entries of lottery %d: %w", lotteryID, err)
	}
	return out, nil
}

// ---- polls ----

// Poll is one 投票.
type Poll struct {
	ID         int64
	GroupKey   int64
	StarterKey int64
	Title      string
	Options    []string
	Created    time.Time
	Deadline   time.Time
	Status     string
	ClosedAt   time.Time
	AckThrough int64 // the last vote acknowledged in the group
	AckedAt    time.Time
}

const pollColumns = `id, group_key, starter_key, title, options, created, deadline, status, closed_at, ack_through, acked_at`

func scanPoll(sc interface{ Scan(...any) error }) (Poll, error) {
	var p Poll
	var options string
	var created, deadline int64
	var closed, acked sql.NullInt64
	if err := sc.Scan(&p.ID, &p.GroupKey, &p.StarterKey, &p.Title, &options, &created, &deadline, &p.Status, &closed,
		&p.AckThrough, &acked); err != nil {
		return p, err
	}
	p.Created, p.Deadline, p.ClosedAt, p.AckedAt = fromMS(created), fromMS(deadline), nullMS(closed), nullMS(acked)
	if err := json.Unmarshal([]byte(options), &p.Options); err != nil {
		return p, fmt.Errorf("decode options of poll %d: %w", p.ID, err)
	}
	return p, nil
}

// CreatePoll stores a new poll and returns its id.
func (t *Tx) CreatePoll(p Poll) (int64, error) {
	options, err := json.Marshal(p.Options)
	if err != nil {
		return 0, fmt.Errorf("encode poll options: %w", err)
	}
	res, err := t.exec(`INSERT INTO polls(group_key, starter_key, title, options, created, deadline) VALUES (?,?,?,?,?,?)`,
		p.GroupKey, p.StarterKey, p.Title, string(options), ms(p.Created), ms(p.Deadline))
	if err != nil {
		return 0, fmt.Errorf("create poll in group %d: %w", p.GroupKey, err)
	}
	return res.LastInsertId()
}

// PollByID returns a poll; ok is false for an unknown id.
func (t *Tx) PollByID(id int64) (Poll, bool, error) {
	p, err := scanPoll(t.queryRow(`SELECT `+pollColumns+` FROM polls WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Poll{}, false, nil
	}
	if err != nil {
		return Poll{}, false, fmt.Errorf("read poll %d: %w", id, err)
	}
	return p, true, nil
}

// OpenPolls lists the open polls of a group (every group when groupKey is 0), oldest first.
func (t *Tx) OpenPolls(groupKey int64) ([]Poll, error) {
	q := `SELECT ` + pollColumns + ` FROM polls WHERE status = 'open'`
	var args []any
	if groupKey != 0 {
		q += ` AND group_key = ?`
		args = append(args, groupKey)
	}
	out, err := queryList(t, scanPoll, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list open polls: %w", err)
	}
	return out, nil
}

// ClosePoll closes an open poll; it reports false when it was closed already.
func (t *Tx) ClosePoll(id int64, at time.Time) (bool, error) {
	res, err := t.exec(`UPDATE polls SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'`, ms(at), id)
	if err != nil {
		return false, fmt.Errorf("close poll %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// CastVote records a member's vote (option is 0-based). It reports false, changing
// nothing, when they voted already; then previous is the option they chose.
func (t *Tx) CastVote(pollID, memberKey int64, option int, at time.Time) (added bool, previous int, err error) {
	res, err := t.exec(`INSERT INTO poll_votes(poll_id, member_key, option, at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`,
		pollID, memberKey, option, ms(at))
	if err != nil {
		return false, 0, fmt.Errorf("record vote of member %d in poll %d: %w", memberKey, pollID, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return true, option, nil
	}
	if err := t.queryRow(`SELECT option FROM poll_votes WHERE poll_id = ? AND member_key = ?`, pollID, memberKey).Scan(&previous); err != nil {
		return false, 0, fmt.Errorf("read vote of member %d in poll %d: %w", memberKey, pollID, err)
	}
	return false, previous, nil
}

// Vote is one member's vote, numbered in the order votes came.
type Vote struct {
	Seq       int64
	MemberKey int64
	Option    int
}

// PollVotesAfter lists the votes after the vote numbered after, in order.
func (t *Tx) PollVotesAfter(pollID, after int64) ([]Vote, error) {
	var out []Vote
	if err := t.queryEach(`SELECT id, member_key, option FROM poll_votes WHERE poll_id = ? AND id > ? ORDER BY id`, []any{pollID, after}, func(rows rowScanner) error {
		var v Vote
		if err := rows.Scan(&v.Seq, &v.MemberKey, &v.Option); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list votes of poll %d: %w", pollID, err)
	}
	return out, nil
}

// MarkPollAcked records that votes up to through were acknowledged at `at`.
func (t *Tx) MarkPollAcked(id, through int64, at time.Time) error {
	if _, err := t.exec(`UPDATE polls SET ack_through = ?, acked_at = ? WHERE id = ?`, through, ms(at), id); err != nil {
		return fmt.Errorf("mark poll %d acknowledged: %w", id, err)
	}
	return nil
}

// PollTally counts the votes per option (0-based) and in all.
func (t *Tx) PollTally(pollID int64, options int) (counts []int, total int, err error) {
	counts = make([]int, options)
	if err := t.queryEach(`SELECT option, COUNT(*) FROM poll_votes WHERE poll_id = ? GROUP BY option`, []any{pollID}, func(rows rowScanner) error {
		var o, n int
		if err := rows.Scan(&o, &n); err != nil {
			return err
		}
		if o >= 0 && o < options {
			counts[o] = n
			total += n
		}
		return nil
	}); err != nil {
		return nil, 0, fmt.Errorf("count votes of poll %d: %w", pollID, err)
	}
	return counts, total, nil
}

// ---- chains ----

// Chain is one 接龙.
type Chain struct {
	ID            int64
	GroupKey      int64
	StarterKey    int64
	Title         string
	MaxEntries    int
	Created       time.Time
	Deadline      time.Time // zero: none
	Status        string
	ClosedAt      time.Time
	Version       int // bumped by every change of the list
	PostedVersion int // the version the bot last posted
	PostedAt      time.Time
}

const chainColumns = `id, group_key, starter_key, title, max_entries, created, deadline, status, closed_at, version, posted_version, posted_at`

func scanChain(sc interface{ Scan(...any) error }) (Chain, error) {
	var c Chain
	var created int64
	var deadline, closed, posted sql.NullInt64
	err := sc.Scan(&c.ID, &c.GroupKey, &c.StarterKey, &c.Title, &c.MaxEntries, &created, &deadline, &c.Status, &closed,
		&c.Version, &c.PostedVersion, &posted)
	c.Created, c.Deadline, c.ClosedAt, c.PostedAt = fromMS(created), nullMS(deadline), nullMS(closed), nullMS(posted)
	return c, err
}

// CreateChain stores a new chain and returns its id.
func (t *Tx) CreateChain(c Chain) (int64, error) {
	res, err := t.exec(`INSERT INTO chains(group_key, starter_key, title, max_entries, created, deadline) VALUES (?,?,?,?,?,?)`,
		c.GroupKey, c.StarterKey, c.Title, c.MaxEntries, ms(c.Created), toNullMS(c.Deadline))
	if err != nil {
		return 0, fmt.Errorf("create chain in group %d: %w", c.GroupKey, err)
	}
	return res.LastInsertId()
}

// ChainByID returns a chain; ok is false for an unknown id.
func (t *Tx) ChainByID(id int64) (Chain, bool, error) {
	c, err := scanChain(t.queryRow(`SELECT `+chainColumns+` FROM chains WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Chain{}, false, nil
	}
	if err != nil {
		return Chain{}, false, fmt.Errorf("read chain %d: %w", id, err)
	}
	return c, true, nil
}

// OpenChains lists the open chains of a group (every group when groupKey is 0), oldest
// first.
func (t *Tx) OpenChains(groupKey int64) ([]Chain, error) {
	q := `SELECT ` + chainColumns + ` FROM chains WHERE status = 'open'`
	var args []any
	if groupKey != 0 {
		q += ` AND group_key = ?`
		args = append(args, groupKey)
	}
	out, err := queryList(t, scanChain, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list open chains: %w", err)
	}
	return out, nil
}

// CloseChain closes an open chain; it reports false when it was closed already.
func (t *Tx) CloseChain(id int64, at time.Time) (bool, error) {
	res, err := t.exec(`UPDATE chains SET status = 'closed', closed_at = ?, version = version + 1 WHERE id = ? AND status = 'open'`, ms(at), id)
	if err != nil {
		return false, fmt.Errorf("close chain %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// MarkChainPosted records that the bot posted the chain's list as of version.
func (t *Tx) MarkChainPosted(id int64, version int, at time.Time) error {
	if _, err := t.exec(`UPDATE chains SET posted_version = ?, posted_at = ? WHERE id = ?`, version, ms(at), id); err != nil {
		return fmt.Errorf("mark chain %d posted: %w", id, err)
	}
	return nil
}

// ChainEntry is one line of a chain.
type ChainEntry struct {
	MemberKey int64
	Label     string
	At        time.Time
}

// AddChainEntry signs a member up. It reports false when they are on the list already.
func (t *Tx) AddChainEntry(chainID, memberKey int64, label string, at time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO chain_entries(chain_id, member_key, label, at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`,
		chainID, memberKey, label, ms(at))
	if err != nil {
		return false, fmt.Errorf("sign member %d up to chain %d: %w", memberKey, chainID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, t.bumpChain(chainID)
}

// RemoveChainEntry takes a member off the list. It reports false when they were not on it.
func (t *Tx) RemoveChainEntry(chainID, memberKey int64) (bool, error) {
	res, err := t.exec(`DELETE FROM chain_entries WHERE chain_id = ? AND member_key = ?`, chainID, memberKey)
	if err != nil {
		return false, fmt.Errorf("take member %d off chain %d: %w", memberKey, chainID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, t.bumpChain(chainID)
}

func (t *Tx) bumpChain(id int64) error {
	if _, err := t.exec(`UPDATE chains SET version = version + 1 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("update chain %d: %w", id, err)
	}
	return nil
}

// ChainEntries lists a chain's sign-ups in the order they came.
func (t *Tx) ChainEntries(chainID int64) ([]ChainEntry, error) {
	var out []ChainEntry
	if err := t.queryEach(`SELECT member_key, label, at FROM chain_entries WHERE chain_id = ? ORDER BY id`, []any{chainID}, func(rows rowScanner) error {
		var e ChainEntry
		var at int64
		if err := rows.Scan(&e.MemberKey, &e.Label, &at); err != nil {
			return err
		}
		e.At = fromMS(at)
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list chain %d: %w", chainID, err)
	}
	return out, nil
}
