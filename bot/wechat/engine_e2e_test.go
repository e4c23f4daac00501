package wechat

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
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
	mods = append(mods, h.a.Module())
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
	// Past moderation.min_step_gap (messages are stamped by the harness clock), so the
	// second offence climbs.
	h.clock.Advance(11 * time.Minute)
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

	// The owner's 「重新登录」 in the console reaches the adapter (nothing is paused here).
	f.enqueue(fakeMsg{From: f.selfUN(), To: "filehelper", Type: 1, Content: "重新登录"})
	if ev := handleNext(); !ev.Console {
		t.Fatalf("want the console command, got %+v", ev)
	}
	if !sentTo("filehelper", "不需要重新登录") {
		t.Fatalf("the console command was not answered: %+v", f.sentMessages())
	}
}

// Issue 18's first fault: after a restart the engine knows its groups only by name, and
// the cron posts due before a group's first message went to an adapter that accepted only
// ids — every one marked failed. Here the bot restarts (new engine, new adapter, new login
// whose ids differ) with two posts due before anything is heard from the group, and the
// login itself is slow: both posts are delivered, to this login's id.
func TestRestartDeliversPostsDueBeforeAnyGroupMessage(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.Parse([]byte(`timezone: Asia/Shanghai
all_groups: false
groups:
  读书会:
    welcome: {enabled: false}
    posts:
      - name: 早安
        cron: "0 8 * * *"
        text: "☀️ 早上好"
      - name: 公告
        cron: "5 8 * * *"
        text: "📌 今天共读第三章"
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "qunbot.db")
	quietLog := slog.New(slog.NewTextHandler(io.Discard, nil))
	engine := func(h *harness, clock *bot.ManualClock) (*bot.Engine, *storage.Store) {
		st, err := storage.Open(ctx, dbPath)
		if err != nil {
			t.Fatal(err)
		}
		mods, err := app.Modules(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e, err := bot.New(bot.Options{Config: cfg, Store: st, Platform: h.a, Clock: clock, Modules: mods,
			Logger: quietLog, Pacing: &bot.Pacing{Retryable: IsRetryable}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return e, st
	}

	// Day one: the bot sees the group, then stops.
	f1 := newFakeWeChat(t)
	standardGroup(f1)
	h1 := newHarness(t, f1, harnessConfig{})
	h1.session(1)
	clock := bot.NewManualClock(time.Date(2026, 11, 20, 9, 0, 0, 0, cfg.Location))
	e1, st1 := engine(h1, clock)
	f1.says("books", "zhangsan", "大家好")
	ev := h1.next()
	ev.Time = clock.Now() // the adapter runs on its own fake clock
	e1.Handle(ctx, ev)
	e1.Stop(ctx)
	st1.Close()
	h1.cancel()

	// Day two, 07:55: a restart. WeChat gives everything new ids, and the network is slow
	// to come back, so the login is still failing when the first post is due.
	f2 := newFakeWeChat(t)
	standardGroup(f2)
	f2.set(func(f *fakeWeChat) { f.login = 7 })
	f2.setNetDown(true)
	h2 := newHarness(t, f2, harnessConfig{})
	backoff := h2.clock.nextSleep(t)
	clock.Set(time.Date(2026, 11, 21, 7, 55, 0, 0, cfg.Location))
	e2, st2 := engine(h2, clock)
	defer st2.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e2.AdvanceTo(ctx, time.Date(2026, 11, 21, 8, 10, 0, 0, cfg.Location), clock.Set)
	}()
	if w := h2.clock.nextSleep(t); w != h2.a.tune.sendWait {
		t.Fatalf("the 08:00 post should be waiting for the login, got a %v sleep", w)
	}
	f2.setNetDown(false)
	h2.clock.Advance(backoff)
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("the posts were not delivered after the login")
	}
	var got []string
	for _, m := range f2.sentMessages() {
		if m.ToUserName != f2.groupUN("books") {
			t.Errorf("sent to %q, want this login's 读书会 %q", m.ToUserName, f2.groupUN("books"))
		}
		got = append(got, m.Content)
	}
	if strings.Join(got, "|") != "☀️ 早上好|📌 今天共读第三章" {
		t.Fatalf("delivered %q, want both posts in order", got)
	}
	if err := st2.View(ctx, func(tx *storage.Tx) error {
		pending, err := tx.PendingOutbox(100)
		if len(pending) != 0 {
			t.Errorf("still pending: %+v", pending)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
