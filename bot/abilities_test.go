package bot

import (
	"context"
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

// qqPlatform is a platform like QQ through OneBot: stable ids, and mute, remove and
// recall only where the bot is a group admin. Actions can be made to fail.
type qqPlatform struct {
	mu    sync.Mutex
	admin map[string]bool // group id → the bot is an admin there
	fail  map[string]error
	did   []sent
}

func (p *qqPlatform) Capabilities() Capabilities {
	return Capabilities{CanRemove: true, CanMute: true, CanRecall: true, StableIDs: true}
}

func (p *qqPlatform) GroupCapabilities(id string) Capabilities {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.admin[id]
	return Capabilities{CanRemove: a, CanMute: a, CanRecall: a, StableIDs: true}
}

func (p *qqPlatform) do(kind, to, text string, mentions []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.fail[kind]; err != nil {
		return err
	}
	p.did = append(p.did, sent{kind, to, text, mentions})
	return nil
}

func (p *qqPlatform) SendText(ctx context.Context, g, text string, m []string) error {
	return p.do("send", g, text, m)
}
func (p *qqPlatform) SendDM(ctx context.Context, to, text string) error {
	return p.do("dm", to, text, nil)
}
func (p *qqPlatform) RemoveMember(ctx context.Context, g, m string) error {
	return p.do("remove", g, m, nil)
}
func (p *qqPlatform) MuteMember(ctx context.Context, g, m string, d time.Duration) error {
	return p.do("mute", g, m+":"+fmt.Sprint(int64(d/time.Second)), nil)
}
func (p *qqPlatform) Recall(ctx context.Context, g, m, msg string) error {
	return p.do("recall", g, m+":"+msg, nil)
}
func (p *qqPlatform) Groups(ctx context.Context) ([]GroupInfo, error)             { return nil, nil }
func (p *qqPlatform) Members(ctx context.Context, g string) ([]MemberInfo, error) { return nil, nil }
func (p *qqPlatform) SendMentions(ctx context.Context, g, text string, m []TextMention) error {
	ids := make([]string, 0, len(m))
	for _, x := range m {
		if !strings.Contains(text, x.Text) {
			return fmt.Errorf("mention text %q not in %q", x.Text, text)
		}
		ids = append(ids, x.ID)
	}
	return p.do("send", g, text, ids)
}

func (p *qqPlatform) got(kind string) []sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []sent
	for _, s := range p.did {
		if s.kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// actor is a module that does what a message asks: "mute me", "recall me", "remove me",
// and records what the engine told it about the sender.
type actor struct {
	admin map[string]bool
}

func (a *actor) Name() string { return "actor" }
func (a *actor) OnMessage(t *Turn) error {
	a.admin[t.Event.Sender.ID] = t.Admin
	switch t.Text() {
	case "mute me":
		if err := t.Tx.SetMute(storage.Mute{MemberKey: t.Member.Key, GroupKey: t.Group.Key, Since: t.Now, Until: t.Now.Add(time.Hour)}); err != nil {
			return err
		}
		_, err := t.MuteOnPlatform(t.Member, time.Hour)
		return err
	case "recall me":
		_, err := t.Recall(t.Member, t.Event.ID)
		return err
	case "remove me":
		_, err := t.RemoveOrRequest(t.Member, RemovalReason{Source: "test", Reason: "测试移出"})
		return err
	}
	return nil
}

type qqHarness struct {
	t   *testing.T
	e   *Engine
	p   *qqPlatform
	act *actor
	st  *storage.Store
	n   int
}

func newQQHarness(t *testing.T, cfgYAML string) *qqHarness {
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
	h := &qqHarness{t: t, p: &qqPlatform{admin: map[string]bool{"100": true}, fail: map[string]error{}}, act: &actor{admin: map[string]bool{}}, st: st}
	h.e, err = New(Options{Config: cfg, Store: st, Platform: h.p, Clock: NewManualClock(t0),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Modules: []Module{h.act}, Pacing: &Pacing{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *qqHarness) msg(group GroupInfo, sender MemberInfo, text string) {
	h.n++
	h.e.Handle(context.Background(), Event{Type: EventMessage, ID: fmt.Sprint(h.n), Group: group, Sender: sender, Kind: KindText, Text: text})
}

func (h *qqHarness) view(fn func(tx *storage.Tx) error) {
	h.t.Helper()
	if err := h.st.View(context.Background(), fn); err != nil {
		h.t.Fatal(err)
	}
}

var (
	qqGroup  = GroupInfo{ID: "100", Name: "读书会"}
	qqPlain  = GroupInfo{ID: "200", Name: "闲聊群"}
	zhangsan = MemberInfo{ID: "9001", Nickname: "张三", Role: "member"}
)

// With stable ids, the id is the member and the group: a new card, a renamed group, a
// namesake — none of them changes who is who.
func TestStableIDsDecideIdentity(t *testing.T) {
	h := newQQHarness(t, "")
	h.msg(qqGroup, zhangsan, "你好")
	h.msg(qqGroup, MemberInfo{ID: "9001", Nickname: "张三", DisplayName: "张三-群名片", Role: "member"}, "改了名片")
	h.msg(GroupInfo{ID: "100", Name: "读书会（新）"}, zhangsan, "群改名了")
	h.msg(qqGroup, MemberInfo{ID: "9002", Nickname: "张三", Role: "member"}, "我也叫张三") // a namesake
	h.view(func(tx *storage.Tx) error {
		groups, err := tx.Groups()
		if err != nil || len(groups) != 1 {
			t.Fatalf("one group across a rename: %+v %v", groups, err)
		}
		if groups[0].Name != "读书会" {
			t.Errorf("the group has its current name back: %q", groups[0].Name)
		}
		ms, err := tx.GroupMembers(groups[0].Key)
		if err != nil || len(ms) != 2 {
			t.Fatalf("two members (the namesake apart): %+v %v", ms, err)
		}
		byID, _ := tx.MembersByPlatformID(groups[0].Key, "9001")
		if len(byID) != 1 || byID[0].Nickname != "张三" {
			t.Fatalf("member 9001: %+v", byID)
		}
		return nil
	})
	if k, ok := h.e.GroupKey("读书会"); !ok || h.e.GroupName(k) != "读书会" {
		t.Fatal("the engine knows the group by its current name")
	}
}

// Two QQ groups may share a name: they stay two groups.
func TestStableGroupsWithTheSameName(t *testing.T) {
	h := newQQHarness(t, "")
	h.msg(GroupInfo{ID: "100", Name: "同名群"}, zhangsan, "a")
	h.msg(GroupInfo{ID: "300", Name: "同名群"}, zhangsan, "b")
	h.view(func(tx *storage.Tx) error {
		g1, ok1, _ := tx.GroupByPlatformID("100")
		g2, ok2, _ := tx.GroupByPlatformID("300")
		if !ok1 || !ok2 || g1.Key == g2.Key || g2.Name != "同名群（300）" {
			t.Fatalf("%+v %+v", g1, g2)
		}
		return nil
	})
}

// A groups: entry may name a group by its number; everything that looks the group's
// settings up by name finds it, before and after a rename.
func TestGroupConfiguredByNumber(t *testing.T) {
	h := newQQHarness(t, "all_groups: false\ngroups:\n  \"100\":\n    rules_text: 一百号群的群规\n")
	h.msg(qqGroup, zhangsan, "群规")
	h.msg(qqPlain, zhangsan, "群规") // not configured: ignored
	if got := h.p.got("send"); len(got) != 1 || got[0].to != "100" || !strings.Contains(got[0].text, "一百号群的群规") {
		t.Fatalf("sends: %+v", got)
	}
	if g, ok := h.e.Config().ForGroup("读书会"); !ok || g.RulesText != "一百号群的群规" {
		t.Fatal("the stored name finds the entry written as a number")
	}
	h.msg(GroupInfo{ID: "100", Name: "新名字"}, zhangsan, "你好")
	if g, ok := h.e.Config().ForGroup("新名字"); !ok || g.RulesText != "一百号群的群规" {
		t.Fatal("after a rename too")
	}
	if _, ok := h.e.Config().ForGroup("读书会"); ok {
		t.Fatal("the old name no longer names it")
	}
	// After a restart, before the group says anything, its settings are found by name
	// (the jobs planned at start look them up so).
	e2, err := New(Options{Config: h.e.base, Store: h.st, Platform: h.p, Clock: NewManualClock(t0),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Pacing: &Pacing{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e2.Config().ForGroup("新名字"); ok {
		t.Fatal("not before Start")
	}
	if err := e2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g, ok := e2.Config().ForGroup("新名字"); !ok || g.RulesText != "一百号群的群规" {
		t.Fatal("a restarted engine finds the group's entry by its stored name")
	}
	if id := e2.Outbox().groupID(e2.groupKeys["新名字"]); id != "100" {
		t.Fatalf("a restarted engine can address the group: %q", id)
	}
	// A reload keeps the aliases.
	cfg2, _ := config.Parse([]byte("all_groups: false\ngroups:\n  \"100\":\n    rules_text: 改过的群规\n"), "t.yaml")
	h.e.SetConfig(cfg2)
	if g, ok := h.e.Config().ForGroup("新名字"); !ok || g.RulesText != "改过的群规" {
		t.Fatal("a reloaded config keeps finding the group")
	}
}

func TestPlatformRolesMakeAdmins(t *testing.T) {
	h := newQQHarness(t, "")
	h.msg(qqGroup, MemberInfo{ID: "9003", Nickname: "王管理", Role: "admin"}, "你好")
	h.msg(qqGroup, MemberInfo{ID: "9004", Nickname: "群主", Role: "owner"}, "你好")
	h.msg(qqGroup, MemberInfo{ID: "9005", Nickname: "管理员", Role: "member"}, "你好") // a name is not a role
	h.msg(qqGroup, MemberInfo{ID: "9003", Nickname: "王管理"}, "再说一句")               // role not in this event: the stored one
	if !h.act.admin["9003"] || !h.act.admin["9004"] || h.act.admin["9005"] {
		t.Fatalf("admin by platform role: %v", h.act.admin)
	}
	// Demoted on the platform: no longer an admin.
	h.e.Handle(context.Background(), Event{Type: EventRole, ID: "r1", Group: qqGroup, Members: []MemberInfo{{ID: "9003", Role: "member"}}})
	h.msg(qqGroup, MemberInfo{ID: "9003", Nickname: "王管理"}, "还是管理吗")
	if h.act.admin["9003"] {
		t.Fatal("a demotion on the platform is followed")
	}
}

func TestRealActionsOnlyWhereAdmin(t *testing.T) {
	h := newQQHarness(t, "")
	h.msg(qqGroup, zhangsan, "mute me")
	h.msg(qqGroup, zhangsan, "recall me")
	if m := h.p.got("mute"); len(m) != 1 || m[0].to != "100" || m[0].text != "9001:3600" {
		t.Fatalf("mute: %+v", m)
	}
	if r := h.p.got("recall"); len(r) != 1 || r[0].text != "9001:2" {
		t.Fatalf("recall: %+v", r)
	}
	// Not an admin: nothing real, and the owner hears it once.
	h.msg(qqPlain, zhangsan, "mute me")
	h.msg(qqPlain, zhangsan, "recall me")
	h.msg(qqPlain, zhangsan, "remove me")
	if len(h.p.got("mute")) != 1 || len(h.p.got("recall")) != 1 || len(h.p.got("remove")) != 0 {
		t.Fatalf("no real action where the bot is not an admin: %+v", h.p.did)
	}
	dms := h.p.got("dm")
	notAdmin, requests := 0, 0
	for _, d := range dms {
		if strings.Contains(d.text, "不是群管理员") {
			notAdmin++
		}
		if strings.Contains(d.text, "请把「张三」移出群「闲聊群」") && strings.Contains(d.text, "机器人不是这个群的管理员") {
			requests++
		}
	}
	if notAdmin != 1 || requests != 1 {
		t.Fatalf("one notice and one removal request: %+v", dms)
	}
	// Made an admin: the owner is told it works now, and the next problem is told again.
	h.p.mu.Lock()
	h.p.admin["200"] = true
	h.p.mu.Unlock()
	h.e.Handle(context.Background(), Event{Type: EventAbilities, ID: "a1", Group: qqPlain})
	if d := h.p.got("dm"); !strings.Contains(d[len(d)-1].text, "现在是群「闲聊群」的管理员") {
		t.Fatalf("abilities: %+v", d)
	}
}

func TestProtectedMembersAreNeverActedOn(t *testing.T) {
	h := newQQHarness(t, "")
	admin := MemberInfo{ID: "9003", Nickname: "王管理", Role: "admin"}
	h.msg(qqGroup, admin, "mute me")
	h.msg(qqGroup, admin, "remove me")
	if len(h.p.got("mute")) != 0 || len(h.p.got("remove")) != 0 {
		t.Fatalf("a platform admin is never muted or removed: %+v", h.p.did)
	}
	if d := h.p.got("dm"); len(d) != 1 || !strings.Contains(d[0].text, "对方是群主或管理员") {
		t.Fatalf("the owner decides about an admin: %+v", d)
	}
}

func TestRefusedAndUnconfirmedActionsFallBack(t *testing.T) {
	h := newQQHarness(t, "")
	h.p.fail["remove"] = fmt.Errorf("kick: %w", &RefusedError{Reason: RefusedNotAdmin})
	h.p.fail["mute"] = &UnconfirmedError{Action: "mute", Detail: "ok but nothing"}
	h.msg(qqGroup, zhangsan, "remove me")
	h.msg(qqGroup, zhangsan, "mute me")
	h.msg(qqGroup, MemberInfo{ID: "9006", Nickname: "赵六", Role: "member"}, "remove me")
	h.e.Outbox().DeliverDue(context.Background()) // the last fallback's messages
	var notAdmin, requests, mismatch int
	for _, d := range h.p.got("dm") {
		switch {
		case strings.Contains(d.text, "不是群管理员"):
			notAdmin++
		case strings.Contains(d.text, "请把「"):
			requests++
		case strings.Contains(d.text, "并没有被禁言"):
			mismatch++
		}
	}
	if notAdmin != 1 || requests != 2 || mismatch != 1 {
		t.Fatalf("refused removals become requests (notice once); an unconfirmed mute is reported: %d %d %d\n%+v",
			notAdmin, requests, mismatch, h.p.got("dm"))
	}
	h.view(func(tx *storage.Tx) error {
		g, _, _ := tx.GroupByPlatformID("100")
		p, _ := tx.PendingRemovals(g.Key)
		if len(p) != 2 {
			t.Fatalf("pending removals: %+v", p)
		}
		ms, _ := tx.MembersByPlatformID(g.Key, "9001")
		if _, muted, _ := tx.ActiveMute(ms[0].Key, t0.Add(time.Minute)); !muted {
			t.Fatal("the soft mute stays when the real one did not happen")
		}
		return nil
	})
}

// A mute set or lifted by a person on the platform is the bot's record too.
func TestPlatformMuteEventsAreRecorded(t *testing.T) {
	h := newQQHarness(t, "")
	h.msg(qqGroup, zhangsan, "你好")
	h.e.Handle(context.Background(), Event{Type: EventMute, ID: "b1", Group: qqGroup, Members: []MemberInfo{{ID: "9001"}}, Duration: 10 * time.Minute, Operator: "王管理"})
	key := func(tx *storage.Tx) int64 {
		g, _, _ := tx.GroupByPlatformID("100")
		ms, _ := tx.MembersByPlatformID(g.Key, "9001")
		if ms[0].Nickname != "张三" {
			t.Fatalf("a notice without names keeps the names: %+v", ms[0])
		}
		return ms[0].Key
	}
	h.view(func(tx *storage.Tx) error {
		m, muted, _ := tx.ActiveMute(key(tx), t0.Add(time.Minute))
		if !muted || !m.Until.Equal(t0.Add(10*time.Minute)) {
			t.Fatalf("recorded mute: %+v %v", m, muted)
		}
		return nil
	})
	h.e.Handle(context.Background(), Event{Type: EventMute, ID: "b2", Group: qqGroup, Members: []MemberInfo{{ID: "9001"}}})
	h.view(func(tx *storage.Tx) error {
		if _, muted, _ := tx.ActiveMute(key(tx), t0.Add(time.Minute)); muted {
			t.Fatal("lifted on the platform, lifted here")
		}
		return nil
	})
	if len(h.p.got("mute")) != 0 {
		t.Fatal("recording a person's mute makes no call")
	}
}
