package engage

import (
	"context"
	"fmt"
	"maps"
	"math"
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
		if err := e.Every(ctx, name, bot.JobLabel{Group: bot.AllGroups, What: "每周活跃之星（" + config.CronWords(spec) + "）"}, specs[spec], func(t *bot.Turn) error { return weeklyTop(t, name, spec) }); err != nil {
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
		top, err := weeklyRanking(t, g.Key, from, to, w)
		if err != nil {
			return fmt.Errorf("weekly top of group %q: %w", g.Name, err)
		}
		if len(top) == 0 {
			continue // a silent week gets no post
		}
		var b strings.Builder
		b.WriteString(cfg.Texts.Text("weekly_star.title", config.Vars{"起始日": shortDay(from), "结束日": shortDay(to)}))
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
			thanks, award := "", ""
			if c.Thanks > 0 {
				thanks = fmt.Sprintf(" · 获谢 %d 次", c.Thanks)
			}
			if i < len(w.Awards) && w.Awards[i] > 0 {
				points := int64(w.Awards[i])
				_, applied, err := pay(t, mem, points, storage.ReasonAward,
					fmt.Sprintf("award:%s:%s:%d", job, from, mem.Key), fmt.Sprintf("活跃之星第 %d 名 %s~%s", i+1, from, to), nil)
				if err != nil {
					return fmt.Errorf("award member %d: %w", mem.Key, err)
				}
				repeat = repeat || !applied
				award = fmt.Sprintf(" +%d 积分", points)
			}
			b.WriteString("\n" + cfg.Texts.Text("weekly_star.line", config.Vars{"名次": place, "成员": bot.Mention(mem), "昵称": mem.ShownName(),
				"条数": fmt.Sprint(c.Valid), "获谢": thanks, "奖励": award}))
			mentioned = append(mentioned, mem)
			names = append(names, mem.ShownName())
		}
		if repeat {
			e.Logger().Info("weekly top already posted", "group", g.Name, "from", from)
			continue
		}
		b.WriteString("\n" + cfg.Texts.Text("weekly_star.footer", nil))
		if err := t.PostIn(g.Key, b.String(), mentioned...); err != nil {
			return err
		}
		if err := t.Audit("weekly_top", 0, map[string]any{"from": from, "to": to, "members": names}); err != nil {
			return err
		}
	}
	return nil
}

// starScore is one member's week: valid messages and thanks received.
type starScore struct {
	MemberKey int64
	Valid     int
	Thanks    int
	score     int
}

// weeklyRanking ranks the members still in the group by valid messages plus
// thanks_weight × thanks received over [from, to]: the week's star is who helped, not
// only who talked.
func weeklyRanking(t *bot.Turn, groupKey int64, from, to string, w config.WeeklyTop) ([]starScore, error) {
	all, err := t.Tx.TopActive(groupKey, from, to, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	byKey := map[int64]*starScore{}
	var out []*starScore
	for _, a := range all {
		s := &starScore{MemberKey: a.MemberKey, Valid: a.Valid}
		byKey[a.MemberKey] = s
		out = append(out, s)
	}
	if w.ThanksWeight > 0 && t.Group.Config.Thanks.Enabled {
		thanks, err := t.Tx.ThanksReceived(groupKey, from, to)
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(thanks)) {
			s, ok := byKey[k]
			if !ok {
				mem, err := t.Tx.Member(k)
				if err != nil {
					return nil, err
				}
				if !mem.InGroup() {
					continue
				}
				s = &starScore{MemberKey: k}
				byKey[k] = s
				out = append(out, s)
			}
			s.Thanks = thanks[k]
		}
	}
	for _, s := range out {
		s.score = s.Valid + w.ThanksWeight*s.Thanks
	}
	slices.SortStableFunc(out, func(a, b *starScore) int {
		if a.score != b.score {
			return b.score - a.score
		}
		if a.Valid != b.Valid {
			return b.Valid - a.Valid
		}
		return int(a.MemberKey - b.MemberKey)
	})
	// A member waiting to be removed or muted now is not held up as an example, nor awarded.
	ranked := make([]starScore, 0, min(len(out), w.Top))
	for _, s := range out {
		if len(ranked) == w.Top {
			break
		}
		sidelined, err := t.Sidelined(s.MemberKey)
		if err != nil {
			return nil, err
		}
		if !sidelined {
			ranked = append(ranked, *s)
		}
	}
	return ranked, nil
}
