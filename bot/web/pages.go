package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/chart"
	"qunbot/bot/config"
	"qunbot/bot/moderate"
	"qunbot/bot/schedule"
	"qunbot/storage"
)

// Limits keep every page quick on a phone and the shared connection free for the bot.
const (
	chartDays   = 30
	logLimit    = 100
	movesLimit  = 20
	leaderLimit = 20
	jobsWait    = 2 * time.Second
)

// errNotFound marks a group that does not exist.
var errNotFound = errors.New("not found")

// ---- overview ----

type groupSummary struct {
	Key          int64
	Name         string
	Seen         bool // the bot has seen the group (it has a key)
	Managed      bool
	Members      int
	TodayMsgs    int
	TodayActive  int
	PendingRemov int
}

type jobView struct {
	What  string // Chinese description
	Group string
	Next  string
	In    string
}

type configView struct {
	Source      string
	Loaded      string
	LastAttempt string
	Errors      []string
	Reloadable  bool
	Extra       []bot.StatusItem // the last good backup, the integrity check (bot/maint)
}

type indexPage struct {
	base
	Groups  []groupSummary
	Jobs    []jobView
	JobsErr string
	Config  configView
	CanImg  bool
	Caps    bot.Capabilities
	Blocked []blockView // the owner's blocklist (issue 21)
}

// blockView is one blocklist entry on the overview.
type blockView struct {
	ID                         int64
	Name, Group, Added, Reason string
	ByHand                     bool // 拉黑, rather than a moderation removal
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	p := indexPage{base: s.base("总览"), Caps: s.e.Capabilities(), CanImg: s.e.CanSendImages()}
	cfg := s.e.Config()
	today := s.local(s.e.Now()).Format("2006-01-02")
	seen := map[string]bool{}
	err := s.e.Store().View(r.Context(), func(tx *storage.Tx) error {
		groups, err := tx.Groups()
		if err != nil {
			return err
		}
		for _, g := range groups {
			seen[g.Name] = true
			_, managed := cfg.ForGroup(g.Name)
			sum := groupSummary{Key: g.Key, Name: g.Name, Seen: true, Managed: managed}
			if sum.Members, err = tx.CountMembers(g.Key); err != nil {
				return err
			}
			days, err := tx.GroupActivity(g.Key, today, today)
			if err != nil {
				return err
			}
			for _, d := range days {
				sum.TodayMsgs, sum.TodayActive = d.Messages, d.Active
			}
			pending, err := tx.PendingRemovals(g.Key)
			if err != nil {
				return err
			}
			sum.PendingRemov = len(pending)
			p.Groups = append(p.Groups, sum)
		}
		blocks, err := tx.ActiveBlocks()
		if err != nil {
			return err
		}
		names := map[int64]string{}
		for _, g := range groups {
			names[g.Key] = g.Name
		}
		for _, b := range blocks {
			p.Blocked = append(p.Blocked, blockView{ID: b.ID, Name: b.Name(), Group: names[b.GroupKey],
				Added: s.local(b.AddedAt).Format("2006-01-02 15:04"), Reason: b.Reason, ByHand: b.Source == "command"})
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, name := range slices.Sorted(mapKeys(cfg.Groups)) {
		if !seen[name] {
			_, managed := cfg.ForGroup(name)
			p.Groups = append(p.Groups, groupSummary{Name: name, Managed: managed})
		}
	}
	p.Jobs, p.JobsErr = s.jobs(r.Context(), "")
	p.Config = s.configStatus()
	s.render(w, r, http.StatusOK, "index", p)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (s *Server) configStatus() configView {
	st := s.e.ConfigStatus()
	v := configView{Source: st.Source, Loaded: s.when(st.Loaded), Errors: st.Errors, Reloadable: !strings.Contains(st.Source, "(")}
	v.Extra = s.e.ModuleStatus(s.e.Now())
	if v.Source == "" {
		v.Source = "（内置默认配置）"
	}
	if !st.LastAttempt.IsZero() {
		v.LastAttempt = s.when(st.LastAttempt)
	}
	return v
}

// jobs lists the engine's timers, those of one group only when group is not "".
func (s *Server) jobs(ctx context.Context, group string) ([]jobView, string) {
	ctx, cancel := context.WithTimeout(ctx, jobsWait)
	defer cancel()
	list, err := s.e.Jobs(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "dashboard: jobs not listed", "err", err)
		return nil, "机器人正忙，暂时取不到定时任务列表，请稍后刷新。"
	}
	now := s.e.Now()
	var out []jobView
	for _, j := range list {
		what, g := j.Label.What, j.Label.Group
		if group != "" && g != group {
			continue
		}
		out = append(out, jobView{What: what, Group: g, Next: s.when(j.Next), In: relative(j.Next.Sub(now))})
	}
	return out, ""
}

// ---- group page ----

type statView struct {
	Label string
	Value string
	Note  string
}

type moveView struct {
	When   string
	Name   string
	Joined bool
	By     string
}

type logView struct {
	When     string
	Name     string
	Action   string
	Class    string
	Rule     string
	Reason   string
	Evidence string
	Strikes  string
	Actor    string
	DryRun   bool
}

type removalView struct {
	Name      string
	Requested string
	Source    string
	Reason    string
	Evidence  string
}

type silentView struct {
	Label   string
	Members []silentMember
}

type silentMember struct {
	Name string
	Days int
}

type leaderView struct {
	Rank    int
	Name    string
	Balance int64
}

type groupPage struct {
	base
	Key          int64
	Name         string
	Managed      bool
	Stats        []statView
	Chart        template.HTML
	Joins        int
	Leaves       int
	Moves        []moveView
	Log          []logView
	Removals     []removalView
	SilentOn     bool
	Silent       []silentView
	PointsOn     bool
	Leaders      []leaderView
	Jobs         []jobView
	JobsErr      string
	CanRemove    bool
	ModerationOn bool
	Health       healthView
}

func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) {
	key, err := strconv.ParseInt(r.PathValue("key"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	p, err := s.groupPage(r.Context(), key)
	if errors.Is(err, errNotFound) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Jobs, p.JobsErr = s.jobs(r.Context(), p.Name)
	s.render(w, r, http.StatusOK, "group", p)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "notfound", struct{ base }{s.base("找不到")})
}

func (s *Server) findGroup(tx *storage.Tx, key int64) (storage.Group, error) {
	groups, err := tx.Groups()
	if err != nil {
		return storage.Group{}, err
	}
	for _, g := range groups {
		if g.Key == key {
			return g, nil
		}
	}
	return storage.Group{}, errNotFound
}

func (s *Server) groupPage(ctx context.Context, key int64) (groupPage, error) {
	cfg := s.e.Config()
	now := s.local(s.e.Now())
	to := chart.Midnight(now).AddDate(0, 0, 1)
	from := to.AddDate(0, 0, -chartDays)
	var p groupPage
	err := s.e.Store().View(ctx, func(tx *storage.Tx) error {
		g, err := s.findGroup(tx, key)
		if err != nil {
			return err
		}
		gc, managed := cfg.ForGroup(g.Name)
		p = groupPage{base: s.base(g.Name), Key: g.Key, Name: g.Name, Managed: managed, CanRemove: s.e.Capabilities().CanRemove,
			ModerationOn: managed && gc.Moderation.Enabled, SilentOn: managed && gc.Silent.Enabled, PointsOn: managed && gc.Points.Enabled}
		members, err := tx.CountMembers(g.Key)
		if err != nil {
			return err
		}
		days, err := chart.Series(tx, g.Key, from, to)
		if err != nil {
			return err
		}
		p.Chart = template.HTML(chart.SVG(days, fmt.Sprintf("近%d天每天的消息数和活跃成员数", chartDays)))
		msgs, activeSum, last := 0, 0, days[len(days)-1]
		for _, d := range days {
			msgs += d.Messages
			activeSum += d.Active
		}
		active30, err := tx.ActiveMembers(g.Key, from.Format("2006-01-02"), last.Date.Format("2006-01-02"))
		if err != nil {
			return err
		}
		if p.Joins, p.Leaves, err = s.moveCounts(tx, g.Key, from, to); err != nil {
			return err
		}
		p.Stats = []statView{
			{"成员", strconv.Itoa(members) + " 人", "机器人记录的在群成员"},
			{"今天", fmt.Sprintf("%d 条 · %d 人", last.Messages, last.Active), "消息数 · 发言人数"},
			{fmt.Sprintf("近%d天消息", chartDays), strconv.Itoa(msgs) + " 条", fmt.Sprintf("%d 人发过言", active30)},
			{"日均日活", dailyActive(activeSum, observed(g.FirstSeen, days), members), "每天发言人数 ÷ 成员数"},
			{fmt.Sprintf("近%d天进出", chartDays), fmt.Sprintf("+%d / -%d", p.Joins, p.Leaves), "入群 / 退群"},
		}
		if managed {
			if err := s.fillHealth(tx, &p, gc, members, from, to); err != nil {
				return err
			}
		}
		if err := s.fillMoves(tx, &p, from, to); err != nil {
			return err
		}
		if err := s.fillLog(tx, &p); err != nil {
			return err
		}
		if err := s.fillRemovals(tx, &p); err != nil {
			return err
		}
		if p.SilentOn {
			if err := s.fillSilent(tx, &p, gc.Silent); err != nil {
				return err
			}
		}
		return s.fillLeaders(tx, &p)
	})
	return p, err
}

// observed counts the chart's days the bot watched the group (from the day it first saw
// it): days before that are unknown, not quiet.
func observed(firstSeen time.Time, days []chart.Day) int {
	n := 0
	for _, d := range days {
		if firstSeen.Before(d.Date.AddDate(0, 0, 1)) {
			n++
		}
	}
	return n
}

func dailyActive(activeSum, days, members int) string {
	if members <= 0 || days <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(activeSum)*100/float64(days*members))
}

func (s *Server) moveCounts(tx *storage.Tx, key int64, from, to time.Time) (joins, leaves int, err error) {
	j, err := tx.ActionTimes(key, "join", from, to)
	if err != nil {
		return 0, 0, err
	}
	l, err := tx.ActionTimes(key, "leave", from, to)
	return len(j), len(l), err
}

func (s *Server) fillMoves(tx *storage.Tx, p *groupPage, from, to time.Time) error {
	moves, err := tx.MemberMoves(p.Key, from, to, movesLimit)
	if err != nil {
		return err
	}
	for _, m := range moves {
		v := moveView{When: s.when(m.Time), Name: nameOr(m.MemberName(), m.Detail), Joined: m.Action == "join"}
		if inv, ok := m.Detail["inviter"].(string); ok {
			v.By = inv
		}
		p.Moves = append(p.Moves, v)
	}
	return nil
}

func nameOr(name string, detail map[string]any) string {
	if name != "" {
		return name
	}
	if n, ok := detail["name"].(string); ok && n != "" {
		return n
	}
	return "（未知成员）"
}

// actionLabel names a moderation log action; class styles the tag. A "remove" with a rule
// is the ladder's decision (carried out, or turned into a request, by the next entry);
// one without is the removal itself, where the platform can remove.
func actionLabel(action string, detail map[string]any) (label, class string) {
	switch action {
	case "warn":
		return "警告", "warn"
	case "mute":
		return "禁言", "mute"
	case "remove":
		if _, ok := detail["rule"]; ok {
			return "判定移出", "remove"
		}
		return "已踢出", "remove"
	case "hold":
		return "记下（间隔太短，未升级）", "dry"
	case "review":
		return "请群主复核", "dry"
	case "classifier_learn":
		return "分类器学习", "done"
	case "mute_reminder":
		return "禁言中发言，已提醒", "dry"
	case "remove_request":
		return "请群主移出", "remove"
	case "remove_done":
		return "已离开", "done"
	case "remove_expired":
		return "移出请求过期", "done"
	case "remove_cancel":
		return "取消移出", "done"
	case "unmute":
		return "解除禁言", "done"
	case "unwarn":
		return "撤销警告", "done"
	case "clear":
		return "清除记录", "done"
	case "whitelist":
		return "加入推广白名单", "done"
	case "unwhitelist":
		return "移出推广白名单", "done"
	case "report":
		return "成员举报", "warn"
	}
	return action, ""
}

func actorLabel(actor string) string {
	switch {
	case actor == "bot":
		return "机器人"
	case actor == "owner":
		return "群主"
	case strings.HasPrefix(actor, "admin:"):
		return "管理员"
	}
	return actor
}

// ruleOf finds the rule an entry is about: penalties name it, removal requests carry
// their source ("moderation:ads", "silent", "screening").
func ruleOf(detail map[string]any) string {
	if r, ok := detail["rule"].(string); ok && r != "" {
		return moderate.RuleLabel(r)
	}
	src, _ := detail["source"].(string)
	switch {
	case strings.HasPrefix(src, "moderation:"):
		return moderate.RuleLabel(strings.TrimPrefix(src, "moderation:"))
	case src == "silent":
		return "长期沉默"
	case src == "screening":
		return "入群验证未通过"
	}
	return src
}

func (s *Server) fillLog(tx *storage.Tx, p *groupPage) error {
	entries, err := tx.ModerationLog(p.Key, logLimit)
	if err != nil {
		return err
	}
	for _, e := range entries {
		label, class := actionLabel(e.Action, e.Detail)
		v := logView{When: s.when(e.Time), Name: nameOr(e.MemberName(), e.Detail), Action: label, Class: class,
			Rule: ruleOf(e.Detail), Actor: actorLabel(e.Actor)}
		v.Reason, _ = e.Detail["reason"].(string)
		v.Evidence, _ = e.Detail["evidence"].(string)
		v.DryRun, _ = e.Detail["dry_run"].(bool)
		if n, ok := e.Detail["strikes"].(float64); ok && (e.Action == "warn" || e.Action == "mute" || e.Action == "remove") {
			v.Strikes = fmt.Sprintf("累计 %d 次", int(n))
		}
		p.Log = append(p.Log, v)
	}
	return nil
}

func (s *Server) fillRemovals(tx *storage.Tx, p *groupPage) error {
	pending, err := tx.PendingRemovals(p.Key)
	if err != nil {
		return err
	}
	keys := make([]int64, 0, len(pending))
	for _, r := range pending {
		keys = append(keys, r.MemberKey)
	}
	names, err := tx.Names(keys)
	if err != nil {
		return err
	}
	for _, r := range pending {
		p.Removals = append(p.Removals, removalView{Name: nameOr(names[r.MemberKey], nil), Requested: s.when(r.RequestedAt),
			Source: ruleOf(map[string]any{"source": r.Source}), Reason: r.Reason, Evidence: r.Evidence})
	}
	return nil
}

// fillSilent groups silent members by the wake-up step they got in their current silence,
// as the schedule module counts them for the owner's reports.
func (s *Server) fillSilent(tx *storage.Tx, p *groupPage, cfg config.Silent) error {
	byStep, err := schedule.SilentByStep(tx, p.Key)
	if err != nil {
		return err
	}
	steps := []struct {
		n     int
		on    bool
		after config.Duration
		what  string
	}{{1, cfg.Remind.Enabled, cfg.Remind.After, "已提醒"}, {2, cfg.Benefit.Enabled, cfg.Benefit.After, "已发福利唤醒"},
		{3, cfg.Remove.Enabled, cfg.Remove.After, "已请求移出"}}
	now := s.e.Now()
	for _, st := range steps {
		if !st.on {
			continue
		}
		var list []silentMember
		for _, m := range byStep[st.n] {
			list = append(list, silentMember{Name: m.Name(), Days: int(now.Sub(schedule.SilenceStart(m)) / (24 * time.Hour))})
		}
		slices.SortFunc(list, func(a, b silentMember) int { return b.Days - a.Days })
		p.Silent = append(p.Silent, silentView{Label: fmt.Sprintf("沉默满 %d 天 · %s", max(int(st.after.D()/(24*time.Hour)), 1), st.what), Members: list})
	}
	return nil
}

func (s *Server) fillLeaders(tx *storage.Tx, p *groupPage) error {
	top, err := tx.PointsTop(p.Key, leaderLimit)
	if err != nil {
		return err
	}
	keys := make([]int64, 0, len(top))
	for _, t := range top {
		keys = append(keys, t.MemberKey)
	}
	names, err := tx.Names(keys)
	if err != nil {
		return err
	}
	rank := 0
	for i, t := range top {
		if i == 0 || t.Balance != top[i-1].Balance {
			rank = i + 1 // equal balances share a place, as in the 排行榜 command
		}
		p.Leaders = append(p.Leaders, leaderView{Rank: rank, Name: nameOr(names[t.MemberKey], nil), Balance: t.Balance})
	}
	return nil
}

// handleWeekPNG serves the image the weekly report carries, for the last seven days.
func (s *Server) handleWeekPNG(w http.ResponseWriter, r *http.Request) {
	key, err := strconv.ParseInt(r.PathValue("key"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	to := chart.Midnight(s.local(s.e.Now())).AddDate(0, 0, 1)
	var img []byte
	err = s.e.Store().View(r.Context(), func(tx *storage.Tx) error {
		if _, err := s.findGroup(tx, key); err != nil {
			return err
		}
		days, err := chart.Series(tx, key, to.AddDate(0, 0, -7), to)
		if err != nil {
			return err
		}
		img, err = chart.PNG(days)
		return err
	})
	if errors.Is(err, errNotFound) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(img)
}
