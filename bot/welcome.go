package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

func welcomeKey(groupKey int64) string { return fmt.Sprintf("welcome:%d", groupKey) }

// armWelcome closes the group's welcome batch at `at` unless a batch is already open:
// everyone who joins before it closes is greeted in one message.
func (e *Engine) armWelcome(groupKey int64, at time.Time) {
	key := welcomeKey(groupKey)
	if e.timers.has(key) {
		return
	}
	e.timers.schedule(&timer{key: key, at: at, flushOnStop: true, run: func(ctx context.Context, now time.Time) {
		if err := e.Update(ctx, func(t *Turn) error { return e.sendWelcome(t, groupKey) }); err != nil {
			e.log.ErrorContext(ctx, "welcome not sent", "group", e.GroupName(groupKey), "err", err)
		}
	}})
}

// restoreWelcomes re-arms welcome batches that were open when the bot stopped: pending
// joiners are in the members table, so a restart greets them instead of forgetting them.
func (e *Engine) restoreWelcomes(ctx context.Context) error {
	var pending map[int64]time.Time
	err := e.store.View(ctx, func(tx *storage.Tx) error {
		var err error
		pending, err = tx.PendingWelcomeGroups()
		if err != nil {
			return err
		}
		groups, err := tx.Groups()
		if err != nil {
			return err
		}
		for _, g := range groups {
			if _, ok := e.groups[g.Key]; !ok {
				e.groups[g.Key] = &groupState{key: g.Key, name: g.Name}
				e.groupKeys[g.Name] = g.Key
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("restore pending welcomes: %w", err)
	}
	for groupKey, first := range pending {
		cfg, _ := e.Config().ForGroup(e.GroupName(groupKey))
		e.armWelcome(groupKey, first.Add(cfg.Welcome.BatchWindow.D()))
	}
	return nil
}

// sendWelcome greets everyone in the group waiting for a welcome, in one message.
func (e *Engine) sendWelcome(t *Turn, groupKey int64) error {
	name := e.GroupName(groupKey)
	cfg, managed := e.Config().ForGroup(name)
	t.Group = GroupCtx{Key: groupKey, Name: name, Config: cfg}
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
	for _, m := range newcomers {
		out, err := t.Sidelined(m.Key)
		if err != nil {
			return err
		}
		if !out {
			kept = append(kept, m)
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
	inviter := strings.Join(e.inviters[groupKey], "、")
	delete(e.inviters, groupKey)
	text := renderWelcome(cfg, name, count, inviter, newcomers, t.Now.In(e.Location()), e.log)
	if err := t.Say(text, newcomers...); err != nil {
		return err
	}
	names := make([]string, len(newcomers))
	for i, m := range newcomers {
		names[i] = m.ShownName()
	}
	return t.Audit("welcome", 0, map[string]any{"members": names})
}

// renderWelcome fills the template. Names are data: text/template never parses them, so a
// nickname like "{{.Rules}}" prints as written. If the template fails at run time the
// built-in one is used, so a newcomer is never left without a greeting.
func renderWelcome(cfg *config.Group, group string, count int, inviter string, newcomers []storage.Member, now time.Time, log interface {
	Error(msg string, args ...any)
}) string {
	var mentions strings.Builder
	names := make([]string, len(newcomers))
	for i, m := range newcomers {
		mentions.WriteString(Mention(m))
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

// MemberCount is the group's size: the platform's count when it reports one (it includes
// members who never spoke and the owner), else the members we know.
func (e *Engine) MemberCount(tx *storage.Tx, groupKey int64) (int, error) {
	count, err := tx.CountMembers(groupKey)
	if err != nil {
		return 0, err
	}
	if g := e.groups[groupKey]; g != nil && g.count > count {
		count = g.count
	}
	return count, nil
}
