package config

import (
	"os"
	"strings"
	"testing"
)

// Every built-in text parses with its own placeholders: otherwise a default would render
// as its key.
func TestTextDefaultsParse(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range TextSpecs() {
		if seen[s.Key] {
			t.Errorf("text %q listed twice", s.Key)
		}
		seen[s.Key] = true
		if _, err := ParseText(s.Default, s.Vars); err != nil {
			t.Errorf("default of %q: %v", s.Key, err)
		}
	}
}

func TestTextRender(t *testing.T) {
	var ts Texts
	got := ts.Text("checkin.ok", Vars{"积分": "10", "连续天数": "1", "余额": "10", "排名": "1"})
	if want := "签到成功 ✅ +10 积分（连续 1 天）\n余额 10 分，排名第 1"; got != want {
		t.Errorf("optional lines: got %q, want %q", got, want)
	}
	got = ts.Text("checkin.ok", Vars{"积分": "10", "连续天数": "1", "打卡内容": "读了 30 页", "余额": "10", "排名": "1", "新人任务": "任务 1/3"})
	if want := "签到成功 ✅ +10 积分（连续 1 天）\n📖 读了 30 页\n余额 10 分，排名第 1\n任务 1/3"; got != want {
		t.Errorf("all lines: got %q, want %q", got, want)
	}
	if got := ts.Text("no.such.key", nil); got != "no.such.key" {
		t.Errorf("unknown key renders as itself: %q", got)
	}
	p, err := ParseText("{ 张{三} {a", []TextVar{{Name: "三"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Render(Vars{"三": "3"}); got != "{ 张3 {a" {
		t.Errorf("unclosed braces are literal: %q", got)
	}
}

func TestTextsConfig(t *testing.T) {
	cfg, err := Parse([]byte(`
defaults:
  texts:
    warn: "{成员}请注意：{原因}。"
    checkin.again: |
      今天签过啦，余额 {余额}
groups:
  读书会:
    texts:
      checkin.again: 读书会今天签过啦
  闲聊群: {}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := cfg.ForGroup("读书会")
	if got := g.Texts.Text("warn", Vars{"成员": "@王五 ", "原因": "广告"}); got != "@王五 请注意：广告。" {
		t.Errorf("defaults' text in a group: %q", got)
	}
	if got := g.Texts.Text("checkin.again", Vars{"余额": "3"}); got != "读书会今天签过啦" {
		t.Errorf("group's own text: %q", got)
	}
	g, _ = cfg.ForGroup("闲聊群")
	if got := g.Texts.Text("checkin.again", Vars{"余额": "3"}); got != "今天签过啦，余额 3" {
		t.Errorf("block text, trailing newline dropped: %q", got)
	}
	if got := cfg.Defaults.Texts.Text("mute_reminder", Vars{"成员": "@a ", "剩余": "5 分钟", "到期": "10:00", "后果": "禁言1天"}); !strings.HasPrefix(got, "@a 你在禁言中") {
		t.Errorf("unset keys keep the built-in text: %q", got)
	}
}

func TestTextsConfigErrors(t *testing.T) {
	_, err := Parse([]byte(`
defaults:
  texts:
    warn: "{昵称}注意：{理由}{{.Mentions}}"
    wran: 你好
    checkin.again: ""
`), "bad.yaml")
	if err == nil {
		t.Fatal("bad texts accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"bad.yaml:4: defaults.texts.warn", "{理由}", "{.Mentions}", "能用的变量有：{成员} {昵称} {原因} {后果}", "unknown placeholder",
		"bad.yaml:5", "「warn」", "bad.yaml:6", "不能为空",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestCommandWordsAndBoardsConfig(t *testing.T) {
	_, err := Parse([]byte(`
defaults:
  boards: {points: 0, active: 51}
  commands:
    rename: {签到: "报 到", 积分: 分数, 排行榜: 分数}
`), "w.yaml")
	if err == nil {
		t.Fatal("bad words and boards accepted")
	}
	for _, want := range []string{"defaults.boards.points", "defaults.boards.active", "「报 到」不能含空格", "都改成了「分数」"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	cfg, err := Parse([]byte("defaults:\n  commands: {rename: {签到: 报到}, off: [抽奖]}\n"), "ok.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Defaults.Commands
	if c.Renamed("签到") != "报到" || c.Renamed("打卡") != "打卡" || !c.CommandOff([]string{"Lottery", "抽奖"}) || c.CommandOff([]string{"投票"}) {
		t.Errorf("command words: %+v", c)
	}
	if b := cfg.Defaults.Boards; b.Points != 10 || b.Active != 10 || b.Invite != 10 {
		t.Errorf("board sizes default to 10: %+v", b)
	}
}

func TestAdminsConfig(t *testing.T) {
	_, err := Parse([]byte("defaults:\n  admins: [\"12345\", 张三]\n"), "a.yaml")
	if err == nil || !strings.Contains(err.Error(), "第 2 项「张三」不是 QQ 号") {
		t.Fatalf("a name is refused as an admin: %v", err)
	}
	cfg, err := Parse([]byte("defaults:\n  admins: [\"12345\"]\ngroups:\n  读书会:\n    admins: [\"678\"]\n  闲聊群: {}\n"), "a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := cfg.ForGroup("读书会")
	other, _ := cfg.ForGroup("闲聊群")
	if !cfg.ListedAdmin(g, "12345") || !cfg.ListedAdmin(g, "678") || cfg.ListedAdmin(other, "678") || cfg.ListedAdmin(g, "") {
		t.Error("admins: the defaults' in every group, a group's in that group")
	}
	if w := cfg.AdminWarnings(); len(w) != 1 || !strings.Contains(w[0], "只在 QQ") {
		t.Errorf("on WeChat bot check says the list is not used: %v", w)
	}
}

// The example file documents the owner's-words settings with their defaults: a group that
// sets nothing behaves the same with and without it.
func TestExampleDocumentsOwnerWords(t *testing.T) {
	builtin, err := Parse([]byte(""), "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := Load("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, e := builtin.Defaults, ex.Defaults
	if b.Boards != e.Boards || len(e.Admins) != 0 || len(e.Commands.Rename) != 0 || len(e.Commands.Off) != 0 ||
		e.Silent.Remind.Via != b.Silent.Remind.Via || e.Screening.Via != b.Screening.Via {
		t.Errorf("config.example.yaml differs from the built-in defaults: %+v %+v", e.Boards, e.Commands)
	}
	for _, s := range TextSpecs() {
		if e.Texts.Set(s.Key) {
			t.Errorf("the example sets text %q: its defaults are the built-in ones", s.Key)
		}
	}
}

// docs/TEXTS.md lists every text with its placeholders and default.
func TestTextsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/TEXTS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range TextSpecs() {
		if !strings.Contains(string(doc), "### `"+s.Key+"`") || !strings.Contains(string(doc), "```\n"+s.Default+"\n```") {
			t.Errorf("docs/TEXTS.md lacks %s or its default", s.Key)
		}
		for _, v := range s.Vars {
			if !strings.Contains(string(doc), "| `{"+v.Name+"}` | "+v.Doc+" |") {
				t.Errorf("docs/TEXTS.md lacks %s's placeholder {%s}", s.Key, v.Name)
			}
		}
	}
}

// Whatever an owner writes, parsing a text neither panics nor loses literal text.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{"", "{", "}", "{}", "{成员}", "{{.Mentions}}", "a{成员}b{原因", "{ 成员 }\n\n{后果}", "{\xff}"} {
		f.Add(s)
	}
	vars := []TextVar{{Name: "成员"}, {Name: "原因"}, {Name: "后果"}}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := ParseText(src, vars)
		if err != nil {
			return
		}
		if !strings.Contains(src, "{") && p.Render(nil) != src {
			t.Fatalf("text without placeholders changed: %q → %q", src, p.Render(nil))
		}
		_ = p.Render(Vars{"成员": "@a ", "原因": "x", "后果": "y"})
	})
}

// A Go template's unknown field is refused in every branch, not only in those the sample
// data takes; inside with and range the dot is something else.
func TestTemplateUnknownFieldsInEveryBranch(t *testing.T) {
	tm := MustTemplate("t", `{{if not .Count}}{{.Foo}}{{else}}{{.Names}}{{end}}{{with .Group}}{{.Whatever}}{{end}}{{range $i, $x := .Names}}{{.Y}}{{end}}{{.Bar}}`)
	got := unknownFields(tm, SampleSilent())
	if strings.Join(got, ",") != "Foo,Bar" {
		t.Fatalf("unknown fields: %v", got)
	}
	_, err := Parse([]byte("defaults:\n  silent:\n    remind: {template: \"{{if not .Count}}{{.Nmaes}}{{end}}你好\"}\n"), "s.yaml")
	if err == nil || !strings.Contains(err.Error(), "{{.Nmaes}}") || !strings.Contains(err.Error(), "{{.Names}}") {
		t.Fatalf("bot check refuses it: %v", err)
	}
}
