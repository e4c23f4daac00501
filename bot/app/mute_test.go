package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
)

// runCapable runs a script on a simulated platform that can mute and recall (and remove).
func runCapable(t *testing.T, script string) simRun {
	t.Helper()
	cfg := exampleConfig(t)
	var out bytes.Buffer
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 0, 0, 0, 0, cfg.Location))
	s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: ":memory:", JSON: true, CanRemove: true, CanMute: true,
		Out: &out, Logger: testLogger(t)}, clock, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Runner.RunScript(context.Background(), strings.NewReader(script)); err != nil {
		t.Fatalf("script failed: %v", err)
	}
	return parseOut(t, out.String())
}

// On a platform that can (QQ with the bot an admin): each ad is recalled, the second
// brings a real mute for the ladder's hour, the third after it a removal. The contract's
// lines: {"time","kind":"mute","group","member","seconds"} and {"time","kind":"recall",
// "group","member"}.
func TestCapablePlatformLadder(t *testing.T) {
	r := runCapable(t, `@time 2026-11-21 08:00
@group 读书会
张三: 加我微信 abc12345 领取免费资料
@advance 11m
张三: 加微信领红包，私聊我
@advance 10m
张三: 还能说话吗
@advance 1h
张三: 代理招募 加微信 日赚500
`)
	recalls, mutes, removes := r.kind("recall"), r.kind("mute"), r.kind("remove")
	if len(recalls) != 3 || recalls[0].str("group") != "读书会" || recalls[0].str("member") != "张三" || recalls[0].str("time") != "2026-11-21T08:00:00+08:00" {
		t.Fatalf("every ad is recalled:\n%s", r.out)
	}
	if len(mutes) != 1 || mutes[0].str("member") != "张三" || mutes[0]["seconds"] != float64(3600) || mutes[0].str("time") != "2026-11-21T08:11:00+08:00" {
		t.Fatalf("one real mute of an hour:\n%s", r.out)
	}
	if len(removes) != 1 || removes[0].str("member") != "张三" {
		t.Fatalf("a removal:\n%s", r.out)
	}
	levels := []string{}
	for _, p := range r.kind("penalty") {
		levels = append(levels, p.str("level"))
	}
	if strings.Join(levels, ",") != "warn,mute,remove" {
		t.Fatalf("a muted member cannot post, so nothing is struck while muted: %v\n%s", levels, r.out)
	}
	for _, d := range r.kind("dm") {
		if strings.Contains(d.str("text"), "请把") {
			t.Fatalf("no removal request where the platform removes: %s", d.str("text"))
		}
	}
}

// WeChat's capabilities stay the default: no mute or recall lines, ever.
func TestDefaultPlatformNeverMutesOrRecalls(t *testing.T) {
	r := runScript(t, nil, "", `@time 2026-11-21 08:00
@group 读书会
张三: 加我微信 abc12345 领取免费资料
张三: 加微信领红包，私聊我
me: 禁言 @张三 10m
`, false)
	if len(r.kind("mute")) != 0 || len(r.kind("recall")) != 0 {
		t.Fatalf("a platform that cannot mute prints no mute:\n%s", r.out)
	}
	if len(r.kind("penalty")) < 2 {
		t.Fatalf("the soft ladder still runs:\n%s", r.out)
	}
}

func TestCapablePlatformAdminMuteCommand(t *testing.T) {
	r := runCapable(t, `@time 2026-11-21 08:00
@group 读书会
李四: 大家好
me: 禁言 @李四 10m 吵架
me: 解除禁言 @李四
`)
	mutes := r.kind("mute")
	if len(mutes) != 2 || mutes[0]["seconds"] != float64(600) || mutes[1]["seconds"] != float64(0) {
		t.Fatalf("禁言 10m and 解除禁言 act on the platform:\n%s", r.out)
	}
}
