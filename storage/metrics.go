package storage

import (
	"fmt"
	"time"
)

// Reads for the health metrics of the reports and the dashboard: member tiers, who sends
// the group's messages, newcomer retention. Each is one query over a group's days (the
// activity table's key starts with the group and the day), never a query per member.

// SpeakingDays counts, per member, the days over [fromDay, toDay] on which they sent at
// least one message.
func (t *Tx) SpeakingDays(groupKey int64, fromDay, toDay string) (map[int64]int, error) {
	if err := t.flushPending(); err != nil {
		return nil, err
	}
	out := map[int64]int{}
	if err := t.queryEach(`SELECT member_key, COUNT(*) FROM activity
		WHERE group_key = ? AND day BETWEEN ? AND ? AND messages > 0 GROUP BY member_key`, []any{groupKey, fromDay, toDay}, func(rows rowScanner) error {
		var k int64
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		out[k] = n
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count speaking days in group %d: %w", groupKey, err)
	}
	return out, nil
}

// LastSpeakingDay is, per member, the latest day on or after fromDay on which they sent a
// message (members silent since are absent).
func (t *Tx) LastSpeakingDay(groupKey int64, fromDay string) (map[int64]string, error) {
	if err := t.flushPending(); err != nil {
		return nil, err
	}
	out := map[int64]string{}
	if err := t.queryEach(`SELECT member_key, MAX(day) FROM activity
		WHERE group_key = ? AND day >= ? AND messages > 0 GROUP BY member_key`, []any{groupKey, fromDay}, func(rows rowScanner) error {
		var k int64
		var d string
		if err := rows.Scan(&k, &d); err != nil {
			return err
		}
		out[k] = d
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read last speaking days in group %d: %w", groupKey, err)
	}
	return out, nil
}

// RoleDay is one day of a group's messages by who sent them.
type RoleDay struct {
	Day      string
	Messages int // every member's, the owner's typing included
	Ordinary int // members who are neither the owner nor an admin
}

// MessagesByRole is a group's messages per day over [fromDay, toDay], days without any
// omitted.
func (t *Tx) MessagesByRole(groupKey int64, fromDay, toDay string) ([]RoleDay, error) {
	if err := t.flushPending(); err != nil {
		return nil, err
	}
	var out []RoleDay
	if err := t.queryEach(`SELECT a.day, SUM(a.messages), SUM(CASE WHEN m.role = 'member' THEN a.messages ELSE 0 END)
		FROM activity a JOIN members m ON m.key = a.member_key
		WHERE a.group_key = ? AND a.day BETWEEN ? AND ? GROUP BY a.day ORDER BY a.day`, []any{groupKey, fromDay, toDay}, func(rows rowScanner) error {
		var d RoleDay
		if err := rows.Scan(&d.Day, &d.Messages, &d.Ordinary); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count messages by role in group %d: %w", groupKey, err)
	}
	return out, nil
}

// BotSends lists when the bot's messages to a group were delivered over [from, to): the
// caller buckets them by local day (the outbox stores instants, not days).
func (t *Tx) BotSends(groupKey int64, from, to time.Time) ([]time.Time, error) {
	var out []time.Time
	if err := t.queryEach(`SELECT sent_at FROM outbox WHERE group_key = ? AND kind = 'send' AND sent_at IS NOT NULL
		AND sent_at >= ? AND sent_at < ? ORDER BY sent_at`, []any{groupKey, ms(from), ms(to)}, func(rows rowScanner) error {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return err
		}
		out = append(out, fromMS(at))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count the bot's messages in group %d: %w", groupKey, err)
	}
	return out, nil
}

// JoinedBetween lists the members whose latest join fell in [from, to), whether or not
// they are still in the group.
func (t *Tx) JoinedBetween(groupKey int64, from, to time.Time) ([]Member, error) {
	ms, err := t.members(`WHERE group_key = ? AND joined_at >= ? AND joined_at < ? ORDER BY joined_at`, groupKey, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("list members who joined group %d: %w", groupKey, err)
	}
	return ms, nil
}
