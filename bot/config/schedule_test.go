package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestScheduleDefaults(t *testing.T) {
	cfg, err := Parse(nil, "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Defaults
	if len(g.Posts) != 0 {
		t.Errorf("no built-in posts: %+v", g.Posts)
	}
	s := g.Silent
	if !s.Enabled || s.Check.Spec != "0 10 * * *" || s.MaxPerDay != 20 ||
		s.Remind.After.D() != 7*24*time.Hour || s.Benefit.After.D() != 15*24*time.Hour || s.Remove.After.D() != 30*24*time.Hour ||
		s.Remove.Action != ActionRequest {
		t.Errorf("silent defaults (the seeds' 7/15/30 days, removal requested): %+v", s)
	}
	if g.Screening.Enabled || g.Screening.Timeout.D() != 10*time.Minute || g.Screening.MinIntro != 10 {
		t.Errorf("screening: off, 10m, 10 characters: %+v", g.Screening)
	}
	r := g.Reports
	if !r.Daily.Enabled || r.Daily.Cron.Spec != "0 22 * * *" || !r.Weekly.Enabled || r.Weekly.Cron.Spec != "30 9 * * 1" {
		t.Errorf("reports daily 22:00, weekly Monday 09:30: %+v", r)
	}
	a := r.Alerts
	if a.LowDailyActive.BelowPercent != 15 || a.LowDailyActive.Days != 3 || a.LowWeeklyMessages.BelowPer100 != 120 ||
		a.HighLeaveRate.AbovePercent != 5 || a.NegativeGrowth.Weeks != 2 {
		t.Errorf("alert thresholds from the seeds: %+v", a)
	}
}

// The example config documents every setting with its default: its values must be the
// built-in ones (except the example post).
func TestExampleScheduleSectionsMatchDefaults(t *testing.T) {
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data, "config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ex, def := cfg.Defaults, Default().Defaults
	if len(ex.Posts) != 1 || ex.Posts[0].Cron.Spec != "0 8 * * *" || ex.Posts[0].Name == "" {
		t.Errorf("the example holds a named morning post at 08:00: %+v", ex.Posts)
	}
	if ex.Silent.Remind.Template.Source != def.Silent.Remind.Template.Source ||
		ex.Silent.Benefit.Template.Source != def.Silent.Benefit.Template.Source ||
		ex.Screening.Prompt.Source != def.Screening.Prompt.Source ||
		ex.Screening.Reminder.Source != def.Screening.Reminder.Source ||
		ex.Screening.Passed.Source != def.Screening.Passed.Source {
		t.Error("the example's templates must be the built-in ones")
	}
	ex.Silent.Remind.Template, ex.Silent.Benefit.Template = def.Silent.Remind.Template, def.Silent.Benefit.Template
	ex.Screening.Prompt, ex.Screening.Reminder, ex.Screening.Passed = def.Screening.Prompt, def.Screening.Reminder, def.Screening.Passed
	if ex.Silent.Check.Spec != def.Silent.Check.Spec || ex.Reports.Daily.Cron.Spec != def.Reports.Daily.Cron.Spec ||
		ex.Reports.Weekly.Cron.Spec != def.Reports.Weekly.Cron.Spec {
		t.Error("cron specs differ from the defaults")
	}
	ex.Silent.Check, ex.Reports.Daily.Cron, ex.Reports.Weekly.Cron = def.Silent.Check, def.Reports.Daily.Cron, def.Reports.Weekly.Cron
	if ex.Silent != def.Silent {
		t.Errorf("silent:\nexample %+v\ndefault %+v", ex.Silent, def.Silent)
	}
	if ex.Reports != def.Reports {
		t.Errorf("reports:\nexample %+v\ndefault %+v", ex.Reports, def.Reports)
	}
	if ex.Screening.Enabled || ex.Screening.Timeout != def.Screening.Timeout || ex.Screening.MinIntro != def.Screening.MinIntro ||
		len(ex.Screening.Keywords) != 0 {
		t.Errorf("screening: %+v", ex.Screening)
	}
	if cfg.Scheduler.Grace.D() != 30*time.Minute {
		t.Errorf("scheduler.grace = %v", cfg.Scheduler.Grace)
	}
}

func TestScheduleMistakesReportedWithLines(t *testing.T) {
	dir := t.TempDir()
	src := `defaults:
  posts:
    - cron: "0 8 * * *"
      items_file: ` + filepath.Join(dir, "missing.txt") + `
    - name: 话题
      cron: "0 20 * * *"
      text: "今天聊聊"
      items: [书, 电影]
      order: random
    - name: 话题
      text: "hi"
      weekdays:
        mnd: "周一"
  silent:
    benefit:
      after: 5d
    remove:
      action: kick
  screening:
    enabled: true
    min_intro: 0
  reports:
    top: 99
`
	_, err := Parse([]byte(src), "s.yaml")
	expectProblems(t, err, []wantProblem{
		{4, "defaults.posts[0].items_file", "missing.txt"},
		{7, "defaults.posts[1].text", "{{.Item}}"},
		{9, "defaults.posts[1].order", "shuffle"},
		{10, "defaults.posts[2].name", "重复"},
		{10, "defaults.posts[2].cron", "cron"},
		{13, "defaults.posts[2].weekdays.mnd", "mon"}, // typo: suggests the right key
		{16, "defaults.silent.benefit.after", "remind"},
		{18, "defaults.silent.remove.action", "request"},
		{19, "defaults.screening", "keywords"},
		{23, "defaults.reports.top", "20"},
	}, true)
}

func TestPostItemsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quotes.txt")
	if err := os.WriteFile(path, []byte("# 每日一句\n\n第一句\n  第二句  \n#注释\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse([]byte("defaults:\n  posts:\n    - cron: \"0 8 * * *\"\n      items_file: "+path+"\n"), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	items, err := ReadItems(cfg.Defaults.Posts[0].ItemsFile)
	if err != nil || strings.Join(items, "|") != "第一句|第二句" {
		t.Fatalf("items = %q, %v", items, err)
	}
	if err := os.WriteFile(path, []byte("# 只有注释\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse([]byte("defaults:\n  posts:\n    - cron: \"0 8 * * *\"\n      items_file: "+path+"\n"), "f.yaml"); err == nil ||
		!strings.Contains(err.Error(), "f.yaml:4") || !strings.Contains(err.Error(), "没有内容") {
		t.Fatalf("an empty items file is an error naming the line: %v", err)
	}
}

func TestPostIDs(t *testing.T) {
	if (Post{Name: "早安"}).ID(0) != "早安" || (Post{}).ID(1) != "#2" {
		t.Fatal("posts are known by name, else by place")
	}
	if _, err := Parse([]byte("defaults:\n  posts:\n    - name: \"#1\"\n      cron: \"@daily\"\n      text: hi\n"), "p.yaml"); err == nil {
		t.Fatal("a name that looks like a place is refused")
	}
}

func TestCronInWords(t *testing.T) {
	for spec, want := range map[string]string{
		"0 9 * * 1": "每周一 09:00", "30 9 * * 1": "每周一 09:30", "0 8 * * *": "每天 08:00", "0 22 * * *": "每天 22:00",
		"0 20 * * 1-5": "工作日 20:00", "0 10 * * 6,0": "每周末 10:00", "0 9 * * 1,3,5": "每周一、三、五 09:00",
		"0 8,20 * * *": "每天 08:00、20:00", "0 9 1 * *": "每月 1 日 09:00", "*/30 * * * *": "每 30 分钟",
		"0 * * * *": "每小时整点", "0 0 9 * * 1": "每周一 09:00", "@daily": "每天 00:00", "@weekly": "每周日 00:00",
		"@every 2h": "每隔 2小时", "0 9 1-7 * 1": "cron 0 9 1-7 * 1", "0 9 * 12 *": "cron 0 9 * 12 *",
	} {
		if got := CronWords(spec); got != want {
			t.Errorf("CronWords(%q) = %q, want %q", spec, got, want)
		}
	}
}
