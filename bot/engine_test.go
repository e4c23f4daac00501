package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

// fakePlatform records calls and fails on demand. It fails the test if the engine calls
// RemoveMember on a platform that cannot remove.
type fakePlatform struct {
	t    *testing.T
	caps Capabilities

	mu      sync.Mutex
	sends   []sent
	failN   int   // fail this many sends before succeeding
	failErr error // the error to fail with
	calls   int
}

type sent struct {
	kind, to, text string
	mentions       []string
}

func (p *fakePlatform) Capabilities() Capabilities { return p.caps }

func (p *fakePlatform) record(s sent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.failN > 0 {
		p.failN--
		return p.failErr
	}
	p.sends = append(p.sends, s)
	return nil
}

func (p *fakePlatform) SendText(ctx context.Context, groupID, text string, mentions []string) error {
	return p.record(sent{"send", groupID, text, mentions})
}

func (p *fakePlatform) SendDM(ctx context.Context, to, text string) error {
	return p.record(sent{"dm", to, text, nil})
}

func (p *fakePlatform) RemoveMember(ctx context.Context, groupID, memberID string) error {
	if !p.caps.CanRemove {
		p.t.Errorf("engine called RemoveMember(%s, %s) on a platform that cannot remove", groupID, memberID)
		return ErrNotSupported
	}
	return p.record(sent{"remove", groupID, memberID, nil})
}

func (p *fakePlatform) Groups(ctx context.Context) ([]GroupInfo, error) { return nil, nil }

func (p *fakePlatform) Members(ctx context.Context, groupID string) ([]MemberInfo, error) {
	return nil, nil
}

func (p *fakePlatform) got() []sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]sent(nil), p.sends...)
}

type harness struct {
	t     *testing.T
	e     *Engine
	p     *fakePlatform
	clock *ManualClock
	store *storage.Store
	out   []Outcome
}

func (h *harness) Outcome(o Outcome) { h.out = append(h.out, o) }

var t0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newHarness(t *testing.T, cfgYAML string, caps Capabilities, pacing *Pacing, mods ...Module) *harness {
	t.Helper()
	cfg, err := config.Parse([]byte(cfgYAML), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, p: &fakePlatform{t: t, caps: caps}, clock: NewManualClock(t0), store: st}
	if pacing == nil {
		pacing = &Pacing{}
	}
	h.e, err = New(Options{Config: cfg, Store: st, Platform: h.p, Clock: h.clock, Observer: h,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Modules: mods, Pacing: pacing})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

func member(name string) MemberInfo { return MemberInfo{ID: "id-" + name, Nickname: name} }

func (h *harness) say(id, who, text string) {
	h.e.Handle(context.Background(), Event{Type: EventMessage, ID: id, Time: h.clock.Now(),
		Group: GroupInfo{ID: "g1", Name: "读书会"}, Sender: member(who), Kind: KindText, Text: text})
}

func (h *harness) advance(d time.Duration) {
	h.e.AdvanceTo(context.Background(), h.clock.Now().Add(d), h.clock.Set)
}

func TestReplayedMessageChangesNothing(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	h.say("m1", "王五", "群规")
	h.e.recent = newRecentIDs(1) // forget in memory: the DB must still catch the replay
	h.say("x", "王五", "hello")
	h.clock.Set(t0.Add(time.Hour))
	h.say("m1", "王五", "群规")
	if n := len(h.p.got()); n != 1 {
		t.Fatalf("a replayed message id must not answer again: %d sends", n)
	}
}

type panicky struct{ n int }

func (p *panicky) Name() string { return "panicky" }
func (p *panicky) OnMessage(t *Turn) error {
	p.n++
	if strings.Contains(t.Text(), "boom") {
		panic("module bug")
	}
	return nil
}

func TestPanicInModuleIsRecovered(t *testing.T) {
	mod := &panicky{}
	h := newHarness(t, "", Capabilities{}, nil, mod)
	h.say("m1", "王五", "boom")
	h.say("m2", "王五", "群规")
	if mod.n != 2 {
		t.Fatalf("module saw %d messages, want 2", mod.n)
	}
	if got := h.p.got(); len(got) != 1 || !strings.Contains(got[0].text, "群规") {
		t.Fatalf("the engine must go on after a panic: %+v", got)
	}
}

func TestConsoleOnlyForOwner(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	h.e.Handle(context.Background(), Event{Type: EventMessage, ID: "c1", Console: true, FromOwner: false, Text: "状态"})
	if len(h.p.got()) != 0 {
		t.Fatal("a console event that is not from the owner must be ignored")
	}
	h.e.Handle(context.Background(), Event{Type: EventMessage, ID: "c2", Console: true, FromOwner: true, Text: "状态"})
	if got := h.p.got(); len(got) != 1 || got[0].to != Filehelper {
		t.Fatalf("the owner's console answers in the file helper: %+v", got)
	}
}

// remover asks for a removal of whoever says "remove me".
type remover struct{}

func (remover) Name() string { return "remover" }
func (remover) OnMessage(t *Turn) error {
	if t.Text() == "remove me" {
		_, err := t.RemoveOrRequest(t.Member, RemovalReason{Source: "test", Reason: "测试", Evidence: t.Text()})
		return err
	}
	return nil
}

func TestRemovalDegradesWithoutCapability(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil, remover{})
	h.say("m1", "王五", "remove me")
	h.say("m2", "王五", "remove me")
	got := h.p.got()
	if len(got) != 1 || got[0].kind != "dm" || got[0].to != Filehelper || !strings.Contains(got[0].text, "王五") {
		t.Fatalf("without remove capability: one removal request to the owner, got %+v", got)
	}
	// Leaving completes the request.
	h.e.Handle(context.Background(), Event{Type: EventLeave, Group: GroupInfo{ID: "g1", Name: "读书会"}, Members: []MemberInfo{member("王五")}})
	h.e.store.View(context.Background(), func(tx *storage.Tx) error {
		p, _ := tx.PendingRemovals(0)
		if len(p) != 0 {
			t.Errorf("leave must close the request: %+v", p)
		}
		return nil
	})
}

func TestRemovalWithCapability(t *testing.T) {
	h := newHarness(t, "", Capabilities{CanRemove: true}, nil, remover{})
	h.say("m1", "王五", "remove me")
	got := h.p.got()
	if len(got) != 1 || got[0].kind != "remove" || got[0].text != "id-王五" {
		t.Fatalf("with remove capability the member is removed: %+v", got)
	}
}

func TestIdentityRelinkAndAmbiguity(t *testing.T) {
	var seen []struct {
		key       int64
		ambiguous bool
	}
	spy := hookFunc(func(t *Turn) error {
		seen = append(seen, struct {
			key       int64
			ambiguous bool
		}{t.Member.Key, t.Ambiguous})
		return nil
	})
	h := newHarness(t, "", Capabilities{}, nil, spy)
	g := GroupInfo{ID: "g1", Name: "读书会"}
	send := func(id string, m MemberInfo) {
		h.e.Handle(context.Background(), Event{Type: EventMessage, ID: id, Group: g, Sender: m, Kind: KindText, Text: "hi"})
	}
	send("1", MemberInfo{ID: "u1", Nickname: "小明", DisplayName: "明"})
	send("2", MemberInfo{ID: "u2", Nickname: "小红"})
	// Two different people with the same nickname in one session stay apart.
	send("3", MemberInfo{ID: "u3", Nickname: "小明", DisplayName: "明"})
	if seen[0].key == seen[2].key {
		t.Fatal("two live session ids with the same names are two members")
	}
	// New session: ids change. 小红 re-links uniquely; 小明 matches two members → ambiguous.
	h.e.resetCaches()
	send("4", MemberInfo{ID: "v2", Nickname: "小红"})
	send("5", MemberInfo{ID: "v1", Nickname: "小明", DisplayName: "明"})
	if seen[3].key != seen[1].key || seen[3].ambiguous {
		t.Errorf("小红 must re-link to her key: %+v vs %+v", seen[3], seen[1])
	}
	if !seen[4].ambiguous {
		t.Errorf("小明 matches two members after re-login: must be ambiguous")
	}
}

type hookFunc func(t *Turn) error

func (hookFunc) Name() string              { return "hook" }
func (f hookFunc) OnMessage(t *Turn) error { return f(t) }

func TestOutboxPacesPerGroup(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, &Pacing{GroupInterval: 2 * time.Second, PerMinute: 20})
	for i := 0; i < 3; i++ {
		h.e.Handle(context.Background(), Event{Type: EventMessage, ID: fmt.Sprint("m", i), Group: GroupInfo{ID: "g1", Name: "读书会"},
			Sender: member(fmt.Sprint("成员", i)), Kind: KindText, Text: "群规"})
	}
	if n := len(h.p.got()); n != 1 {
		t.Fatalf("at most one message per group per 2 s: %d sent at once", n)
	}
	h.advance(2 * time.Second)
	h.e.outbox.DeliverDue(context.Background())
	if n := len(h.p.got()); n != 2 {
		t.Fatalf("after 2 s one more: %d", n)
	}
	h.advance(2 * time.Second)
	h.e.outbox.DeliverDue(context.Background())
	if n := len(h.p.got()); n != 3 {
		t.Fatalf("after 4 s all three: %d", n)
	}
}

func TestOutboxRetriesThenGivesUpAndTellsOwner(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, &Pacing{MaxAttempts: 3})
	h.p.failN, h.p.failErr = 3, errors.New("ret 1205: operate too often")
	h.say("m1", "王五", "群规")
	for i := 0; i < 5; i++ {
		h.advance(10 * time.Minute)
		h.e.outbox.DeliverDue(context.Background())
	}
	if h.p.calls != 4 {
		t.Errorf("three attempts at the message and one notice: %d calls", h.p.calls)
	}
	got := h.p.got()
	if len(got) != 1 || got[0].to != Filehelper || !strings.Contains(got[0].text, "发送失败") {
		t.Fatalf("after max attempts the owner is told: %+v", got)
	}
	h.e.store.View(context.Background(), func(tx *storage.Tx) error {
		log, _ := tx.AuditLog(0, 0, 50)
		var failed int
		for _, e := range log {
			if e.Action == "send_failed" {
				failed++
			}
		}
		if failed != 1 {
			t.Errorf("one send_failed audit entry, got %d", failed)
		}
		return nil
	})
}

func TestOutboxTransientFailureRetried(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, &Pacing{MaxAttempts: 5})
	h.p.failN, h.p.failErr = 1, errors.New("network down")
	h.say("m1", "王五", "群规")
	if len(h.p.got()) != 0 {
		t.Fatal("first attempt failed")
	}
	h.advance(time.Second)
	h.e.outbox.DeliverDue(context.Background())
	if len(h.p.got()) != 0 {
		t.Fatal("back-off: not retried after 1 s (first back-off is 2 s)")
	}
	h.advance(2 * time.Second)
	h.e.outbox.DeliverDue(context.Background())
	if got := h.p.got(); len(got) != 1 || !strings.Contains(got[0].text, "群规") {
		t.Fatalf("retried after back-off: %+v", got)
	}
}

func TestCronJobsFireInLocalTimeAndSurviveRestart(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, "timezone: Asia/Shanghai", Capabilities{}, nil)
	var runs []time.Time
	spec := config.MustCron("0 8 * * *")
	job := func(tt *Turn) error { runs = append(runs, tt.Now); return nil }
	h.clock.Set(time.Date(2026, 11, 21, 7, 0, 0, 0, h.e.Location()))
	if err := h.e.Every(ctx, "morning", JobLabel{What: "测试任务"}, spec, job); err != nil {
		t.Fatal(err)
	}
	h.advance(3 * 24 * time.Hour)
	if len(runs) != 3 {
		t.Fatalf("3 days from 07:00 = three 08:00 runs, got %v", runs)
	}
	for _, r := range runs {
		if r.In(h.e.Location()).Hour() != 8 {
			t.Errorf("run at %v: 08:00 Shanghai time, not UTC", r)
		}
	}
	// Restart: a new engine on the same DB, 10 minutes after a missed run.
	h.clock.Set(time.Date(2026, 11, 25, 8, 10, 0, 0, h.e.Location()))
	runs = nil
	e2 := h.restart()
	if err := e2.Every(ctx, "morning", JobLabel{What: "测试任务"}, spec, job); err != nil {
		t.Fatal(err)
	}
	e2.AdvanceTo(ctx, h.clock.Now(), h.clock.Set)
	if len(runs) != 1 {
		t.Fatalf("a run missed by 10 min (grace 30 min) runs once on start, got %v", runs)
	}
	// Restart again right away: nothing repeats.
	runs = nil
	e3 := h.restart()
	e3.Every(ctx, "morning", JobLabel{What: "测试任务"}, spec, job)
	e3.AdvanceTo(ctx, h.clock.Now().Add(time.Hour), h.clock.Set)
	if len(runs) != 0 {
		t.Fatalf("a job that ran must not repeat after restart: %v", runs)
	}
	// Down past the grace period: skipped.
	h.clock.Set(time.Date(2026, 11, 26, 9, 0, 0, 0, h.e.Location()))
	runs = nil
	e4 := h.restart()
	e4.Every(ctx, "morning", JobLabel{What: "测试任务"}, spec, job)
	e4.AdvanceTo(ctx, h.clock.Now(), h.clock.Set)
	if len(runs) != 0 {
		t.Fatalf("a run missed by an hour (grace 30 min) is skipped: %v", runs)
	}
}

// restart builds a new engine on the harness's store, clock and platform: what a process
// restart looks like to the engine.
func (h *harness) restart() *Engine {
	h.t.Helper()
	e, err := New(Options{Config: h.e.Config(), Store: h.store, Platform: h.p, Clock: h.clock, Observer: h,
		Logger: h.e.log, Pacing: &h.e.outbox.pacing})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	return e
}

func TestCommandMatching(t *testing.T) {
	cs, err := newCommandSet([]*Command{{Name: "签到", Aliases: []string{"checkin", "打卡"}}, {Name: "我的积分"}, {Name: "积分"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, cmd, rest string }{
		{"签到", "签到", ""},
		{"CheckIn", "签到", ""},
		{"ｃｈｅｃｋｉｎ", "签到", ""},
		{"签到了吗", "", ""},
		{"我的积分", "我的积分", ""},
		{"积分 @王五", "积分", " @王五"},
		{"积分@王五", "积分", "@王五"},
		{"checkins", "", ""},
		{"", "", ""},
	} {
		cmd, rest := cs.match(c.in)
		name := ""
		if cmd != nil {
			name = cmd.Name
		}
		if name != c.cmd || (cmd != nil && rest != c.rest) {
			t.Errorf("match(%q) = %q, %q; want %q, %q", c.in, name, rest, c.cmd, c.rest)
		}
	}
	if _, err := newCommandSet([]*Command{{Name: "a"}, {Name: "b", Aliases: []string{"A"}}}, nil); err == nil {
		t.Error("two commands sharing a word must be refused at start")
	}
}

// A message committed to the outbox by a run that stopped before sending it (a crash
// between the commit and the send) is sent by the next run even if that run queues
// nothing itself: the crash harness found a final run that only replayed processed lines
// and left such a message pending for good.
func TestPendingMessageFromBeforeRestartIsSent(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, "all_groups: true", Capabilities{}, nil)
	// Queue without delivering: what a killed process leaves behind.
	err := h.store.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.Enqueue(storage.OutMessage{Created: h.clock.Now(), Kind: storage.OutDM, Target: Filehelper, Text: "重启前排队的消息"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e2 := h.restart()
	e2.AdvanceTo(ctx, h.clock.Now().Add(time.Minute), h.clock.Set)
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	if len(h.p.sends) != 1 || h.p.sends[0].text != "重启前排队的消息" {
		t.Fatalf("after restart the pending message must be sent once, got %+v", h.p.sends)
	}
}
