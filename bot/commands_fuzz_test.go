package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"qunbot/bot/config"
	"qunbot/internal/testlog"
	"qunbot/storage"
)

// argsProbe is a command that exercises the argument parser the way feature commands do:
// mentions, a number, the rest as a reason; bad input is a usage error.
type argsProbe struct{}

func (argsProbe) Name() string { return "probe" }
func (argsProbe) Commands() []*Command {
	run := func(t *Turn, a Args) error {
		if len(a.Targets) == 0 {
			return Usagef("请 @ 一位成员。")
		}
		if len(a.Fields) == 0 {
			return Usagef("请写分数。")
		}
		n, err := strconv.Atoi(a.Fields[0])
		if err != nil {
			return Usagef("「%s」不是数字。", a.Fields[0])
		}
		return t.Say(fmt.Sprintf("%s %d %s", Mention(a.Targets[0]), n, a.Rest), a.Targets...)
	}
	return []*Command{
		{Name: "探测", Aliases: []string{"probe"}, Usage: "探测 @成员 分数 [原因]", Perm: Anyone, Run: run},
		{Name: "管理探测", Aliases: []string{"aprobe"}, Usage: "管理探测 @成员 分数", Perm: AdminOnly, Run: run},
		{Name: "群主探测", Aliases: []string{"oprobe"}, Usage: "群主探测 @成员 分数", Perm: OwnerOnly, Where: Anywhere, Run: run},
	}
}

// FuzzCommands feeds arbitrary text to the command matcher and argument parser through
// Engine.Handle, as a member, as the owner in the group and as the owner in the console,
// on an in-memory store. Nothing may panic and nothing may be logged as an error.
//
//	go test ./bot -run '^$' -fuzz FuzzCommands -fuzztime 60s
func FuzzCommands(f *testing.F) {
	for _, seed := range []string{
		"签到", "帮助", "help", "ＨＥＬＰ", "群规 ", "状态", "@群主 帮助", "＠群主　群规",
		"探测 @王五 10 活动奖励", "探测 @王五\u200510", "探测@王五 @李四 x", "探测 @ 10", "探测 @@@", "探测 @不存在 1",
		"管理探测 @王五 5", "群主探测 @李四 -3 原因", "探测 @王五 99999999999999999999", "probe @{{.Group}} 1",
		"探测 @'; DROP TABLE members;-- 1", "探测 @\u202e王五 1", "探测 \u200b@王五\u200b 1", "帮助一下", "签到了吗",
		"", " ", "@", "＠", "\u2005", "探测 @王五\x00 1", "探测 @" + string(make([]byte, 300)),
	} {
		for who := byte(0); who < 3; who++ {
			f.Add(who, seed)
		}
	}
	cfg, err := config.Parse([]byte(""), "fuzz.yaml")
	if err != nil {
		f.Fatal(err)
	}
	st, err := storage.Open(context.Background(), ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	logs := &testlog.Errors{}
	clock := NewManualClock(t0)
	e, err := New(Options{Config: cfg, Store: st, Platform: &fakePlatform{}, Clock: clock,
		Logger: slog.New(logs), Modules: []Module{argsProbe{}}, Pacing: &Pacing{}})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		f.Fatal(err)
	}
	group := GroupInfo{ID: "g1", Name: "读书会"}
	n := 0
	say := func(sender MemberInfo, text string, owner, console bool) {
		n++
		ev := Event{Type: EventMessage, ID: fmt.Sprint("f", n), Time: clock.Now(), Sender: sender, FromOwner: owner,
			Console: console, Kind: KindText, Text: text}
		if !console {
			ev.Group = group
		}
		e.Handle(ctx, ev)
	}
	// Members the fuzzer's mentions can find, one with a hostile name.
	for _, name := range []string{"王五", "李四", "{{.Group}}", "'; DROP TABLE members;--"} {
		say(MemberInfo{ID: "id-" + name, Nickname: name}, "大家好", false, false)
	}
	if errs := logs.Take(); len(errs) > 0 {
		f.Fatalf("setup logged errors: %v", errs)
	}
	owner := MemberInfo{ID: "me", Nickname: cfg.Owner.Name}
	f.Fuzz(func(t *testing.T, who byte, text string) {
		clock.Set(clock.Now().Add(time.Minute)) // past every cooldown: each line is answered
		switch who % 3 {
		case 0:
			say(MemberInfo{ID: "id-王五", Nickname: "王五"}, text, false, false)
		case 1:
			say(owner, text, true, false)
		case 2:
			say(owner, text, true, true)
		}
		if errs := logs.Take(); len(errs) > 0 {
			t.Fatalf("text %q (sender %d) logged errors: %v", text, who%3, errs)
		}
	})
}
