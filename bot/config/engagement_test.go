package config

import (
	"testing"
	"time"
)

func TestEngagementDefaults(t *testing.T) {
	cfg, err := Parse([]byte(""), "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Defaults
	if c := g.Checkin; !c.Enabled || c.Base != 10 || c.StreakBonus != 2 || c.MaxBonus != 10 || c.Makeup.Enabled || c.Makeup.Cost != 30 || c.Makeup.MaxDays != 3 {
		t.Errorf("checkin defaults: %+v", c)
	}
	if p := g.Points; !p.Enabled || p.PerMessage != 1 || p.MinChars != 5 || p.DailyCap != 20 || p.AdminMax != 10000 {
		t.Errorf("points defaults: %+v", p)
	}
	if !g.Redeem.Enabled || len(g.Redeem.Items) != 0 || len(g.AutoReplies) != 0 {
		t.Errorf("no catalogue and no auto-replies by default: %+v %+v", g.Redeem, g.AutoReplies)
	}
	if w := g.WeeklyTop; !w.Enabled || w.Cron.Spec != "0 9 * * 1" || w.Top != 3 || len(w.Awards) != 0 {
		t.Errorf("weekly_top defaults: %+v", w)
	}
}

// The example file must document the same defaults the code has: a group that sets
// nothing behaves the same with and without the example file.
func TestExampleDocumentsEngagementDefaults(t *testing.T) {
	builtin, err := Parse([]byte(""), "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := Load("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, e := builtin.Defaults, ex.Defaults
	if b.Checkin != e.Checkin || b.Points != e.Points || b.Redeem.Enabled != e.Redeem.Enabled || len(e.Redeem.Items) != 0 ||
		len(e.AutoReplies) != 0 || b.WeeklyTop.Cron.Spec != e.WeeklyTop.Cron.Spec || b.WeeklyTop.Top != e.WeeklyTop.Top || len(e.WeeklyTop.Awards) != 0 {
		t.Errorf("config.example.yaml defaults differ from the built-in ones")
	}
	g, _ := ex.ForGroup("读书会")
	if len(g.Redeem.Items) == 0 || len(g.AutoReplies) == 0 || g.AutoReplies[0].EffectiveCooldown() != 10*time.Minute {
		t.Errorf("the example group shows a catalogue and an auto-reply: %+v %+v", g.Redeem, g.AutoReplies)
	}
}

func TestAutoReplyParsing(t *testing.T) {
	cfg, err := Parse([]byte(`
defaults:
  auto_replies:
    - triggers: [怎么报名]
      reply: "{{.Mention}}看公告"
    - triggers: [群规在哪]
      match: 精确
      reply: "发「群规」"
      cooldown: 1h
`), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Defaults.AutoReplies
	if len(a) != 2 || a[0].Mode() != MatchContains || a[0].EffectiveCooldown() != DefaultAutoReplyCooldown ||
		a[1].Mode() != MatchExact || a[1].EffectiveCooldown() != time.Hour {
		t.Fatalf("auto replies: %+v", a)
	}
	if out, _ := a[0].Reply.Execute(AutoReplyData{Mention: "@{{.Group}} "}); out != "@{{.Group}} 看公告" {
		t.Errorf("names are data: %q", out)
	}
}

func TestEngagementMistakesAllReported(t *testing.T) {
	src := `defaults:
  checkin:
    base: -1
    makeup: {enabled: true, cost: 0}
  points:
    daily_cap: 99999999
    admin_max: 0
  redeem:
    items:
      - {name: "", cost: 0}
  auto_replies:
    - triggers: []
      match: sometimes
      reply: "{{.Nmae}}"
      cooldown: 1s
  weekly_top:
    cron: "every monday"
    top: 2
    awards: [30, 20, 10]
`
	_, err := Parse([]byte(src), "bad.yaml")
	expectProblems(t, err, []wantProblem{
		{3, "defaults.checkin.base", "应在 0 到"},
		{4, "defaults.checkin.makeup.cost", "应在 1 到"},
		{6, "defaults.points.daily_cap", "应在 0 到"},
		{7, "defaults.points.admin_max", "应在 1 到"},
		{10, "defaults.redeem.items[0].name", "商品名称不能为空"},
		{10, "defaults.redeem.items[0].cost", "所需积分"},
		{12, "defaults.auto_replies[0].triggers", "至少要有一个触发词"},
		{13, "defaults.auto_replies[0].match", "contains"},
		{14, "defaults.auto_replies[0].reply", "模板无法执行"},
		{15, "defaults.auto_replies[0].cooldown", "10s 到 7d"},
		{17, "defaults.weekly_top.cron", "无效的 cron"},
		{19, "defaults.weekly_top.awards", "奖励有 3 项"},
	}, false)
}
