package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestExampleConfigIsValid(t *testing.T) {
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data, "config.example.yaml")
	if err != nil {
		t.Fatalf("the example config must be valid:\n%v", err)
	}
	if cfg.Location == nil || cfg.Location.String() != "Asia/Shanghai" {
		t.Fatalf("timezone = %v", cfg.Location)
	}
	g, managed := cfg.ForGroup("读书会")
	if !managed || !strings.Contains(g.RulesText, "读书") {
		t.Fatalf("读书会 override not applied: %+v", g)
	}
	if g.Welcome.BatchWindow.D() != time.Minute {
		t.Fatalf("读书会 must inherit batch_window from defaults, got %v", g.Welcome.BatchWindow)
	}
	if _, managed := cfg.ForGroup("别的群"); managed {
		t.Fatalf("the example is for a real account: an unlisted group is not managed (all_groups: false)")
	}
	cfg.AllGroups = true
	other, managed := cfg.ForGroup("别的群")
	if !managed || other.RulesText == g.RulesText {
		t.Fatalf("with all_groups: true an unlisted group gets the defaults")
	}
}

func TestThreeMistakesAllReportedWithLines(t *testing.T) {
	src := `timezone: Mars/Olympus
defaults:
  welcome:
    batch_window: soon
    templat: "hi"
`
	_, err := Parse([]byte(src), "bad.yaml")
	cerr := expectProblems(t, err, []wantProblem{
		{1, "timezone", "未知的时区"},
		{4, "defaults.welcome.batch_window", "无效的时长"},
		{5, "defaults.welcome.templat", "template"}, // suggestion names the right key
	}, true)
	for i := 1; i < len(cerr.Problems); i++ {
		if cerr.Problems[i].Line < cerr.Problems[i-1].Line {
			t.Errorf("problems must be listed in line order:\n%v", err)
		}
	}
	if !strings.Contains(err.Error(), "bad.yaml:4: defaults.welcome.batch_window") {
		t.Errorf("message must name file:line: key, got:\n%v", err)
	}
}

func TestBadTemplateAndTypes(t *testing.T) {
	src := `outbox:
  per_minute: lots
groups:
  读书会:
    welcome:
      template: "欢迎 {{.Nmae}}"
  二群:
    welcome:
      template: "欢迎 {{if}}"
`
	_, err := Parse([]byte(src), "c.yaml")
	cerr, ok := AsError(err)
	if !ok {
		t.Fatalf("want config error, got %v", err)
	}
	text := err.Error()
	for _, want := range []string{
		"c.yaml:2: outbox.per_minute", "整数",
		"c.yaml:6: groups.读书会.welcome.template", "Nmae",
		"c.yaml:9: groups.二群.welcome.template", "模板语法错误",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("error should mention %q:\n%s", want, text)
		}
	}
	if len(cerr.Problems) != 3 {
		t.Errorf("want 3 problems, got %d:\n%s", len(cerr.Problems), text)
	}
}

func TestSyntaxError(t *testing.T) {
	_, err := Parse([]byte("timezone: [oops\n"), "s.yaml")
	if err == nil || !strings.Contains(err.Error(), "s.yaml") {
		t.Fatalf("want a syntax error naming the file, got %v", err)
	}
}

func TestEmptyFileUsesDefaults(t *testing.T) {
	cfg, err := Parse(nil, "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timezone != "Asia/Shanghai" || !cfg.Defaults.Welcome.Enabled || cfg.Storage.Path != "data/qunbot.db" {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestGroupOverridesDoNotLeak(t *testing.T) {
	src := `defaults:
  rules_text: 默认群规
groups:
  甲:
    rules_text: 甲的群规
    welcome: {enabled: false}
  乙: {}
`
	cfg, err := Parse([]byte(src), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cfg.ForGroup("甲")
	b, _ := cfg.ForGroup("乙")
	if a.RulesText != "甲的群规" || a.Welcome.Enabled {
		t.Errorf("甲 = %+v", a)
	}
	if b.RulesText != "默认群规" || !b.Welcome.Enabled {
		t.Errorf("乙 must keep the defaults, got %+v", b)
	}
}

func TestAllGroupsOff(t *testing.T) {
	cfg, err := Parse([]byte("all_groups: false\ngroups:\n  读书会: {}\n  家人群: {enabled: false}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.ForGroup("读书会"); !ok {
		t.Error("a listed group is managed")
	}
	if _, ok := cfg.ForGroup("家人群"); ok {
		t.Error("a disabled group is not managed")
	}
	if _, ok := cfg.ForGroup("陌生群"); ok {
		t.Error("with all_groups: false an unlisted group is not managed")
	}
}

func TestDurations(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90s", 90 * time.Second, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"d", 0, false},
		{"-5m", 0, false},
		{"abc", 0, false},
		{"", 0, false},
		{"99999999d", 0, false},
	} {
		got, err := ParseDuration(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if s := FormatDuration(36 * time.Hour); s != "1d12h" {
		t.Errorf("FormatDuration = %q", s)
	}
	if s := FormatDuration(time.Hour); s != "1h" {
		t.Errorf("FormatDuration(1h) = %q", s)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("want an error naming the file, got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	example, _ := os.ReadFile("../../config.example.yaml")
	f.Add(string(example))
	f.Add("timezone: Mars/X\ndefaults:\n  welcome:\n    template: '{{'\n")
	f.Add("groups:\n  a: [1, 2]\n")
	f.Add("defaults: &a\n  rules_text: x\ngroups:\n  b: *a\n")
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := Parse([]byte(src), "fuzz.yaml")
		if err == nil && cfg.Location == nil {
			t.Fatal("a valid config must have a location")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

// The default pace is a human's: the owner's account is the one at risk (issue 18).
func TestDefaultPacingIsHuman(t *testing.T) {
	o := Default().Outbox
	if o.PerMinute > 6 || o.PerMinute < 1 {
		t.Errorf("per_minute %d, want at most 6", o.PerMinute)
	}
	if o.GroupInterval.D() < 5*time.Second || o.Jitter.D() <= 0 {
		t.Errorf("group_interval %v + jitter %v, want at least 5 s per group with jitter", o.GroupInterval.D(), o.Jitter.D())
	}
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data, "config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Outbox != o {
		t.Errorf("config.example.yaml's outbox %+v differs from the defaults %+v", cfg.Outbox, o)
	}
}

// Durations read like the ladder's: an owner who writes 禁言 1小时 there writes 1分钟 here.
func TestChineseDurationsInTheFile(t *testing.T) {
	cfg, err := Parse([]byte("defaults:\n  welcome:\n    batch_window: 1分钟\n  moderation:\n    window: 30天\n    remind_every: 半小时\n    ladder: [警告, 禁言 1小时, 移出]\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Defaults.Moderation
	if cfg.Defaults.Welcome.BatchWindow.D() != time.Minute || m.Window.D() != 30*24*time.Hour || m.RemindEvery.D() != 30*time.Minute {
		t.Errorf("batch_window %v, window %v, remind_every %v", cfg.Defaults.Welcome.BatchWindow, m.Window, m.RemindEvery)
	}
	_, err = Parse([]byte("defaults:\n  welcome:\n    batch_window: 一会儿\n"), "c.yaml")
	if err == nil || !strings.Contains(err.Error(), "30分钟") {
		t.Errorf("a bad duration says how to write one in Chinese: %v", err)
	}
}

// Each mistake is reported once, without follow-on errors it causes.
func TestOneMistakeOneProblem(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"a bad cron of a group's post", "groups:\n  读书会:\n    posts:\n      - cron: \"0 8 * *\"\n        text: 早\n", "groups.读书会.posts[0].cron"},
		{"a bad cron in defaults, two groups", "defaults:\n  posts:\n    - cron: \"0 8 * *\"\n      text: 早\ngroups:\n  甲群: {}\n  乙群: {}\n", "defaults.posts[0].cron"},
		{"a bad weekly_top cron", "defaults:\n  weekly_top:\n    cron: bad\n", "defaults.weekly_top.cron"},
		{"a bad template", "defaults:\n  welcome:\n    template: '{{.Nope'\n", "defaults.welcome.template"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), "c.yaml")
			ce, ok := AsError(err)
			if !ok {
				t.Fatalf("want a config error, got %v", err)
			}
			if len(ce.Problems) != 1 || ce.Problems[0].Path != c.want {
				t.Fatalf("want one problem at %s, got:\n%v", c.want, err)
			}
		})
	}
}

// yaml.v3 cuts a long value inside a character ("某某\xe6..."): the message quotes the file.
func TestWrongTypeQuotesWholeCharacters(t *testing.T) {
	_, err := Parse([]byte("outbox:\n  per_minute: 某某某某某某某某某某某某某某某某某某某某某某\n"), "c.yaml")
	if err == nil || !utf8.ValidString(err.Error()) || !strings.Contains(err.Error(), "「某某某某某某某某某某某某某某某某某某某某…」") {
		t.Fatalf("want the value cut by characters, got %q", err)
	}
}

// A family group the file does not list is left alone by `bot run`'s default; a file that
// lists nothing and says nothing (a first try in the simulator) manages every group.
func TestUnlistedFamilyGroupIsUntouchedByDefault(t *testing.T) {
	for _, c := range []struct {
		name, src  string
		run        bool
		manageFam  bool
		manageBook bool
	}{
		{"groups listed, all_groups unsaid", "groups:\n  读书会: {}\n", false, false, true},
		{"the same under bot run", "groups:\n  读书会: {}\n", true, false, true},
		{"nothing listed, all_groups unsaid", "defaults:\n  welcome: {enabled: false}\n", false, true, true},
		{"nothing listed, under bot run", "defaults:\n  welcome: {enabled: false}\n", true, false, false},
		{"all_groups: true under bot run", "all_groups: true\ngroups:\n  读书会: {}\n", true, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.src), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if c.run {
				cfg.RunDefaults()
			}
			if _, ok := cfg.ForGroup("家人群"); ok != c.manageFam {
				t.Errorf("家人群 managed = %v, want %v", ok, c.manageFam)
			}
			if _, ok := cfg.ForGroup("读书会"); ok != c.manageBook {
				t.Errorf("读书会 managed = %v, want %v", ok, c.manageBook)
			}
		})
	}
}
