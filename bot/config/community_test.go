package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCommunityDefaults(t *testing.T) {
	cfg, err := Parse([]byte(""), "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Defaults
	if n := g.Newcomer; !n.Enabled || n.Gift != 10 || !n.Tasks.Enabled || n.Tasks.Within.D() != 72*time.Hour || n.Tasks.Messages != 3 || n.Tasks.Bonus != 30 {
		t.Errorf("newcomer: %+v", n)
	}
	if i := g.Invite; !i.Enabled || i.Points != 10 || i.TakeBackWithin.D() != 7*24*time.Hour {
		t.Errorf("invite: %+v", i)
	}
	if g.PostCap.Daily != 3 || g.Reports.Alerts.GroupSize.WarnAt != 450 || g.Reports.Alerts.GroupSize.FullAt != 500 ||
		g.Reports.Alerts.BotShare.MaxPercent != 40 || g.Reports.Alerts.MemberShare.MinPercent != 50 {
		t.Errorf("the articles' thresholds: %+v %+v", g.PostCap, g.Reports.Alerts)
	}
	if cfg.Holidays == nil || len(cfg.Holidays.Years()) < 2 {
		t.Error("the built-in holiday table is loaded")
	}
}

// The example file documents the same defaults as the code for everything this file adds.
func TestExampleDocumentsCommunityDefaults(t *testing.T) {
	builtin, err := Parse([]byte(""), "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := Load("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, e := builtin.Defaults, ex.Defaults
	if b.Newcomer != e.Newcomer || b.Invite != e.Invite || b.Lottery != e.Lottery || b.Vote != e.Vote || b.Chain != e.Chain ||
		b.ActivityPacing != e.ActivityPacing || b.PostCap != e.PostCap || b.Thanks.DailyCap != e.Thanks.DailyCap ||
		b.Thanks.Points != e.Thanks.Points || strings.Join(b.Thanks.Words, ",") != strings.Join(e.Thanks.Words, ",") ||
		b.WeeklyTop.ThanksWeight != e.WeeklyTop.ThanksWeight || b.Reports.Alerts != e.Reports.Alerts {
		t.Errorf("config.example.yaml's defaults differ from the built-in ones")
	}
}

func TestDatedPostsValidation(t *testing.T) {
	src := `defaults:
  posts:
    - name: 两种时间
      cron: "0 8 * * *"
      at: "2026-12-24 20:00"
      text: x
    - name: 没有时间
      text: x
    - name: 坏日期
      at: "12月24日"
      text: x
    - name: 不认识的节日
      festival: 圣诞节
    - name: 倒计时缺日期
      cron: "0 9 * * *"
      countdown: {event: 结束}
    - name: 多余的 time
      cron: "0 9 * * *"
      time: "09:00"
      text: x
    - name: 节日不跳过假日
      festival: 国庆
      skip_on_holidays: true
    - name: 坏纪念日
      annual: "13-01"
      text: x
`
	_, err := Parse([]byte(src), "p.yaml")
	expectProblems(t, err, []wantProblem{
		{5, "defaults.posts[0].at", "只能写一种"},
		{7, "defaults.posts[1].cron", "缺少发帖时间"},
		{10, "defaults.posts[2].at", "无效的时间"},
		{13, "defaults.posts[3].festival", "节假日表里没有「圣诞节」"},
		{16, "defaults.posts[4].countdown.to", "倒计时要写日期"},
		{19, "defaults.posts[5].time", "time 只用于"},
		{22, "defaults.posts[6].festival", "节日帖不能"},
		{25, "defaults.posts[7].annual", "无效的日期"},
	}, false)
	if !strings.Contains(err.Error(), "春节") {
		t.Errorf("an unknown festival lists the known ones:\n%v", err)
	}
}

func TestDatedPostsParse(t *testing.T) {
	cfg, err := Parse([]byte(`defaults:
  posts:
    - {name: a, at: "2026-12-24 20:00", text: x}
    - {name: b, festival: 过年, time: "10:30"}
    - {name: c, annual: "2025-03-01", text: "{{.Years}}"}
    - {name: d, cron: "0 9 * * *", countdown: {to: 2026-12-31, event: 共读结束}, workdays_only: true}
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Defaults.Posts
	if p[0].At.In(time.UTC) != time.Date(2026, 12, 24, 20, 0, 0, 0, time.UTC) || p[1].Time.String() != "10:30" ||
		p[2].Annual.Year != 2025 || p[2].Annual.String() != "2025-03-01" || p[3].Countdown.To.String() != "2026-12-31" || !p[3].WorkdaysOnly {
		t.Errorf("parsed: %+v", p)
	}
	if CountdownText("共读结束", 3) != "距离共读结束还有 3 天" || CountdownText("共读结束", 0) != "今天就是共读结束" {
		t.Error("countdown wording")
	}
}

func TestCommunityValidation(t *testing.T) {
	src := `defaults:
  vote: {who_can_start: 群主}
  chain: {max_entries: 500}
  lottery: {max_winners: 0}
  post_cap: {daily: -1}
  reports:
    alerts:
      group_size: {warn_at: 500, full_at: 450}
      member_tiers: {core_days: 3, active_days: 4}
`
	_, err := Parse([]byte(src), "c.yaml")
	expectProblems(t, err, []wantProblem{
		{2, "defaults.vote.who_can_start", "admins"},
		{3, "defaults.chain.max_entries", "应在 2 到 300 之间"},
		{4, "defaults.lottery.max_winners", "应在 1 到 100 之间"},
		{5, "defaults.post_cap.daily", "应在 0 到 100 之间"},
		{8, "defaults.reports.alerts.group_size", "warn_at < full_at"},
		{9, "defaults.reports.alerts.member_tiers.core_days", "应大于 active_days"},
	}, false)
}

// A holiday file replaces the built-in years it names; a broken one is a config error with
// the file's own line, never a silently wrong calendar.
func TestHolidaysFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "h.yaml")
	os.WriteFile(good, []byte("years:\n  - year: 2028\n    status: official\n    holidays:\n      - {name: 春节, date: 2028-01-26, off: [2028-01-25, 2028-01-31]}\n"), 0o644)
	cfg, err := Parse([]byte("holidays_file: "+good+"\ndefaults:\n  posts:\n    - {name: a, festival: 春节}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := cfg.Holidays.Festival("春节", 2028); !ok || d != "2028-01-26" {
		t.Errorf("2028 from the file: %q %v", d, ok)
	}
	if w := cfg.Warnings(time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), true); len(w) != 0 {
		t.Errorf("2028 is known now: %v", w)
	}
	if w := cfg.Warnings(time.Date(2029, 3, 1, 0, 0, 0, 0, time.UTC), true); len(w) != 1 || !strings.Contains(w[0], "没有 2029 年") {
		t.Errorf("2029 is missing: %v", w)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("years:\n  - year: 2028\n    status: maybe\n"), 0o644)
	_, err = Parse([]byte("holidays_file: "+bad+"\n"), "c.yaml")
	expectProblems(t, err, []wantProblem{{1, "holidays_file", "status 只能是"}}, true)
	_, err = Parse([]byte("holidays_file: "+filepath.Join(dir, "nope.yaml")+"\n"), "c.yaml")
	expectProblems(t, err, []wantProblem{{1, "holidays_file", "读不了节假日表"}}, true)
	// Without posts that rely on the table, a missing year is nothing to warn about.
	plain, _ := Parse([]byte(""), "c.yaml")
	if w := plain.Warnings(time.Date(2029, 3, 1, 0, 0, 0, 0, time.UTC), false); len(w) != 0 {
		t.Errorf("no holiday posts, no warning: %v", w)
	}
}
