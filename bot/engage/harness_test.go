package engage

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

const testGroup = "读书会"

// sent is one message the bot delivered.
type sent struct {
	to       string // group name, or the DM target
	text     string
	mentions []string
}

// fakePlatform records what the bot sends. It can do nothing else, like WeChat.
type fakePlatform struct {
	mu    sync.Mutex
	sends []sent
	dms   []sent
}

func (p *fakePlatform) Capabilities() bot.Capabilities { return bot.Capabilities{} }
func (p *fakePlatform) SendText(ctx context.Context, groupID, text string, mentions []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sends = append(p.sends, sent{groupID, text, mentions})
	return nil
}
func (p *fakePlatform) SendDM(ctx context.Context, to, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dms = append(p.dms, sent{to: to, text: text})
	return nil
}
func (p *fakePlatform) RemoveMember(ctx context.Context, groupID, memberID string) error {
	return bot.ErrNotSupported
}
func (p *fakePlatform) Groups(ctx context.Context) ([]bot.GroupInfo, error) { return nil, nil }
func (p *fakePlatform) Members(ctx context.Context, groupID string) ([]bot.MemberInfo, error) {
	return nil, nil
}

type recorder struct {
	mu       sync.Mutex
	outcomes []bot.Outcome
}

func (r *recorder) Outcome(o bot.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, o)
}

// flagger stands in for moderation: it marks messages the way the real Screener does, so
// the engagement rules about caught, duplicate and muted messages can be tested.
type flagger struct{}

func (flagger) Name() string { return "test-flagger" }
func (flagger) Screen(t *bot.Turn) error {
	text := t.Text()
	t.Caught = t.Caught || strings.Contains(text, "加微信")
	t.Duplicate = t.Duplicate || strings.HasPrefix(text, "[dup]")
	t.Muted = t.Muted || t.Member.Name() == "禁言者"
	return nil
}

type harness struct {
	t     testing.TB
	cfg   *config.Config
	st    *storage.Store
	e     *bot.Engine
	clock *bot.ManualClock
	plat  *fakePlatform
	obs   *recorder
	seq   int
}

var harnessT0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)) // a Saturday

// newHarness runs the engine with this module (and the test flagger) on a temp-file
// database. yamlText is a config file; "" means the built-in defaults.
func newHarness(t testing.TB, yamlText string) *harness {
	t.Helper()
	return newHarnessOn(t, yamlText, filepath.Join(t.TempDir(), "q.db"), harnessT0)
}

func newHarnessOn(t testing.TB, yamlText, dbPath string, start time.Time) *harness {
	t.Helper()
	cfg, err := config.Parse([]byte(yamlText), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, cfg: cfg, st: st, clock: bot.NewManualClock(start), plat: &fakePlatform{}, obs: &recorder{}}
	h.e, err = bot.New(bot.Options{Config: cfg, Store: st, Platform: h.plat, Clock: h.clock, Observer: h.obs,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Modules: []bot.Module{flagger{}, New()}, Pacing: &bot.Pacing{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

// sayID delivers a text message with an explicit platform message id.
func (h *harness) sayID(id, member, text string) {
	ev := bot.Event{Type: bot.EventMessage, ID: id, Time: h.clock.Now(), Group: bot.GroupInfo{ID: testGroup, Name: testGroup},
		Kind: bot.KindText, Text: text}
	if member == "群主" {
		ev.Sender, ev.FromOwner = bot.MemberInfo{ID: "me", Nickname: "群主"}, true
	} else {
		ev.Sender = bot.MemberInfo{ID: member, Nickname: member}
	}
	h.e.Handle(context.Background(), ev)
}

// say delivers a text message with a fresh id.
func (h *harness) say(member, text string) {
	h.seq++
	h.sayID(fmt.Sprint("m", h.seq), member, text)
}

// sayKind delivers a non-text message.
func (h *harness) sayKind(member string, kind bot.MessageKind) {
	h.seq++
	h.e.Handle(context.Background(), bot.Event{Type: bot.EventMessage, ID: fmt.Sprint("m", h.seq), Time: h.clock.Now(),
		Group: bot.GroupInfo{ID: testGroup, Name: testGroup}, Sender: bot.MemberInfo{ID: member, Nickname: member}, Kind: kind})
}

func (h *harness) advance(d time.Duration) {
	h.e.AdvanceTo(context.Background(), h.clock.Now().Add(d), h.clock.Set)
}

// take returns and forgets what happened since the last call.
func (h *harness) take() (sends, dms []sent, outcomes []bot.Outcome) {
	h.plat.mu.Lock()
	sends, dms, h.plat.sends, h.plat.dms = h.plat.sends, h.plat.dms, nil, nil
	h.plat.mu.Unlock()
	h.obs.mu.Lock()
	outcomes, h.obs.outcomes = h.obs.outcomes, nil
	h.obs.mu.Unlock()
	return sends, dms, outcomes
}

// texts returns the texts of the group messages since the last take.
func (h *harness) texts() []string {
	sends, _, _ := h.take()
	var out []string
	for _, s := range sends {
		out = append(out, s.text)
	}
	return out
}

func (h *harness) member(name string) storage.Member {
	h.t.Helper()
	key, ok := h.e.GroupKey(testGroup)
	if !ok {
		h.t.Fatalf("group %s not seen yet", testGroup)
	}
	var m storage.Member
	err := h.st.View(context.Background(), func(tx *storage.Tx) error {
		found, err := tx.MembersNamed(key, name)
		if err != nil {
			return err
		}
		if len(found) != 1 {
			return fmt.Errorf("%d members named %s", len(found), name)
		}
		m = found[0]
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

func (h *harness) balance(name string) int64 {
	h.t.Helper()
	m := h.member(name)
	var b int64
	if err := h.st.View(context.Background(), func(tx *storage.Tx) (err error) {
		b, err = tx.Balance(m.Key)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return b
}

func (h *harness) setRole(name, role string) {
	h.t.Helper()
	m := h.member(name)
	if err := h.st.Update(context.Background(), func(tx *storage.Tx) error { return tx.SetRole(m.Key, role) }); err != nil {
		h.t.Fatal(err)
	}
}

// points returns the "points" outcomes among outcomes as "member reason delta balance".
func points(outcomes []bot.Outcome) []string {
	var out []string
	for _, o := range outcomes {
		if o.Kind == "points" {
			out = append(out, fmt.Sprintf("%s %v %v %v", o.Member, o.Fields["reason"], o.Fields["delta"], o.Fields["balance"]))
		}
	}
	return out
}

// ledgerMatchesBalances checks the invariant: every balance is the sum of its entries.
func (h *harness) ledgerMatchesBalances() {
	h.t.Helper()
	var bad int
	err := h.st.DB().QueryRow(`SELECT COUNT(*) FROM points_balances b
		WHERE b.balance != (SELECT COALESCE(SUM(delta), 0) FROM points_ledger l WHERE l.member_key = b.member_key)`).Scan(&bad)
	if err != nil || bad != 0 {
		h.t.Fatalf("balances out of step with the ledger: %d rows, %v", bad, err)
	}
}
