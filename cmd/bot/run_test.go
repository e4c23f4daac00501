package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/storage"
)

// bot run's default manages only the listed groups: a family group is left alone, and the
// start says so.
func TestRunManagesOnlyListedGroups(t *testing.T) {
	path := writeFile(t, "c.yaml", "groups:\n  读书会: {}\n  工作群: {enabled: false}\n")
	cfg, err := loadRunConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.ForGroup("家人群"); ok {
		t.Fatal("an unlisted family group is managed by bot run's default")
	}
	if got := configuredGroupsLine(cfg); !strings.Contains(got, "读书会") || strings.Contains(got, "工作群") {
		t.Errorf("start line: %q", got)
	}
	lines := strings.Join(groupPlanLines(cfg, []bot.GroupInfo{{Name: "家人群"}, {Name: "读书会"}, {Name: "工作群"}}, []string{"书友群"}, "没保存到通讯录"), "\n")
	for _, want := range []string{"管理 1 个群：读书会", "不管理 2 个群", "家人群、工作群", "没找到：书友群"} {
		if !strings.Contains(lines, want) {
			t.Errorf("after login, lacks %q:\n%s", want, lines)
		}
	}
	all, err := loadRunConfig(writeFile(t, "all.yaml", "all_groups: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := all.ForGroup("家人群"); !ok || !strings.Contains(configuredGroupsLine(all), "每个群") {
		t.Error("all_groups: true manages every group")
	}
	none, err := loadRunConfig(writeFile(t, "none.yaml", "defaults:\n  welcome: {enabled: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := none.ForGroup("家人群"); ok || !strings.Contains(configuredGroupsLine(none), "不会管理任何群") {
		t.Error("a config that lists no group manages none under bot run, and says how to fix it")
	}
}

// The simulator without --config still manages every group it sees.
func TestSimWithoutConfigManagesEveryGroup(t *testing.T) {
	code, out, errOut := runCLI(t, "@time 2026-11-21 08:00\n@group 家人群\n+小侄女\n@advance 2m\n", "sim", "--json")
	if code != 0 || !strings.Contains(out, "欢迎 @小侄女") {
		t.Fatalf("exit %d; stdout %s; stderr %s", code, out, errOut)
	}
	cfg, err := simConfig("")
	if err != nil || !cfg.ManagesUnlisted() {
		t.Fatalf("sim without --config: %v", err)
	}
}

func TestStatusPrinterOneLinePerChange(t *testing.T) {
	var b bytes.Buffer
	at := time.Date(2026, 11, 21, 8, 0, 5, 0, time.UTC)
	p := newStatusPrinter(&b, func() time.Time { return at })
	for _, l := range []string{"⏳ 连接中", "⏳ 连接中", "✅ 已登录：群主", "", "✅ 已登录：群主"} {
		p.say(l)
	}
	if got := b.String(); got != "[08:00:05] ⏳ 连接中\n[08:00:05] ✅ 已登录：群主\n" {
		t.Errorf("status lines:\n%s", got)
	}
}

func TestQuietLogsByDefault(t *testing.T) {
	var b bytes.Buffer
	engine, wx, err := runLoggers(&b, "", false)
	if err != nil {
		t.Fatal(err)
	}
	engine.Info("routine")
	wx.Warn("微信登录失败 / login failed")
	engine.Warn("engine warning")
	if got := b.String(); strings.Contains(got, "routine") || strings.Contains(got, "login failed") || !strings.Contains(got, "engine warning") {
		t.Errorf("default logs:\n%s", got)
	}
	b.Reset()
	engine, wx, _ = runLoggers(&b, "", true)
	engine.Info("routine")
	wx.Info("detail")
	if got := b.String(); !strings.Contains(got, "routine") || !strings.Contains(got, "detail") {
		t.Errorf("-v logs:\n%s", got)
	}
}

// Ctrl-C says what the run did.
func TestGoodbyeSaysWhatWasDone(t *testing.T) {
	st, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	err = st.Update(context.Background(), func(tx *storage.Tx) error {
		for i := range 3 {
			id, err := tx.Enqueue(storage.OutMessage{Created: start, Kind: storage.OutDM, Target: "filehelper", Text: "x"})
			if err != nil {
				return err
			}
			if i < 2 {
				if err := tx.MarkSent(id, start.Add(time.Minute)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := goodbyeLine(context.Background(), st, 42, start, start.Add(3*time.Hour+5*time.Minute))
	for _, want := range []string{"运行了3小时5分钟", "处理了 42 条群消息", "发出 2 条", "还有 1 条没发出去", "下次启动接着发"} {
		if !strings.Contains(got, want) {
			t.Errorf("goodbye %q lacks %q", got, want)
		}
	}
}
