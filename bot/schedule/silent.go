package schedule

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/internal/safetext"
	"qunbot/storage"
)

// The wake-up steps, in order. A member gets them one at a time (at most one step a day),
// so nobody is ever put up for removal without the friendlier steps first, even after the
// bot was down for weeks.
const (
	stepRemind  = 1
	stepBenefit = 2
	stepRemove  = 3
)

func stepName(n int) string {
	switch n {
	case stepRemind:
		return "remind"
	case stepBenefit:
		return "benefit"
	}
	return "remove"
}

type silentStep struct {
	n     int
	after time.Duration
}

func enabledSteps(s config.Silent) []silentStep {
	var out []silentStep
	if s.Remind.Enabled {
		out = append(out, silentStep{stepRemind, s.Remind.After.D()})
	}
	if s.Benefit.Enabled {
		out = append(out, silentStep{stepBenefit, s.Benefit.After.D()})
	}
	if s.Remove.Enabled {
		out = append(out, silentStep{stepRemove, s.Remove.After.D()})
	}
	return out
}

// SilenceStart is when the member's current silence began: the latest of their last
// message, their (re)join and when the bot first saw them. first_seen keeps a freshly
// installed bot from flagging everyone on day one; the join keeps a member who spoke long
// ago, left and came back from being flagged the day they return.
func SilenceStart(m storage.Member) time.Time {
	s := m.FirstSeen
	for _, t := range []time.Time{m.JoinedAt, m.LastSpoke} {
		if t.After(s) {
			s = t
		}
	}
	return s
}

// exempt members are never reminded: the owner and admins (roles bound to member keys).
func exempt(m storage.Member) bool { return m.Role == storage.RoleAdmin || m.Role == bot.RoleOwner }

// currentStep is the step the member got in their current silence (0: none).
func currentStep(m storage.Member, recorded map[int64]storage.SilentStep) int {
	if r, ok := recorded[m.Key]; ok && r.Since.Equal(SilenceStart(m)) {
		return r.Step
	}
	return 0
}

type dueMember struct {
	m     storage.Member
	since time.Time
}

func (m *Module) silentJob(group string) bot.JobFunc {
	return func(t *bot.Turn) error {
		ok, err := groupTurn(t, group)
		if err != nil || !ok {
			return err
		}
		return checkSilent(t)
	}
}

// checkSilent is the daily check: members who reached their next step get it. The
// reminder and benefit steps go out as one group message naming at most max_per_day
// members (those silent longest first; the rest wait for the next day); the removal step
// is one DM to the owner listing everyone due (or real removals where configured and the
// platform can).
func checkSilent(t *bot.Turn) error {
	cfg := t.Group.Config.Silent
	steps := enabledSteps(cfg)
	if !cfg.Enabled || len(steps) == 0 {
		return nil
	}
	members, err := t.Tx.GroupMembers(t.Group.Key)
	if err != nil {
		return err
	}
	recorded, err := t.Tx.SilentSteps(t.Group.Key)
	if err != nil {
		return err
	}
	skip := map[int64]bool{}
	pending, err := t.Tx.PendingRemovals(t.Group.Key)
	if err != nil {
		return err
	}
	for _, r := range pending {
		skip[r.MemberKey] = true // on the way out already
	}
	screening, err := t.Tx.PendingScreenings(t.Group.Key)
	if err != nil {
		return err
	}
	for _, s := range screening {
		skip[s.MemberKey] = true // a newcomer being screened has their own deadline
	}
	due := map[int][]dueMember{}
	for _, mem := range members {
		if exempt(mem) || skip[mem.Key] {
			continue
		}
		cur := currentStep(mem, recorded)
		for _, st := range steps {
			if st.n <= cur {
				continue
			}
			since := SilenceStart(mem)
			if t.Now.Sub(since) >= st.after {
				due[st.n] = append(due[st.n], dueMember{mem, since})
			}
			break // the next step only
		}
	}
	for _, list := range due {
		sort.SliceStable(list, func(i, j int) bool {
			if !list[i].since.Equal(list[j].since) {
				return list[i].since.Before(list[j].since)
			}
			return list[i].m.Key < list[j].m.Key
		})
	}
	// Benefit first when capping: those members have waited longest.
	limit := cfg.MaxPerDay
	benefit := capList(due[stepBenefit], limit)
	remind := capList(due[stepRemind], limit-len(benefit))
	var parts []string
	var named []storage.Member
	for _, s := range []struct {
		n    int
		list []dueMember
		step config.SilentStep
		def  string
	}{{stepRemind, remind, cfg.Remind, config.DefaultSilentRemind}, {stepBenefit, benefit, cfg.Benefit, config.DefaultSilentBenefit}} {
		if len(s.list) == 0 {
			continue
		}
		ms := make([]storage.Member, len(s.list))
		for i, d := range s.list {
			ms[i] = d.m
		}
		if config.ByDM(s.step.Via) {
			var err error
			if ms, err = silentDMs(t, s.step, s.def, stepName(s.n), ms); err != nil {
				return err
			}
		}
		if len(ms) > 0 {
			mentions, names := mentionsOf(ms)
			data := config.SilentData{Mentions: mentions, Names: names, Count: len(ms), Days: days(s.step.After), Group: t.Group.Name}
			parts = append(parts, render(t.Engine().Logger(), "silent."+stepName(s.n), s.step.Template, data,
				config.MustTemplate("silent", s.def), ""))
			named = append(named, ms...)
		}
		for _, d := range s.list {
			if err := recordStep(t, d, s.n, days(s.step.After)); err != nil {
				return err
			}
		}
	}
	if len(parts) > 0 {
		if err := t.Say(strings.Join(parts, "\n\n"), named...); err != nil {
			return err
		}
	}
	return removeSilent(t, capList(due[stepRemove], cfg.MaxPerDay))
}

func capList(l []dueMember, n int) []dueMember {
	if n <= 0 {
		return nil
	}
	if len(l) > n {
		return l[:n]
	}
	return l
}

func recordStep(t *bot.Turn, d dueMember, step, days int) error {
	if err := t.Tx.SetSilentStep(t.Group.Key, d.m.Key, step, d.since, t.Now); err != nil {
		return err
	}
	return t.Audit("silent", d.m.Key, map[string]any{"name": d.m.Name(), "step": stepName(step), "days": days})
}

// removeSilent is the last step. By default (action: request), and always on a platform
// that cannot remove, the owner gets one DM listing the members due today; each gets a
// tracked removal request (closed when they leave, cancelled when they speak).
func removeSilent(t *bot.Turn, list []dueMember) error {
	if len(list) == 0 {
		return nil
	}
	cfg := t.Group.Config.Silent.Remove
	n := days(cfg.After)
	reason := fmt.Sprintf("连续 %d 天没有发言", n)
	loc := t.Engine().Location()
	var lines []string
	for _, d := range list {
		if cfg.Action == config.ActionRemove && t.Engine().Capabilities().CanRemove {
			if _, err := t.RemoveOrRequest(d.m, bot.RemovalReason{Source: "silent", Reason: reason}); err != nil {
				return err
			}
		} else {
			r, created, err := t.Tx.RequestRemoval(storage.Removal{GroupKey: t.Group.Key, MemberKey: d.m.Key,
				RequestedAt: t.Now, Source: "silent", Reason: reason})
			if err != nil {
				return err
			}
			if created {
				if err := t.Audit("remove_request", d.m.Key, map[string]any{"removal": r.ID, "source": "silent", "reason": reason}); err != nil {
					return err
				}
				lines = append(lines, fmt.Sprintf("· #%d「%s」（%s）", r.ID, safetext.Name(d.m.Name()), lastSign(d.m, loc)))
			}
		}
		if err := recordStep(t, d, stepRemove, n); err != nil {
			return err
		}
	}
	if len(lines) == 0 {
		return nil
	}
	// Each line carries its request number: 「已移出 #N」 closes it (bot/removal.go).
	text := fmt.Sprintf("🚨 移出请求：「%s」有 %d 人%s，建议移出：\n%s\n微信不允许机器人踢人，请在群聊信息里手动移除，移出后可以回复「已移出 #编号」。对方离开后请求自动完成；再发言会自动取消。",
		safetext.Name(t.Group.Name), len(lines), reason, strings.Join(lines, "\n"))
	return t.NotifyOwner(text)
}

// lastSign says when the member was last heard of, for the owner.
func lastSign(m storage.Member, loc *time.Location) string {
	since := SilenceStart(m)
	day := since.In(loc).Format("01-02")
	switch {
	case !m.LastSpoke.IsZero() && since.Equal(m.LastSpoke):
		return "最后发言 " + day
	case !m.JoinedAt.IsZero() && since.Equal(m.JoinedAt):
		return day + " 入群后没发过言"
	}
	return day + " 起没有发言"
}

// silenceEnded runs on every message: the sender's steps start over, and a removal
// request made only because they were silent is cancelled (the owner is told).
func (m *Module) silenceEnded(t *bot.Turn) error {
	if err := t.Tx.ClearSilentStep(t.Member.Key); err != nil {
		return err
	}
	if t.Caught || t.Ambiguous {
		return nil // a message moderation acted on does not earn a reprieve
	}
	r, ok, err := t.Tx.PendingRemoval(t.Member.Key)
	if err != nil || !ok || r.Source != "silent" {
		return err
	}
	if _, err := t.Tx.CloseRemovals(t.Member.Key, storage.RemovalCancelled, t.Now); err != nil {
		return err
	}
	if err := t.Audit("remove_cancel", t.Member.Key, map[string]any{"removal": r.ID, "source": "silent", "why": "spoke"}); err != nil {
		return err
	}
	return t.NotifyOwner(fmt.Sprintf("✅「%s」在「%s」又发言了，之前因长期沉默的移出请求 #%d 已取消，不用再移出。",
		safetext.Name(t.Member.Name()), safetext.Name(t.Group.Name), r.ID))
}

// silentCounts counts the group's members by the step of their current silence.
func silentCounts(t *bot.Turn) (map[int]int, error) {
	byStep, err := SilentByStep(t.Tx, t.Group.Key)
	if err != nil {
		return nil, err
	}
	out := map[int]int{}
	for step, members := range byStep {
		out[step] = len(members)
	}
	return out, nil
}

// SilentByStep lists the group's members by the step they got in their current silence (a
// step counts only for the silence it was given in); members who left, the owner and
// admins are never on it. Only members with a recorded step can be, so it reads those
// (from the cache, mostly), not the whole group. The daily report counts these lists and
// the dashboard shows them.
func SilentByStep(tx *storage.Tx, groupKey int64) (map[int][]storage.Member, error) {
	recorded, err := tx.SilentSteps(groupKey)
	if err != nil {
		return nil, err
	}
	out := map[int][]storage.Member{}
	for _, key := range slices.Sorted(maps.Keys(recorded)) {
		mem, err := tx.Member(key)
		if err != nil {
			return nil, err
		}
		if mem.GroupKey != groupKey || !mem.InGroup() || exempt(mem) {
			continue
		}
		if s := currentStep(mem, recorded); s > 0 {
			out[s] = append(out[s], mem)
		}
	}
	return out, nil
}
