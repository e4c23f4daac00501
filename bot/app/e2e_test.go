package app

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qunbot"
	"qunbot/bot"
	"qunbot/bot/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output (review the diff!)")

// line is one JSON output line of the simulator.
type line map[string]any

func (l line) str(k string) string { s, _ := l[k].(string); return s }

func (l line) mentions() []string {
	var out []string
	for _, m := range l["mentions"].([]any) {
		out = append(out, m.(string))
	}
	return out
}

type simRun struct {
	out   string
	lines []line
}

func exampleConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Parse(qunbot.ExampleConfig, "config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.AllGroups, cfg.AllGroupsSet = true, true // as `bot sim` without --config
	return cfg
}

// runScript runs a script through the real CLI path (app.NewSim + Runner) and parses its
// JSON lines.
func runScript(t testing.TB, cfg *config.Config, dbPath, script string, canRemove bool) simRun {
	t.Helper()
	if cfg == nil {
		cfg = exampleConfig(t)
	}
	if dbPath == "" {
		dbPath = ":memory:"
	}
	var out bytes.Buffer
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 0, 0, 0, 0, cfg.Location))
	s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: dbPath, JSON: true, CanRemove: canRemove, Out: &out,
		Logger: testLogger(t)}, clock, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Runner.RunScript(context.Background(), strings.NewReader(script)); err != nil {
		t.Fatalf("script failed: %v", err)
	}
	return parseOut(t, out.String())
}

// parseOut reads the simulator's JSON lines.
func parseOut(t testing.TB, out string) simRun {
	t.Helper()
	r := simRun{out: out}
	for _, raw := range strings.Split(strings.TrimSpace(out), "\n") {
		if raw == "" {
			continue
		}
		var l line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("output is not JSON lines: %q: %v", raw, err)
		}
		r.lines = append(r.lines, l)
	}
	return r
}

func (r simRun) kind(k string) []line {
	var out []line
	for _, l := range r.lines {
		if l.str("kind") == k {
			out = append(out, l)
		}
	}
	return out
}

func TestWelcomeNamesTheNewcomer(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:00\n@group 测试群\n+王五\n", false)
	sends := r.kind("send")
	if len(sends) != 1 {
		t.Fatalf("want one welcome, got:\n%s", r.out)
	}
	s := sends[0]
	if s.str("group") != "测试群" || !strings.Contains(s.str("text"), "@王五") || strings.Join(s.mentions(), ",") != "王五" {
		t.Fatalf("welcome must be in 测试群 and mention 王五: %v", s)
	}
	if !strings.Contains(s.str("text"), "测试群") || !strings.Contains(s.str("text"), "自我介绍") {
		t.Errorf("welcome should name the group and ask for an introduction: %q", s.str("text"))
	}
	if s.str("time") != "2026-11-21T08:00:00+08:00" {
		t.Errorf("time = %s: a pending welcome is flushed at the end of the script", s.str("time"))
	}
}

func TestFiveJoinsInAMinuteGetOneWelcome(t *testing.T) {
	script := `@time 2026-11-21 08:00
@group 读书会
+甲
@advance 10s
+乙 by 甲
@advance 10s
+丙
@advance 10s
+丁
@advance 20s
+戊
@advance 5m
`
	r := runScript(t, nil, "", script, false)
	sends := r.kind("send")
	if len(sends) != 1 {
		t.Fatalf("want exactly one welcome for five joins in a minute, got %d:\n%s", len(sends), r.out)
	}
	if got := strings.Join(sends[0].mentions(), ","); got != "甲,乙,丙,丁,戊" {
		t.Errorf("mentions = %s", got)
	}
	for _, n := range []string{"甲", "乙", "丙", "丁", "戊"} {
		if !strings.Contains(sends[0].str("text"), "@"+n) {
			t.Errorf("welcome does not name %s: %q", n, sends[0].str("text"))
		}
	}
	if sends[0].str("time") != "2026-11-21T08:01:00+08:00" {
		t.Errorf("the batch closes one minute after the first join, got %s", sends[0].str("time"))
	}
}

func TestJoinsInSeparateWindowsGetSeparateWelcomes(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:00\n@group 读书会\n+甲\n@advance 2m\n+乙\n@advance 2m\n", false)
	sends := r.kind("send")
	if len(sends) != 2 || sends[0].mentions()[0] != "甲" || sends[1].mentions()[0] != "乙" {
		t.Fatalf("want two welcomes (甲, then 乙):\n%s", r.out)
	}
}

func TestNicknameIsDataNotTemplate(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:00\n@group 读书会\n+{{.Rules}}\n+{{panic}}\n+{{template \"x\"}}\n", false)
	sends := r.kind("send")
	if len(sends) != 1 {
		t.Fatalf("want one welcome:\n%s", r.out)
	}
	text := sends[0].str("text")
	for _, literal := range []string{"@{{.Rules}}", "@{{panic}}", `@{{template "x"}}`} {
		if !strings.Contains(text, literal) {
			t.Errorf("nickname %q must be printed literally; text: %q", literal, text)
		}
	}
}

func TestWelcomeDisabledPerGroup(t *testing.T) {
	cfg, err := config.Parse([]byte("all_groups: true\ngroups:\n  安静群:\n    welcome: {enabled: false}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := runScript(t, cfg, "", "@time 2026-11-21 08:00\n@group 安静群\n+王五\n@group 热闹群\n+赵六\n@advance 2m\n", false)
	sends := r.kind("send")
	if len(sends) != 1 || sends[0].str("group") != "热闹群" {
		t.Fatalf("only 热闹群 welcomes:\n%s", r.out)
	}
}

// A family group not listed is untouched by `bot run`'s default: 妈妈's 「加我微信」 is
// nobody's business (it used to be warned).
func TestUnlistedFamilyGroupIsUntouched(t *testing.T) {
	cfg, err := config.Parse([]byte("groups:\n  读书会: {}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.RunDefaults()
	r := runScript(t, cfg, "", "@time 2026-11-21 08:00\n@group 家人群\n+小侄女\n妈妈: 加我微信 mama1234，给你发照片\n妈妈: 签到\n@advance 2m\n", false)
	if len(r.lines) != 0 {
		t.Fatalf("the bot does nothing in a group it does not manage:\n%s", r.out)
	}
}

func TestUnmanagedGroupIsIgnored(t *testing.T) {
	cfg, err := config.Parse([]byte("all_groups: false\ngroups:\n  读书会: {}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := runScript(t, cfg, "", "@time 2026-11-21 08:00\n@group 家人群\n+二舅\n二舅: 群规\n@group 读书会\n+王五\n@advance 2m\n", false)
	for _, s := range r.kind("send") {
		if s.str("group") == "家人群" {
			t.Fatalf("the bot must stay silent in an unmanaged group:\n%s", r.out)
		}
	}
	if len(r.kind("send")) != 1 {
		t.Fatalf("读书会 still gets its welcome:\n%s", r.out)
	}
}

func TestWelcomeSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	// First run: the join is recorded; the process "dies" before the batch closes. We
	// simulate the crash by running the engine without its graceful Stop.
	cfg := exampleConfig(t)
	var out bytes.Buffer
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 8, 0, 0, 0, cfg.Location))
	s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: db, JSON: true, Out: &out, Logger: testLogger(t)}, clock, "s")
	if err != nil {
		t.Fatal(err)
	}
	steps := "@time 2026-11-21 08:00\n@group 读书会\n+王五\n"
	for i, l := range strings.Split(strings.TrimSpace(steps), "\n") {
		st, err := parseLine(i+1, l, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Runner.Step(context.Background(), st); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if sent := parseOut(t, out.String()).kind("send"); len(sent) != 0 {
		t.Fatalf("nothing is sent before the batch closes: %s", out.String())
	}
	// Second run on the same DB, later: the pending welcome is re-armed and sent once.
	r := runScript(t, cfg, db, "@time 2026-11-21 08:05\n@group 读书会\n", false)
	sends := r.kind("send")
	if len(sends) != 1 || sends[0].mentions()[0] != "王五" {
		t.Fatalf("the welcome pending at the crash must be sent after restart:\n%s", r.out)
	}
	// Third run: already welcomed, nothing more.
	r = runScript(t, cfg, db, "@time 2026-11-21 09:00\n@group 读书会\n", false)
	if len(r.kind("send")) != 0 {
		t.Fatalf("a welcome must never be sent twice:\n%s", r.out)
	}
}

func TestReplayedScriptChangesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	script := "@time 2026-11-21 08:00\n@group 读书会\n+王五\n王五: 群规\n@advance 2m\n"
	first := runScript(t, nil, db, script, false)
	if len(first.kind("send")) != 2 {
		t.Fatalf("first run: welcome + rules:\n%s", first.out)
	}
	again := runScript(t, nil, db, script, false)
	if len(again.lines) != 0 {
		t.Fatalf("the same message ids again are replays and must change nothing:\n%s", again.out)
	}
}

// A script's message ids come from its own lines, not their numbers: another script run on
// the same database is new, and a script with lines added at its end replays the old lines
// and runs the new ones.
func TestAnotherScriptOnTheSameDatabaseIsNew(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	first := runScript(t, nil, db, "@time 2026-11-21 08:00\n@group 读书会\n+王五\n王五: 签到\n@advance 2m\n", false)
	var checkins []line
	for _, p := range first.kind("points") {
		if p.str("reason") == "checkin" {
			checkins = append(checkins, p)
		}
	}
	if len(checkins) != 1 {
		t.Fatalf("first script: want the check-in's points:\n%s", first.out)
	}
	// Line 4 again, but another message.
	next := "@time 2026-11-21 09:00\n@group 读书会\n# 第二段\n王五: 积分\n"
	second := runScript(t, nil, db, next, false)
	if sends := second.kind("send"); len(sends) != 1 || !strings.Contains(sends[0].str("text"), "20 积分") {
		t.Fatalf("another script on the same database: want the answer to 积分 with the first's 20 points (gift and check-in):\n%s", second.out)
	}
	if again := runScript(t, nil, db, next, false); len(again.lines) != 0 {
		t.Fatalf("the second script again must be a replay:\n%s", again.out)
	}
	longer := runScript(t, nil, db, next+"王五: 排行榜\n", false)
	if sends := longer.kind("send"); len(sends) != 1 || !strings.Contains(sends[0].str("text"), "排行榜") {
		t.Fatalf("the second script with a line added at its end: want only the new line's answer:\n%s", longer.out)
	}
}

func TestOwnerConsole(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:00\n@group 读书会\n王五: 你好\n> 状态\n> 乱码命令\n", false)
	dms := r.kind("dm")
	if len(dms) != 2 || dms[0].str("to") != "filehelper" || !strings.Contains(dms[0].str("text"), "读书会") {
		t.Fatalf("状态 answers in the file helper:\n%s", r.out)
	}
	if !strings.Contains(dms[1].str("text"), "未知命令") || !strings.Contains(dms[1].str("text"), "帮助") {
		t.Errorf("an unknown console command says what to do: %q", dms[1].str("text"))
	}
}

func TestMemberCannotUseOwnerCommands(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:00\n@group 读书会\n王五: 状态\n王五: status\n", false)
	// In a group the console command is plain chat: "status" may earn a message point,
	// nothing else happens.
	if len(r.lines) != len(r.kind("points")) {
		t.Fatalf("a member typing an owner command changes nothing and gets no answer:\n%s", r.out)
	}
}

func TestCommandCooldown(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:00\n@group 读书会\n王五: 群规\n王五: 群规\n王五: rules\n@advance 31s\n王五: 群规\n", false)
	if n := len(r.kind("send")); n != 2 {
		t.Fatalf("one answer per 30 s cooldown: want 2 sends, got %d:\n%s", n, r.out)
	}
}

func TestChatIsNotACommand(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:00\n@group 读书会\n王五: 群规是什么呀\n王五: 帮助一下我\n", false)
	// Chat earns message points like any chat; the bot must not answer it.
	if len(r.lines) != len(r.kind("points")) || len(r.kind("points")) != 2 {
		t.Fatalf("chat that merely starts with a command word is chat:\n%s", r.out)
	}
}

func TestGolden(t *testing.T) { runGoldens(t, "testdata/*.script") }

// runGoldens runs every script matching glob and compares its JSON output with the
// .golden file beside it. A script runs with the example config, or with the .yaml of the
// same name when there is one; "# flags: --can-remove" in a script gives the platform
// removal. -update rewrites the goldens (review the diff: goldens are the spec).
func runGoldens(t *testing.T, glob string) {
	scripts, _ := filepath.Glob(glob)
	if len(scripts) == 0 {
		t.Fatalf("no golden scripts match %s", glob)
	}
	for _, path := range scripts {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg := exampleConfig(t)
			if yml := strings.TrimSuffix(path, ".script") + ".yaml"; fileExists(yml) {
				if cfg, err = config.Load(yml); err != nil {
					t.Fatal(err)
				}
			}
			canRemove := strings.Contains(string(src), "# flags: --can-remove")
			got := runScript(t, cfg, "", string(src), canRemove).out
			golden := strings.TrimSuffix(path, ".script") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it, then review it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s\n--- got ---\n%s\n--- want ---\n%s", golden, got, want)
			}
		})
	}
}

func TestCooldownIsPerCommandAndArguments(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:00\n@group 读书会\n王五: 兑换\n王五: 兑换 1\n王五: 兑换 1\n王五: 兑换  1\n", false)
	if n := len(r.kind("send")); n != 2 {
		t.Fatalf("兑换 and 兑换 1 are different questions; repeats of 兑换 1 are throttled: want 2 answers, got %d:\n%s", n, r.out)
	}
}

// The dashboard's demo (README) is an owner's first look: ordinary names and a month of
// ordinary life, not the security fixture (bot/web/testdata/dashboard.script keeps its
// hostile names for the tests).
func TestDashboardDemoIsFriendly(t *testing.T) {
	src, err := os.ReadFile("../../examples/dashboard.script")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<", "{{", "\u202e", "坏群"} {
		if strings.Contains(string(src), bad) {
			t.Errorf("the demo script contains %q", bad)
		}
	}
	r := runScript(t, nil, "", string(src), false)
	var request bool
	for _, d := range r.kind("dm") {
		request = request || strings.Contains(d.str("text"), "请把「")
	}
	if !request || len(r.kind("points")) == 0 || len(r.kind("penalty")) == 0 {
		t.Fatalf("the demo shows check-ins, penalties and a removal request:\n%s", r.out)
	}
}

// 状态 tells the truth: who waits to be removed and who is muted, the last reload and how
// it went, the login, what was sent and failed today, and the next jobs. It used to say
// 「运行中 … 5 人（管理中）」 while two removals were pending and a reload had just failed.
func TestStatusTellsTheTruth(t *testing.T) {
	r := runScript(t, nil, "", `@time 2026-11-21 08:00
@group 读书会
王五: 加我微信 abc12345 兼职日结
@advance 11m
王五: 兼职刷单，日赚五百
赵六: 大家好
me: 移除 @赵六 广告号
> 重载配置
> 状态
me: 状态
`, false)
	dms := r.kind("dm")
	var console string
	for _, d := range dms {
		if strings.Contains(d.str("text"), "qunbot 状态") {
			console = d.str("text")
		}
	}
	for _, want := range []string{"模拟器", "配置：", "没有配置文件可以重载", "今天发出", "失败 0 条", "接下来：", "日报",
		"读书会：", "待移出 1 人：赵六（广告号", "禁言中 1 人：王五（到 09:11）"} {
		if !strings.Contains(console, want) {
			t.Errorf("console 状态 lacks %q:\n%s", want, console)
		}
	}
	var group string
	for _, s := range r.kind("send") {
		if strings.Contains(s.str("text"), "「读书会」状态") {
			group = s.str("text")
		}
	}
	if !strings.Contains(group, "待移出 1 人：赵六") || !strings.Contains(group, "禁言中 1 人：王五") {
		t.Errorf("the owner's 状态 in the group answers there, for that group:\n%s", r.out)
	}
}

// 帮助 in a group lists what members can use; the admin list goes to the console (owner)
// or is one 管理帮助 away (admins).
func TestHelpInAGroupListsMemberCommands(t *testing.T) {
	r := runScript(t, nil, "", `@time 2026-11-21 08:00
@group 读书会
王五: 帮助
赵六: 大家好
me: 设为管理员 @赵六
赵六: 帮助
赵六: 管理帮助
me: 帮助
`, false)
	sends := r.kind("send")
	var member, admin, adminList, owner string
	for _, s := range sends {
		text := s.str("text")
		switch {
		case strings.HasPrefix(text, "@王五") && strings.Contains(text, "可用命令"):
			member = text
		case strings.HasPrefix(text, "@赵六") && strings.Contains(text, "可用命令"):
			admin = text
		case strings.HasPrefix(text, "@赵六") && strings.Contains(text, "管理命令"):
			adminList = text
		case strings.HasPrefix(text, "可用命令"):
			owner = text
		}
	}
	for who, text := range map[string]string{"member": member, "admin": admin, "owner": owner} {
		if !strings.Contains(text, "签到") || strings.Contains(text, "警告 @成员") || strings.Contains(text, "禁言 @成员") {
			t.Errorf("%s's 帮助 in the group lists member commands only:\n%s", who, text)
		}
	}
	if !strings.Contains(admin, "管理帮助") || !strings.Contains(adminList, "警告 @成员") {
		t.Errorf("an admin is pointed to 管理帮助, which lists the admin commands:\n%s\n%s", admin, adminList)
	}
	var console bool
	for _, d := range r.kind("dm") {
		console = console || strings.Contains(d.str("text"), "警告 @成员")
	}
	if !console || !strings.Contains(owner, "文件传输助手") {
		t.Errorf("the owner's admin list goes to the console:\n%s", r.out)
	}
}
