package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/sim"
	"qunbot/internal/testlog"
)

// FuzzModuleCommands is FuzzCommands (package bot) with every feature module plugged in:
// the real command set (签到, 积分, 加分 @x 10, 禁言 @x 30m, 兑换 2, 警告 @x …) and the
// moderation screen see arbitrary text from a member, an admin, the owner in the group and
// the owner's console. No panic, no error in the log.
//
//	go test ./bot/app -run '^$' -fuzz FuzzModuleCommands -fuzztime 60s
func FuzzModuleCommands(f *testing.F) {
	for _, seed := range []string{
		"签到", "打卡", "checkin", "补签", "积分", "积分 @王五", "排行榜", "发言榜", "兑换", "兑换 1", "兑换 99", "兑换 -1",
		"加分 @王五 10 活动奖励", "扣分 @王五 99999999999 x", "加分 @王五", "加分 @王五 1e9", "加分 @王五 -0",
		"警告 @王五 广告", "禁言 @王五 30m 刷屏", "禁言 @王五 99999d", "禁言 @王五 -1h", "解除禁言 @王五", "移除 @王五",
		"撤销警告 @王五", "清除记录 @王五", "记录 @王五", "白名单 @王五", "取消白名单 @王五", "设为管理员 @李四",
		"取消管理员 @李四", "举报 @王五 发广告", "@群主 警告 @王五", "帮助", "群规", "状态", "怎么报名",
		"加我微信 abc12345 兼职日赚", "{{.Group}}", "'; DROP TABLE members;--", "\u202e签到", "签\u200b到",
	} {
		for who := byte(0); who < 4; who++ {
			f.Add(who, seed)
		}
	}
	cfg := exampleConfig(f)
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 8, 0, 0, 0, cfg.Location))
	logs := &testlog.Errors{}
	s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: ":memory:", JSON: true, Out: io.Discard,
		Logger: slog.New(logs)}, clock, "f")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	ctx := context.Background()
	n := 0
	step := func(st sim.Step) {
		n++
		st.Line = n // the message id
		if err := s.Runner.Step(ctx, st); err != nil {
			f.Fatalf("step %+v: %v", st, err)
		}
	}
	say := func(who, text string) {
		if who == ">" {
			step(sim.Step{Kind: sim.StepConsole, Member: sim.OwnerName, MsgKind: bot.KindText, Text: text})
			return
		}
		step(sim.Step{Kind: sim.StepMessage, Member: who, MsgKind: bot.KindText, Text: text})
	}
	step(sim.Step{Kind: sim.StepTime, Time: clock.Now()})
	step(sim.Step{Kind: sim.StepGroup, Group: "读书会"})
	for _, name := range []string{"王五", "李四", "{{.Group}}"} {
		say(name, "大家好，今天天气不错")
	}
	say(sim.OwnerName, "设为管理员 @李四")
	if errs := logs.Take(); len(errs) > 0 {
		f.Fatalf("setup logged errors: %v", errs)
	}
	f.Fuzz(func(t *testing.T, who byte, text string) {
		step(sim.Step{Kind: sim.StepAdvance, Advance: time.Minute}) // past every cooldown
		say([]string{"王五", "李四", sim.OwnerName, ">"}[who%4], text)  // a member, an admin, the owner, the console
		if errs := logs.Take(); len(errs) > 0 {
			t.Fatalf("text %q (sender %d) logged errors: %v", text, who%4, errs)
		}
	})
}
