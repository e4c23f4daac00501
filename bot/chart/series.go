// Package chart draws a group's activity — messages per day (bars) and active members per
// day (line) — as inline SVG for the owner's dashboard and as a PNG for the weekly report.
// Everything is drawn here from the standard library: no fonts, no network, no CDN.
package chart

import (
	"time"

	"qunbot/storage"
)

// Day is one local day of a group's activity.
type Day struct {
	Date     time.Time // local midnight
	Messages int       // messages sent that day
	Active   int       // members who sent at least one
}

// Series reads a group's activity for the local days in [from, to) (local midnights),
// one Day per calendar day, quiet days included as zeros.
func Series(tx *storage.Tx, groupKey int64, from, to time.Time) ([]Day, error) {
	var days []Day
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		days = append(days, Day{Date: d})
	}
	if len(days) == 0 {
		return nil, nil
	}
	rows, err := tx.GroupActivity(groupKey, dayKey(from), dayKey(days[len(days)-1].Date))
	if err != nil {
		return nil, err
	}
	byDay := make(map[string]storage.DayActivity, len(rows))
	for _, r := range rows {
		byDay[r.Day] = r
	}
	for i := range days {
		if r, ok := byDay[dayKey(days[i].Date)]; ok {
			days[i].Messages, days[i].Active = r.Messages, r.Active
		}
	}
	return days, nil
}

// Midnight is the start of t's local day.
func Midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func dayKey(t time.Time) string { return t.Format("2006-01-02") }

// niceMax rounds a maximum up so that `ticks` evenly spaced gridlines land on round
// numbers: the step is 1, 2, 2.5 (from 25 on) or 5 times a power of ten.
func niceMax(v, ticks int) int {
	if v <= ticks {
		return ticks
	}
	for base := 1; ; base *= 10 {
		steps := []int{base, 2 * base, 5 * base}
		if base >= 10 {
			steps = []int{base, 2 * base, base * 5 / 2, 5 * base}
		}
		for _, s := range steps {
			if s*ticks >= v {
				return s * ticks
			}
		}
	}
}
