package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
)

const postAt = `timezone: Asia/Shanghai
defaults:
  posts:
    - name: 早安
      cron: "0 HOUR * * *"
      text: 早上好
  reports: {daily: {enabled: false}, weekly: {enabled: false}}
`

// TestHotReload edits the config file under a running simulator: the owner's 重载配置
// re-plans the post without doubling it; a broken edit keeps the running config and tells
// the owner every problem with its line.
func TestHotReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "qunbot.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(postAt, "HOUR", "8", 1))
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 7, 0, 0, 0, cfg.Location))
	s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: ":memory:", JSON: true, Out: &out, Logger: testLogger(t),
		Loader: func() (*config.Config, error) { return config.Load(path) }}, clock, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lineNo := 0 // script lines are message ids: keep them unique across calls
	run := func(script string) simRun {
		t.Helper()
		out.Reset()
		for _, l := range strings.Split(strings.TrimSpace(script), "\n") {
			lineNo++
			st, err := parseLine(lineNo, l, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Runner.Step(context.Background(), st); err != nil {
				t.Fatal(err)
			}
		}
		return parseOut(t, out.String())
	}
	r := run("@time 2026-11-21 07:00\n@group 读书会\n王五: 你好\n@advance 2h")
	if posts := r.kind("send"); len(posts) != 1 || !strings.HasSuffix(posts[0].str("time"), "T08:00:00+08:00") || posts[0].str("text") != "早上好" {
		t.Fatalf("first day: one post at 08:00:\n%s", r.out)
	}

	write(strings.Replace(postAt, "HOUR", "10", 1))
	r = run("> 重载配置\n@advance 26h")
	dms := r.kind("dm")
	if len(dms) == 0 || !strings.Contains(dms[0].str("text"), "配置已重载") {
		t.Fatalf("the owner is told the reload worked:\n%s", r.out)
	}
	morning := func(r simRun) []string {
		var times []string
		for _, p := range r.kind("send") {
			if p.str("text") == "早上好" {
				times = append(times, p.str("time"))
			}
		}
		return times
	}
	times := morning(r)
	if strings.Join(times, ",") != "2026-11-21T10:00:00+08:00,2026-11-22T10:00:00+08:00" {
		t.Fatalf("after the reload the post moves to 10:00, never doubled: %v\n%s", times, r.out)
	}

	write("timezone: Mars/Base\ndefaults:\n  welcome:\n    batch_window: soon\n")
	r = run("> 重载配置\n@advance 1d")
	dms = r.kind("dm")
	if len(dms) == 0 || !strings.Contains(dms[0].str("text"), "2 处错误") || !strings.Contains(dms[0].str("text"), "qunbot.yaml:1") ||
		!strings.Contains(dms[0].str("text"), "qunbot.yaml:4") {
		t.Fatalf("a broken edit is reported with every line:\n%s", r.out)
	}
	if posts := morning(r); len(posts) != 1 || posts[0] != "2026-11-23T10:00:00+08:00" {
		t.Fatalf("the running config stays in force after a broken edit:\n%s", r.out)
	}
	if st := s.Engine.ConfigStatus(); len(st.Errors) != 2 || st.Source != path {
		t.Fatalf("config status = %+v", st)
	}
}

func TestReloadWithEmbeddedConfigSaysWhy(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 07:00\n> 重载配置\n", false)
	if dms := r.kind("dm"); len(dms) != 1 || !strings.Contains(dms[0].str("text"), "--config") {
		t.Fatalf("reload without a file explains how to get one:\n%s", r.out)
	}
}

// A failed hot reload tells the owner exactly the lines `bot check` prints: one per
// mistake, none that follow from another (a bad cron in defaults, inherited by two groups,
// used to give three, two of them a false 「缺少发帖时间 cron」).
func TestFailedReloadReportsWhatCheckReports(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "qunbot.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(postAt, "HOUR", "8", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := "defaults:\n  posts:\n    - name: 早安\n      cron: \"0 8 * *\"\n      text: 早上好\ngroups:\n  读书会: {}\n  家长群: {}\n"
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	_, checkErr := config.Load(path)
	ce, ok := config.AsError(checkErr)
	if !ok || len(ce.Problems) != 1 || !strings.Contains(ce.Problems[0].Msg, "cron") || strings.Contains(checkErr.Error(), "缺少") {
		t.Fatalf("check: want the one bad cron, got %v", checkErr)
	}
	var out bytes.Buffer
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 7, 0, 0, 0, cfg.Location))
	s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: ":memory:", JSON: true, Out: &out, Logger: testLogger(t),
		Loader: func() (*config.Config, error) { return config.Load(path) }}, clock, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Runner.RunScript(context.Background(), strings.NewReader("@time 2026-11-21 07:00\n> 重载配置\n")); err != nil {
		t.Fatal(err)
	}
	r := parseOut(t, out.String())
	dms := r.kind("dm")
	if len(dms) != 1 {
		t.Fatalf("want one answer to 重载配置:\n%s", r.out)
	}
	got := strings.Split(dms[0].str("text"), "\n")[1:]
	want := []string{ce.Problems[0].String(ce.Source)}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || !strings.Contains(dms[0].str("text"), "1 处错误") {
		t.Fatalf("reload says\n%s\nwant the lines of check:\n%s", dms[0].str("text"), strings.Join(want, "\n"))
	}
	// 状态 says so too, with the same line.
	out.Reset()
	if err := s.Runner.RunScript(context.Background(), strings.NewReader("@time 2026-11-21 07:05\n> 状态\n")); err != nil {
		t.Fatal(err)
	}
	st := parseOut(t, out.String()).kind("dm")
	if len(st) != 1 || !strings.Contains(st[0].str("text"), "重载失败，仍在用原来的配置（1 处错误）") || !strings.Contains(st[0].str("text"), want[0]) {
		t.Fatalf("状态 after a failed reload:\n%s", out.String())
	}
}
