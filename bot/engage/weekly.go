package engage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// weeklyJobName keys the stored last run. Groups may set their own cron, so there is one
// job per distinct spec; each job posts in the groups whose spec it is.
func weeklyJobName(spec string) string { return "engage.weekly_top " + spec }

// Start registers the weekly top-contributors jobs and cancels those no longer configured
// (on a config reload).
func (m *Module) Start(ctx context.Context, e *bot.Engine) error {
	cfg := e.Config()
	specs := map[string]config.CronSpec{}
	add := func(g *config.Group) {
		if g.Enabled && g.WeeklyTop.Enabled && !g.WeeklyTop.Cron.IsZero() {
			specs[g.WeeklyTop.Cron.Spec] = g.WeeklyTop.Cron
		}
	}
	if cfg.ManagesUnlisted() {
		add(&cfg.Defaults)
	}
	for _, g := range cfg.Groups {
		add(g)
	}
	want := map[string]bool{}
	for _, spec := range slices.Sorted(maps.Keys(specs)) {
		name := weeklyJobName(spec)
		want[name] = true
		if err := e.Every(ctx, name, specs[spec], func(t *bot.Turn) error { return weeklyTop(t, name, spec) }); err != nil {
			return fmt.Errorf("schedule weekly top contributors (%s): %w", spec, err)
		}
	}
	for name := range m.jobs {
		if !want[name] {
			e.CancelJob(name)
		}
	}
	m.jobs = want
	return nil
}

var medals = []string{"🥇", "🥈", "🥉"}

// weeklyTop posts, in every managed group on this schedule, the members with the most valid
// messages over the 7 local days before today, and pays the configured awards. Award
// references name the job and the week, so a retried run never pays twice; a run whose
// awards were all paid before does not post again either.
func weeklyTop(t *bot.Turn, job, spec string) error {
	e := t.Engine()
	today := t.Day()
	from, to := shiftDay(today, -7), shiftDay(today, -1)
	// The database, not the engine's in-memory list, knows every group, including those not
	// heard from since a restart.
	groups, err := t.Tx.Groups()
	if err != nil {
		return err
	}
	for _, g := range groups {
		cfg, managed := e.Config().ForGroup(g.Name)
		w := cfg.WeeklyTop
		if !managed || !w.Enabled || w.Cron.Spec != spec {
			continue
		}
		t.Group = bot.GroupCtx{Key: g.Key, Name: g.Name, Config: cfg}
		// A member waiting to be removed or muted now is not held up as an example, nor
		// awarded: ask for a few more than the board shows and leave them out.
		ranked, err := t.Tx.TopActive(g.Key, from, to, w.Top+10)
		if err != nil {
			return fmt.Errorf("weekly top of group %q: %w", g.Name, err)
		}
		var top []storage.ActivityCount
		for _, c := range ranked {
			out, err := t.Sidelined(c.MemberKey)
			if err != nil {
				return err
			}
			if !out && len(top) < w.Top {
				top = append(top, c)
			}
		}
		if len(top) == 0 {
			continue // a silent week gets no post
		}
		var b strings.Builder
		fmt.Fprintf(&b, "🌟 过去一周活跃之星（%s ~ %s）", shortDay(from), shortDay(to))
		var mentioned []storage.Member
		var names []string
		repeat := false
		for i, c := range top {
			mem, err := t.Tx.Member(c.MemberKey)
			if err != nil {
				return err
			}
			place := fmt.Sprintf("%d.", i+1)
			if i < len(medals) {
				place = medals[i]
			}
			fmt.Fprintf(&b, "\n%s %s%d 条", place, bot.Mention(mem), c.Valid)
			if i < len(w.Awards) && w.Awards[i] > 0 {
				award := int64(w.Awards[i])
				_, applied, err := pay(t, mem, award, storage.ReasonAward,
					fmt.Sprintf("award:%s:%s:%d", job, from, mem.Key), fmt.Sprintf("活跃之星第 %d 名 %s~%s", i+1, from, to), nil)
				if err != nil {
					return fmt.Errorf("award member %d: %w", mem.Key, err)
				}
				repeat = repeat || !applied
				fmt.Fprintf(&b, " +%d 积分", award)
			}
			mentioned = append(mentioned, mem)
			names = append(names, mem.ShownName())
		}
		if repeat {
			e.Logger().Info("weekly top already posted", "group", g.Name, "from", from)
			continue
		}
		b.WriteString("\n谢谢大家的参与，新的一周继续热聊吧！")
		if err := t.SayIn(g.Key, b.String(), mentioned...); err != nil {
			return err
		}
		if err := t.Audit("weekly_top", 0, map[string]any{"from": from, "to": to, "members": names}); err != nil {
			return err
		}
	}
	return nil
}
