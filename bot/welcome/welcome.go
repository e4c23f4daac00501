// Package welcome greets newcomers: everyone who joins a group within welcome.batch_window
// is welcomed in one message, named and @-mentioned, with who invited them.
//
// A batch is a one-shot engine timer per group ("welcome:<group key>"). Who is waiting is
// in the members table (welcomed = 0), so a restart re-arms the open batches; the inviters
// are cosmetic and kept in memory only. A graceful stop sends open batches early rather
// than lose them (bot.Stopper).
package welcome

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// Module is the welcome feature. It is used by one engine, on the engine's loop.
type Module struct {
	// inviters are who invited each open batch (group key → names), for the greeting.
	inviters map[int64][]string
	// open are the groups with a batch armed, and in which order they were armed: a stop
	// sends them in the order their timers would have fired.
	open map[int64]batch
	seq  uint64
	// restored: the batches open at the last stop were re-armed (once per engine start,
	// not on every config reload).
	restored bool
}

type batch struct {
	at  time.Time
	seq uint64
}

// New builds the module.
func New() *Module {
	return &Module{inviters: map[int64][]string{}, open: map[int64]batch{}}
}

// Name implements bot.Module.
func (m *Module) Name() string { return "welcome" }

func timerKey(groupKey int64) string { return fmt.Sprintf("welcome:%d", groupKey) }

// Start re-arms welcome batches that were open when the bot stopped: pending joiners are
// in the members table, so a restart greets them instead of forgetting them.
func (m *Module) Start(ctx context.Context, e *bot.Engine) error {
	if m.restored {
		return nil
	}
	var pending map[int64]time.Time
	err := e.Store().View(ctx, func(tx *storage.Tx) error {
		var err error
		pending, err = tx.PendingWelcomeGroups()
		return err
	})
	if err != nil {
		return fmt.Errorf("restore pending welcomes: %w", err)
	}
	m.restored = true
	// In group order: the timers of one instant fire in the order they were armed.
	for _, groupKey := range slices.Sorted(maps.Keys(pending)) {
		cfg, _ := e.Config().ForGroup(e.GroupName(groupKey))
		m.arm(e, groupKey, pending[groupKey].Add(cfg.Welcome.BatchWindow.D()))
	}
	return nil
}

// OnJoin notes who invited the newcomers and opens the group's batch unless one is open.
// Where welcome is off the joiners are marked done at once, so that switching it on later
// does not greet people who joined long before.
func (m *Module) OnJoin(t *bot.Turn, joined []storage.Member) error {
	g := t.Group.Key
	if !t.Group.Config.Welcome.Enabled {
		for i := range joined {
			if err := t.Tx.SetWelcomed(joined[i].Key); err != nil {
				return err
			}
			joined[i].Welcomed = true // the hooks after this one see it too
		}
	}
	if inv := t.Event.Inviter; inv != "" && !slices.Contains(m.inviters[g], inv) {
		m.inviters[g] = append(m.inviters[g], inv)
	}
	if t.Group.Config.Welcome.Enabled {
		m.arm(t.Engine(), g, t.Now.Add(t.Group.Config.Welcome.BatchWindow.D()))
	}
	return nil
}

// Stop sends the open batches now: a welcome is better sent early than never.
func (m *Module) Stop(ctx context.Context, e *bot.Engine) {
	groups := slices.Collect(maps.Keys(m.open))
	slices.SortFunc(groups, func(a, b int64) int {
		x, y := m.open[a], m.open[b]
		if c := x.at.Compare(y.at); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
	for _, g := range groups {
		e.Cancel(timerKey(g))
		m.fire(ctx, e, g)
	}
}

// arm closes the group's welcome batch at `at` unless a batch is already open: everyone
// who joins before it closes is greeted in one message.
func (m *Module) arm(e *bot.Engine, groupKey int64, at time.Time) {
	if _, ok := m.open[groupKey]; ok {
		return
	}
	m.seq++
	m.open[groupKey] = batch{at: at, seq: m.seq}
	e.Schedule(timerKey(groupKey), e.JobIn(groupKey, "发送欢迎语（合并同一时间进群的新人）"), at, func(ctx context.Context, now time.Time) { m.fire(ctx, e, groupKey) })
}

func (m *Module) fire(ctx context.Context, e *bot.Engine, groupKey int64) {
	delete(m.open, groupKey)
	if err := e.Update(ctx, func(t *bot.Turn) error { return m.send(t, groupKey) }); err != nil {
		e.Logger().ErrorContext(ctx, "welcome not sent", "group", e.GroupName(groupKey), "err", err)
	}
}

// send greets everyone in the group waiting for a welcome, in one message.
func (m *Module) send(t *bot.Turn, groupKey int64) error {
	e := t.Engine()
	name := e.GroupName(groupKey)
	cfg, managed := e.Config().ForGroup(name)
	t.Group = bot.GroupCtx{Key: groupKey, Name: name, Config: cfg}
	newcomers, err := t.Tx.Unwelcomed(groupKey, t.Now.Add(-cfg.Welcome.MaxDelay.D()))
	if err != nil {
		return err
	}
	// Stale joiners (older than max_delay) and everyone when welcome was switched off
	// meanwhile are marked done without a greeting.
	if err := t.Tx.MarkWelcomed(groupKey); err != nil {
		return err
	}
	// A newcomer caught before the batch closed (an ad account told to leave, a joiner
	// muted for spam) is not welcomed.
	kept := newcomers[:0]
	for _, mem := range newcomers {
		out, err := t.Sidelined(mem.Key)
		if err != nil {
			return err
		}
		if !out {
			kept = append(kept, mem)
		}
	}
	newcomers = kept
	if !managed || !cfg.Welcome.Enabled || len(newcomers) == 0 {
		return nil
	}
	count, err := e.MemberCount(t.Tx, groupKey)
	if err != nil {
		return err
	}
	inviter := strings.Join(m.inviters[groupKey], "、")
	delete(m.inviters, groupKey)
	text := render(cfg, name, count, inviter, newcomers, t.Now.In(e.Location()), e.Logger())
	if err := t.Say(text, newcomers...); err != nil {
		return err
	}
	names := make([]string, len(newcomers))
	for i, mem := range newcomers {
		names[i] = mem.ShownName()
	}
	return t.Audit("welcome", 0, map[string]any{"members": names})
}

// render fills the template. Names are data: text/template never parses them, so a
// nickname like "{{.Rules}}" prints as written. If the template fails at run time the
// built-in one is used, so a newcomer is never left without a greeting.
func render(cfg *config.Group, group string, count int, inviter string, newcomers []storage.Member, now time.Time, log interface {
	Error(msg string, args ...any)
}) string {
	var mentions strings.Builder
	names := make([]string, len(newcomers))
	for i, m := range newcomers {
		mentions.WriteString(bot.Mention(m))
		names[i] = m.ShownName()
	}
	data := config.WelcomeData{
		Mentions: mentions.String(),
		Names:    strings.Join(names, "、"),
		Name:     names[0],
		Count:    count,
		Group:    group,
		AskIntro: cfg.Welcome.AskIntro,
		Inviter:  inviter,
		Time:     now.Format("15:04"),
	}
	if cfg.Welcome.ShowRules {
		data.Rules = strings.TrimSpace(cfg.RulesText)
	}
	text, err := cfg.Welcome.Template.Execute(data)
	if err != nil || strings.TrimSpace(text) == "" {
		log.Error("welcome template failed; using the built-in one", "group", group, "err", err)
		text, _ = config.MustTemplate("welcome", config.DefaultWelcome).Execute(data)
	}
	return text
}
