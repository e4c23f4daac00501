package config

import (
	"time"

	"qunbot/bot/holiday"
)

// loadHolidays is the table in force: the built-in one, with the years of holidays_file
// (if any) over it. A file that cannot be read or has mistakes is a config error, so that a
// wrong table never silently decides which days the bot posts on.
func loadHolidays(file string, at reporter) *holiday.Table {
	table := holiday.Default()
	if file == "" {
		return table
	}
	data, err := readCapped(file, MaxWordListBytes, "节假日表 / holiday table")
	if err != nil {
		at("holidays_file", "读不了节假日表「%s」/ cannot read the holiday table: %v（相对路径从机器人的启动目录算起 / relative to the working directory）", file, err)
		return table
	}
	own, err := holiday.Parse(data, file)
	if err != nil {
		at("holidays_file", "%v", err)
		return table
	}
	return table.Merge(own)
}

// UsesHolidays reports whether any managed group's posts depend on the holiday table
// (skip_on_holidays, workdays_only or a festival post).
func (c *Config) UsesHolidays() bool {
	groups := []*Group{}
	if c.ManagesUnlisted() {
		groups = append(groups, &c.Defaults)
	}
	for _, g := range c.Groups {
		groups = append(groups, g)
	}
	for _, g := range groups {
		if !g.Enabled {
			continue
		}
		for _, p := range g.Posts {
			if p.SkipOnHolidays || p.WorkdaysOnly || p.Festival != "" {
				return true
			}
		}
	}
	return false
}

// Warnings are what the owner should know although nothing is wrong enough to refuse the
// file: today, only what the holiday table cannot answer for the posts that rely on it
// (the current year missing or without make-up workdays; from November, the next year).
// `bot check` prints them and the schedules tell the owner once; currentOnly keeps those
// about the year in progress (the daily report repeats those while they hold).
func (c *Config) Warnings(now time.Time, currentOnly bool) []string {
	if c.Holidays == nil || !c.UsesHolidays() {
		return nil
	}
	if c.Location != nil {
		now = now.In(c.Location)
	}
	var out []string
	for _, w := range c.Holidays.Warnings(now) {
		if w.Current || !currentOnly {
			out = append(out, w.Text)
		}
	}
	return out
}
