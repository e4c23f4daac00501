package storage

import (
	"testing"
	"time"
)

func TestOutboxCounts(t *testing.T) {
	s, g, _, _ := scheduleFixture(t)
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	schedUpdate(t, s, func(tx *Tx) error {
		for i, state := range []string{"sent-yesterday", "sent", "sent", "failed", "pending", "pending"} {
			at := day.Add(time.Duration(i+1) * time.Hour)
			if state == "sent-yesterday" {
				at = day.Add(-time.Hour)
			}
			id, err := tx.Enqueue(OutMessage{Created: at, Kind: OutSend, GroupKey: g.Key, Text: state})
			if err != nil {
				return err
			}
			switch state {
			case "sent", "sent-yesterday":
				err = tx.MarkSent(id, at)
			case "failed":
				err = tx.MarkFailed(id, at, "微信说操作太频繁")
			}
			if err != nil {
				return err
			}
		}
		c, err := tx.OutboxCounts(day)
		if err != nil {
			return err
		}
		if c != (OutboxCounts{Sent: 2, Failed: 1, Pending: 2, LastError: "微信说操作太频繁"}) {
			t.Errorf("counts since midnight = %+v", c)
		}
		return nil
	})
}

func TestActiveMutes(t *testing.T) {
	s, g, a, b := scheduleFixture(t)
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	schedUpdate(t, s, func(tx *Tx) error {
		if err := tx.SetMute(Mute{MemberKey: a.Key, GroupKey: g.Key, Since: now, Until: now.Add(time.Hour), Reason: "刷屏"}); err != nil {
			return err
		}
		if err := tx.SetMute(Mute{MemberKey: b.Key, GroupKey: g.Key, Since: now.Add(-2 * time.Hour), Until: now.Add(-time.Hour)}); err != nil {
			return err
		}
		mutes, err := tx.ActiveMutes(g.Key, now)
		if err != nil {
			return err
		}
		if len(mutes) != 1 || mutes[0].MemberKey != a.Key || mutes[0].Reason != "刷屏" || !mutes[0].Until.Equal(now.Add(time.Hour)) {
			t.Errorf("active mutes = %+v, want only 张三's", mutes)
		}
		return nil
	})
}
