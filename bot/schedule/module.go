// Package schedule runs a group's calendar and member lifecycle: scheduled posts, the
// three wake-up steps for silent members, entry screening (入群验证) and the daily and
// weekly reports to the owner.
//
// Everything recurring is a cron job registered with the engine (bot.Engine.Every) under a
// stable name per group, so that its last run is stored with its effects: a restart never
// repeats a post and one missed while down runs on start within scheduler.grace.
//
//	post:<group>:<name or #place>   a scheduled post
//	silent.check:<group>            the daily silent-member check
//	report.daily:<group>            the daily report to the owner
//	report.weekly:<group>           the weekly report to the owner
//
// Screening deadlines are one-shot timers, re-armed from the screening table on start.
package schedule

import (
	"context"
	"fmt"
	"slices"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/bot/holiday"
	"qunbot/storage"
)

// Module is the schedule feature. It is used by one engine, on the engine's loop.
type Module struct {
	// jobs are the cron jobs registered per group name, so that a re-plan (config reload,
	// a group seen for the first time) can cancel the ones the config no longer has.
	jobs map[string][]string
	// planned holds groups whose jobs are registered or about to be.
	planned map[string]bool
}

// New builds the module. It gets the engine in Start and in every turn.
func New() *Module {
	return &Module{jobs: map[string][]string{}, planned: map[string]bool{}}
}

// Name implements bot.Module.
func (m *Module) Name() string { return "schedule" }

// Start registers the jobs of every group the bot knows and re-arms screening deadlines.
// Groups seen for the first time later are planned when their first event arrives.
func (m *Module) Start(ctx context.Context, e *bot.Engine) error {
	var groups []storage.Group
	if err := e.Store().View(ctx, func(tx *storage.Tx) error {
		var err error
		groups, err = tx.Groups()
		return err
	}); err != nil {
		return fmt.Errorf("list groups to plan: %w", err)
	}
	names := map[string]bool{}
	for _, g := range groups {
		names[g.Name] = true
	}
	for name := range m.planned {
		names[name] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	slices.Sort(sorted)
	for _, name := range sorted {
		if err := m.plan(ctx, e, name); err != nil {
			return err
		}
	}
	if err := m.restoreScreening(ctx, e); err != nil {
		return err
	}
	return tellHolidayWarnings(ctx, e)
}

type job struct {
	name string
	what string // its label on the dashboard and in 状态
	spec config.CronSpec
	fn   bot.JobFunc
}

// plan registers the group's cron jobs from the config in force and cancels the ones it
// no longer has. Registering a job again is harmless: its stored last run decides. A job
// registered for the first time is not due before the bot first saw the group.
func (m *Module) plan(ctx context.Context, e *bot.Engine, group string) error {
	m.planned[group] = true
	cfg, managed := e.Config().ForGroup(group)
	var firstSeen time.Time
	if err := e.Store().View(ctx, func(tx *storage.Tx) error {
		groups, err := tx.Groups()
		for _, g := range groups {
			if g.Name == group {
				firstSeen = g.FirstSeen
			}
		}
		return err
	}); err != nil {
		return fmt.Errorf("plan %s: read the group: %w", group, err)
	}
	var want []job
	if managed {
		for i, p := range cfg.Posts {
			id := p.ID(i)
			name := postJobName(group, id)
			want = append(want, job{name, "定时发帖「" + id + "」", postSchedule(p, e.Location(), holidaysOf(e)), m.postJob(group, id, name)})
		}
		if cfg.Silent.Enabled {
			want = append(want, job{"silent.check:" + group, "检查沉默成员", cfg.Silent.Check, m.silentJob(group)})
		}
		if cfg.Reports.Daily.Enabled {
			want = append(want, job{"report.daily:" + group, "日报（发给群主）", cfg.Reports.Daily.Cron, m.reportJob(group, daily)})
		}
		if cfg.Reports.Weekly.Enabled {
			want = append(want, job{"report.weekly:" + group, "周报（发给群主，附活跃图）", cfg.Reports.Weekly.Cron, m.reportJob(group, weekly)})
		}
	}
	if err := tellPassedPosts(ctx, e, group, cfg, managed); err != nil {
		return err
	}
	var names []string
	for _, j := range want {
		names = append(names, j.name)
	}
	for _, old := range m.jobs[group] {
		if !slices.Contains(names, old) {
			e.CancelJob(old)
		}
	}
	m.jobs[group] = names
	for _, j := range want {
		if err := e.EverySince(ctx, j.name, bot.JobLabel{Group: group, What: j.what}, j.spec, firstSeen, j.fn); err != nil {
			return fmt.Errorf("plan %s: %w", j.name, err)
		}
	}
	return nil
}

func postJobName(group, id string) string { return "post:" + group + ":" + id }

// holidaysOf is the holiday table in force (a config built by hand in a test may have none).
func holidaysOf(e *bot.Engine) *holiday.Table {
	if h := e.Config().Holidays; h != nil {
		return h
	}
	return holiday.Default()
}

// ensurePlanned plans a group the first time one of its events is seen. The planning
// itself reads the database, so it runs as a timer right after the event's transaction.
func (m *Module) ensurePlanned(t *bot.Turn) {
	name := t.Group.Name
	if name == "" || m.planned[name] {
		return
	}
	m.planned[name] = true
	e := t.Engine()
	e.Schedule("schedule.plan:"+name, bot.JobLabel{Group: name, What: "安排这个群的定时任务"}, t.Now, func(ctx context.Context, now time.Time) {
		if err := m.plan(ctx, e, name); err != nil {
			e.Logger().ErrorContext(ctx, "schedules not planned", "group", name, "err", err)
		}
	})
}

// OnJoin implements bot.JoinHook: entry screening starts.
func (m *Module) OnJoin(t *bot.Turn, joined []storage.Member) error {
	m.ensurePlanned(t)
	if err := sizeAlert(t); err != nil {
		return err
	}
	return m.screenJoins(t, joined)
}

// OnMessage implements bot.MessageHook: speaking ends a silence, and may answer screening.
func (m *Module) OnMessage(t *bot.Turn) error {
	m.ensurePlanned(t)
	if err := m.silenceEnded(t); err != nil {
		return err
	}
	return m.screenMessage(t)
}

// OnLeave implements bot.LeaveHook: a member who left is no longer screened or reminded.
func (m *Module) OnLeave(t *bot.Turn, left []storage.Member) error {
	m.ensurePlanned(t)
	if err := sizeRearm(t); err != nil {
		return err
	}
	for _, mem := range left {
		if err := t.Tx.ClearSilentStep(mem.Key); err != nil {
			return err
		}
		closed, err := t.Tx.CloseScreening(mem.Key, storage.ScreeningLeft, t.Now)
		if err != nil {
			return err
		}
		if closed {
			if err := t.Audit("screen_drop", mem.Key, map[string]any{"name": mem.Name(), "why": "left"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// groupTurn points a job's turn at a group by name and reports whether the bot manages
// it. The key comes from the database: the engine's in-memory group map is rebuilt after a
// failed event and may not hold every group yet.
func groupTurn(t *bot.Turn, name string) (bool, error) {
	cfg, managed := t.Engine().Config().ForGroup(name)
	if !managed {
		return false, nil
	}
	g, ok, err := t.Tx.FindGroup(name)
	if err != nil || !ok {
		return false, err
	}
	t.Group = bot.GroupCtx{Key: g.Key, Name: g.Name, Config: cfg}
	return true, nil
}

// groupTurnByKey is groupTurn for a group known by key (screening rows).
func groupTurnByKey(t *bot.Turn, key int64) (bool, error) {
	g, ok, err := t.Tx.GroupByKey(key)
	if err != nil || !ok {
		return false, err
	}
	return groupTurn(t, g.Name)
}

// Interfaces the module implements; checked at compile time.
var (
	_ bot.Starter     = (*Module)(nil)
	_ bot.JoinHook    = (*Module)(nil)
	_ bot.MessageHook = (*Module)(nil)
	_ bot.LeaveHook   = (*Module)(nil)
)
