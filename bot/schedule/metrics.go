package schedule

import (
	"fmt"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

// The articles' health metrics, computed the same way for the owner's reports and the
// dashboard's charts:
//
//   - member tiers by the days each member spoke in the last 30 (core / active / ordinary
//     / silent, thresholds in reports.alerts.member_tiers);
//   - who sends the group's messages: ordinary members (not the owner, admins or the bot),
//     and the bot itself (its delivered group messages);
//   - newcomer retention: of the members who joined, how many still spoke N days later;
//   - the group's size against WeChat's 500-member limit.

// TierWindow is how far back member tiers look.
const TierWindow = 30

// Tiers counts a group's members (the bot's own account left out) by how many of the last
// 30 days they spoke on.
type Tiers struct {
	Core, Active, Ordinary, Silent int
}

// Total is every member counted.
func (t Tiers) Total() int { return t.Core + t.Active + t.Ordinary + t.Silent }

// MemberTiers sorts the group's current members into tiers over the 30 days ending with
// lastDay (a local midnight).
func MemberTiers(tx *storage.Tx, groupKey int64, lastDay time.Time, c config.MemberTiers) (Tiers, error) {
	members, err := tx.GroupMembers(groupKey)
	if err != nil {
		return Tiers{}, err
	}
	spoke, err := tx.SpeakingDays(groupKey, dayKey(lastDay.AddDate(0, 0, -(TierWindow-1))), dayKey(lastDay))
	if err != nil {
		return Tiers{}, err
	}
	var t Tiers
	for _, m := range members {
		if m.Role == "owner" {
			continue
		}
		switch d := spoke[m.Key]; {
		case d >= c.CoreDays:
			t.Core++
		case d >= c.ActiveDays:
			t.Active++
		case d >= 1:
			t.Ordinary++
		default:
			t.Silent++
		}
	}
	return t, nil
}

// DayShare is one day's messages by who sent them.
type DayShare struct {
	Date     time.Time // local midnight
	Members  int       // every member's messages, the owner's typing included
	Ordinary int       // members who are neither the owner nor an admin
	Bot      int       // the bot's delivered group messages
}

// All is every message of the day, the bot's included.
func (d DayShare) All() int { return d.Members + d.Bot }

// Shares reads who sent a group's messages on each local day of [from, to) (local
// midnights), quiet days included.
func Shares(tx *storage.Tx, groupKey int64, from, to time.Time) ([]DayShare, error) {
	var days []DayShare
	index := map[string]int{}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		index[dayKey(d)] = len(days)
		days = append(days, DayShare{Date: d})
	}
	if len(days) == 0 {
		return nil, nil
	}
	rows, err := tx.MessagesByRole(groupKey, dayKey(from), dayKey(days[len(days)-1].Date))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if i, ok := index[r.Day]; ok {
			days[i].Members, days[i].Ordinary = r.Messages, r.Ordinary
		}
	}
	sends, err := tx.BotSends(groupKey, from, to)
	if err != nil {
		return nil, err
	}
	for _, at := range sends {
		if i, ok := index[dayKey(at.In(from.Location()))]; ok {
			days[i].Bot++
		}
	}
	return days, nil
}

// SumShares adds days up.
func SumShares(days []DayShare) DayShare {
	var s DayShare
	for _, d := range days {
		s.Members += d.Members
		s.Ordinary += d.Ordinary
		s.Bot += d.Bot
	}
	return s
}

// Retention is newcomer retention after Days days: of the members whose latest join fell
// in the window, how many have been in for Days days (Eligible) and how many of those
// spoke on a day at least Days after the day they joined (Retained).
type Retention struct {
	Days     int
	Joined   int
	Eligible int
	Retained int
}

// Percent is Retained ÷ Eligible in percent (0 when nobody is eligible).
func (r Retention) Percent() float64 {
	if r.Eligible == 0 {
		return 0
	}
	return float64(r.Retained) * 100 / float64(r.Eligible)
}

// NewcomerRetention measures retention after n days of the members who joined in
// [from, to) (local times), as of today (a local midnight).
func NewcomerRetention(tx *storage.Tx, groupKey int64, from, to, today time.Time, n int) (Retention, error) {
	r := Retention{Days: n}
	joined, err := tx.JoinedBetween(groupKey, from, to)
	if err != nil || len(joined) == 0 {
		return r, err
	}
	loc := today.Location()
	var earliest time.Time
	type cohort struct {
		key       int64
		threshold string // the first day that counts as "still speaking"
	}
	var eligible []cohort
	for _, m := range joined {
		if m.Role == "owner" {
			continue
		}
		r.Joined++
		joinDay := midnight(m.JoinedAt.In(loc))
		due := joinDay.AddDate(0, 0, n)
		if due.After(today) {
			continue // not in long enough to be measured
		}
		if earliest.IsZero() || due.Before(earliest) {
			earliest = due
		}
		eligible = append(eligible, cohort{m.Key, dayKey(due)})
	}
	r.Eligible = len(eligible)
	if r.Eligible == 0 {
		return r, nil
	}
	last, err := tx.LastSpeakingDay(groupKey, dayKey(earliest))
	if err != nil {
		return r, err
	}
	for _, c := range eligible {
		if d, ok := last[c.key]; ok && d >= c.threshold {
			r.Retained++
		}
	}
	return r, nil
}

// Retention3 and Retention30 are the two the articles name: of those who joined in the
// last 30 days, still speaking 3 days later; of those who joined 30 to 60 days ago, still
// speaking 30 days later.
func Retention3(tx *storage.Tx, groupKey int64, today time.Time) (Retention, error) {
	return NewcomerRetention(tx, groupKey, today.AddDate(0, 0, -30), today.AddDate(0, 0, 1), today, 3)
}

// Retention30 is retention after 30 days (see Retention3).
func Retention30(tx *storage.Tx, groupKey int64, today time.Time) (Retention, error) {
	return NewcomerRetention(tx, groupKey, today.AddDate(0, 0, -60), today.AddDate(0, 0, -29), today, 30)
}

// RetentionText is the report's sentence:
// 「近30天入群 5 人，3 天后仍在发言 3 人（60%）」.
func RetentionText(r Retention, window string) string {
	switch {
	case r.Joined == 0:
		return fmt.Sprintf("%s没有新人入群", window)
	case r.Eligible == 0:
		return fmt.Sprintf("%s入群 %d 人，都还不满 %d 天", window, r.Joined, r.Days)
	case r.Eligible < r.Joined:
		return fmt.Sprintf("%s入群 %d 人（满 %d 天的 %d 人），%d 天后仍在发言 %d 人（%.0f%%）", window, r.Joined, r.Days, r.Eligible, r.Days, r.Retained, r.Percent())
	}
	return fmt.Sprintf("%s入群 %d 人，%d 天后仍在发言 %d 人（%.0f%%）", window, r.Joined, r.Days, r.Retained, r.Percent())
}
