package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"qunbot/bot/config"
	"qunbot/bot/holiday"
)

// Dated posts. Every post is a job with a schedule (robfig/cron's Schedule: Next(t) is the
// first occurrence after t, the zero time when there is none), so one-off, festival,
// yearly and holiday-aware posts share the cron posts' guarantees: the last run is stored
// with the post, a restart never repeats it, and one missed while down is sent within
// scheduler.grace or not at all.
//
//	cron              the cron spec, filtered by skip_on_holidays / workdays_only
//	at                once; nothing after it
//	festival          the festival's day in each year of the holiday table, at time
//	annual            that month-day every year, at time
//	countdown         whichever of the above, ending with the countdown's day

// maxYearsAhead bounds the search for a yearly occurrence.
const maxYearsAhead = 8

// maxSkips bounds the search for a day that is not a holiday (a daily post skips at most
// the longest holiday; a yearly one never loops that long).
const maxSkips = 400

type onceSchedule struct{ at time.Time }

func (s onceSchedule) Next(t time.Time) time.Time {
	if t.Before(s.at) {
		return s.at
	}
	return time.Time{}
}

// yearlySchedule is one occurrence a year, from a function that knows it (a festival in
// the holiday table, a month-day).
type yearlySchedule struct {
	in func(year int, loc *time.Location) (time.Time, bool)
}

func (s yearlySchedule) Next(t time.Time) time.Time {
	for y := t.Year(); y <= t.Year()+maxYearsAhead; y++ {
		if at, ok := s.in(y, t.Location()); ok && at.After(t) {
			return at
		}
	}
	return time.Time{}
}

// filterSchedule keeps the inner schedule's occurrences on the days keep accepts.
type filterSchedule struct {
	inner cron.Schedule
	keep  func(day time.Time) bool
}

func (s filterSchedule) Next(t time.Time) time.Time {
	for i := 0; i < maxSkips; i++ {
		n := s.inner.Next(t)
		if n.IsZero() || s.keep(n) {
			return n
		}
		t = n
	}
	return time.Time{}
}

// untilSchedule ends the inner schedule after a moment (a countdown's day).
type untilSchedule struct {
	inner cron.Schedule
	end   time.Time
}

func (s untilSchedule) Next(t time.Time) time.Time {
	n := s.inner.Next(t)
	if n.IsZero() || !n.Before(s.end) {
		return time.Time{}
	}
	return n
}

// postSchedule is when a post goes out, as a job schedule, with a description for logs
// and the dashboard.
func postSchedule(p config.Post, loc *time.Location, table *holiday.Table) config.CronSpec {
	var spec config.CronSpec
	switch {
	case !p.At.IsZero():
		spec = config.CronSpec{Spec: "at " + p.At.String(), Schedule: onceSchedule{p.At.In(loc)}}
	case p.Festival != "":
		name, _ := table.Canonical(p.Festival)
		at := p.Time.Or(config.DefaultFestivalTime)
		spec = config.CronSpec{Spec: fmt.Sprintf("festival %s %s", name, at), Schedule: yearlySchedule{func(year int, loc *time.Location) (time.Time, bool) {
			date, ok := table.Festival(name, year)
			if !ok {
				return time.Time{}, false
			}
			d, err := time.ParseInLocation("2006-01-02", date, loc)
			return at.At(d), err == nil
		}}}
	case !p.Annual.IsZero():
		md := p.Annual
		at := p.Time.Or(config.DefaultFestivalTime)
		spec = config.CronSpec{Spec: fmt.Sprintf("annual %s %s", md, at), Schedule: yearlySchedule{func(year int, loc *time.Location) (time.Time, bool) {
			d := time.Date(year, md.Month, md.Day, at.Hour, at.Min, 0, 0, loc)
			return d, d.Day() == md.Day // 02-29 only in leap years
		}}}
	default:
		spec = p.Cron
	}
	if p.SkipOnHolidays {
		spec.Spec += " skip_on_holidays"
		spec.Schedule = filterSchedule{spec.Schedule, func(day time.Time) bool {
			_, off, _ := table.DayOff(day)
			return !off
		}}
	}
	if p.WorkdaysOnly {
		spec.Spec += " workdays_only"
		spec.Schedule = filterSchedule{spec.Schedule, func(day time.Time) bool {
			work, _ := table.Workday(day)
			return work
		}}
	}
	if c := p.Countdown; c != nil {
		spec.Spec += " until " + c.To.String()
		spec.Schedule = untilSchedule{spec.Schedule, c.To.In(loc).AddDate(0, 0, 1)}
	}
	return spec
}
