package wechat

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
	"qunbot/storage"
)

// outcomes records the engine's penalty outcomes by member session id.
type outcomes struct {
	mu   sync.Mutex
	list []bot.Outcome
}

func (o *outcomes) Outcome(x bot.Outcome) {
	o.mu.Lock()
	o.list = append(o.list, x)
	o.mu.Unlock()
}

func (o *outcomes) penalties() []bot.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []bot.Outcome
	for _, x := range o.list {
		if x.Kind == "penalty" {
			out = append(out, x)
		}
	}
	return out
}

// TestEngineOverRealAdapter drives the real engine (every module) with events from the
// real adapter talking to the fake WeChat, and checks what reaches webwxsendmsg: a join
// produces a welcome; two members named 小明 are never confused; after a 1101 re-login
// (every id changes) the offender's strikes follow him to his new id.
func TestEngineOverRealAdapter(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)

	cfg, err := config.Parse([]byte("timezone: Asia/Shanghai\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mods, err := app.Modules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 9, 0, 0, 0, cfg.Location))
	seen := &outcomes{}
	e, err := bot.New(bot.Options{Config: cfg, Store: st, Platform: h.a, Clock: clock, Observer: seen, Modules: mods,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Pacing: &bot.Pacing{Retryable: IsRetryable}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	handleNext := func() bot.Event {
		t.Helper()
		ev := h.next()
		// In production the engine clock and WeChat's CreateTime agree; here the adapter
		// runs on its own fake clock, so follow the event's time.
		if ev.Time.After(clock.Now()) {
			clock.Set(ev.Time)
		}
		e.Handle(ctx, ev)
		return ev
	}
	sentTo := func(to, contains string) bool {
		for _, m := range f.sentMessages() {
			if m.ToUserName == to && strings.Contains(m.Content, contains) {
				return true
			}
		}
		return false
	}

	// A join system message → one welcome in the group mentioning the newcomer.
	lisi := f.person("lisi", "李四", 401, false)
	f.addMember("books", in(lisi, ""))
	f.system("books", `"张三"邀请"李四"加入了群聊`)
	if ev := handleNext(); ev.Type != bot.EventJoin {
		t.Fatalf("want the join, got %+v", ev)
	}
	e.AdvanceTo(ctx, clock.Now().Add(2*time.Minute), clock.Set)
	if !sentTo(f.groupUN("books"), "欢迎 @李四\u2005") {
		t.Fatalf("no welcome reached webwxsendmsg: %+v", f.sentMessages())
	}

	// Two members called 小明: only the one who posts the ad is warned, by his display name.
	f.says("books", "xiaoming1", "加我微信 wx1234567 有好货")
	handleNext()
	f.says("books", "xiaoming2", "大家好，我是另一个小明")
	handleNext()
	p := seen.penalties()
	if len(p) != 1 || p[0].Member != f.userUN("xiaoming1") || p[0].Fields["level"] != "warn" {
		t.Fatalf("penalties = %+v, want one warning for xiaoming1", p)
	}
	if !sentTo(f.groupUN("books"), "@小明-北京\u2005⚠️ 警告") {
		t.Fatalf("the warning must mention 小明-北京: %+v", f.sentMessages())
	}

	// Session ends (1101): every UserName changes. The same 小明 offends again and gets the
	// second step, because the engine re-links him by (nickname, display name, AttrStatus).
	f.forceSyncRet("1101")
	h.clock.Advance(h.clock.nextSleep(t))
	h.session(2)
	f.says("books", "xiaoming1", "兼职刷单日结私聊")
	ev := handleNext()
	if ev.Sender.ID != f.userUN("xiaoming1") || !strings.HasSuffix(ev.Sender.ID, "-l2") {
		t.Fatalf("the event carries the new session id: %+v", ev.Sender)
	}
	p = seen.penalties()
	if len(p) != 2 || p[1].Fields["level"] != "mute" || p[1].Fields["strikes"] != 2 {
		t.Fatalf("after re-login the strikes follow the member: %+v", p)
	}
	if !sentTo(f.groupUN("books"), "@小明-北京\u2005🔇") {
		t.Fatalf("the mute notice goes to the group under its new id: %+v", f.sentMessages())
	}
}
