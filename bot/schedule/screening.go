package schedule

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// Entry screening (入群验证). A newcomer's clock starts at the join (a row in the
// screening table); they pass with a text message that is a long enough introduction or
// contains a keyword. The prompt saying so is batched per group like the welcome (one
// message for everyone who joined within welcome.batch_window); halfway to the deadline
// the group is reminded; at the deadline the removal step runs (source "screening"). The
// timers are re-armed from the table on start.
//
// A newcomer's other messages are not held: WeChat cannot hold or recall them. They are
// simply not taken as an answer; moderation and engagement treat them as usual.

func promptKey(group int64) string    { return fmt.Sprintf("screening.prompt:%d", group) }
func remindKey(member int64) string   { return fmt.Sprintf("screening.remind:%d", member) }
func deadlineKey(member int64) string { return fmt.Sprintf("screening.deadline:%d", member) }

func (m *Module) screenJoins(t *bot.Turn, joined []storage.Member) error {
	cfg := t.Group.Config.Screening
	if !cfg.Enabled {
		return nil
	}
	timeout := cfg.Timeout.D()
	s := storage.Screening{GroupKey: t.Group.Key, JoinedAt: t.Now, RemindAt: t.Now.Add(timeout / 2), Deadline: t.Now.Add(timeout)}
	screened := 0
	for _, mem := range joined {
		if exempt(mem) {
			continue
		}
		s.MemberKey = mem.Key
		if err := t.Tx.StartScreening(s); err != nil {
			return err
		}
		if err := t.Audit("screen", mem.Key, map[string]any{"name": mem.Name(), "deadline": s.Deadline.UnixMilli()}); err != nil {
			return err
		}
		screened++
		// If the transaction rolls back the timers find no open row and do nothing.
		m.armScreening(t.Engine(), s)
	}
	if screened == 0 {
		return nil
	}
	return m.armPrompt(t)
}

// armPrompt sets the group's prompt timer for the earliest newcomer not yet prompted.
// Scheduling the same key again keeps the batch's end where the first join put it.
func (m *Module) armPrompt(t *bot.Turn) error {
	open, err := t.Tx.PendingScreenings(t.Group.Key)
	if err != nil {
		return err
	}
	var first time.Time
	for _, s := range open {
		if !s.Prompted && (first.IsZero() || s.JoinedAt.Before(first)) {
			first = s.JoinedAt
		}
	}
	if first.IsZero() {
		return nil
	}
	e, group := t.Engine(), t.Group.Key
	e.Schedule(promptKey(group), e.JobIn(group, "入群验证：提示新人回答"), first.Add(t.Group.Config.Welcome.BatchWindow.D()), func(ctx context.Context, now time.Time) {
		m.runScreeningTimer(ctx, e, "prompt", func(t *bot.Turn) error { return screeningPrompt(t, group) })
	})
	return nil
}

// screeningPrompt tells every newcomer of the group not yet told, in one message, how to
// pass and by when.
func screeningPrompt(t *bot.Turn, group int64) error {
	list, err := dueScreenings(t, group, func(s storage.Screening) bool { return !s.Prompted && s.Deadline.After(t.Now) })
	if err != nil || len(list) == 0 {
		return err
	}
	var ms []storage.Member
	deadline := list[0].s.Deadline
	for _, d := range list {
		if err := t.Tx.MarkScreeningPrompted(d.m.Key); err != nil {
			return err
		}
		if err := t.Audit("screen_prompt", d.m.Key, map[string]any{"name": d.m.Name()}); err != nil {
			return err
		}
		deadline = minTime(deadline, d.s.Deadline)
		ms = append(ms, d.m)
	}
	cfg := t.Group.Config.Screening
	return t.Say(screeningText(t, "screening.prompt", cfg.Prompt, config.DefaultScreeningPrompt, ms, deadline), ms...)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func screeningText(t *bot.Turn, what string, tmpl config.Template, def string, ms []storage.Member, deadline time.Time) string {
	cfg := t.Group.Config.Screening
	mentions, names := mentionsOf(ms)
	data := config.ScreeningData{Mentions: mentions, Names: names, Group: t.Group.Name,
		Minutes: int(cfg.Timeout.D() / time.Minute), MinIntro: cfg.MinIntro, HasKeywords: len(cfg.Keywords) > 0,
		Deadline: deadline.In(t.Engine().Location()).Format("15:04")}
	return render(t.Engine().Logger(), what, tmpl, data, config.MustTemplate(what, def), "")
}

// armScreening sets the member's reminder (unless sent) and deadline timers.
func (m *Module) armScreening(e *bot.Engine, s storage.Screening) {
	member := s.MemberKey
	if !s.Reminded {
		e.Schedule(remindKey(member), e.JobIn(s.GroupKey, "入群验证：提醒未回答的新人"), s.RemindAt, func(ctx context.Context, now time.Time) {
			m.runScreeningTimer(ctx, e, "reminder", func(t *bot.Turn) error { return screeningRemind(t, member) })
		})
	}
	e.Schedule(deadlineKey(member), e.JobIn(s.GroupKey, "入群验证：截止检查"), s.Deadline, func(ctx context.Context, now time.Time) {
		m.runScreeningTimer(ctx, e, "deadline", func(t *bot.Turn) error { return screeningDeadline(t, member) })
	})
}

func (m *Module) runScreeningTimer(ctx context.Context, e *bot.Engine, what string, fn func(t *bot.Turn) error) {
	if err := e.Update(ctx, fn); err != nil {
		e.Logger().ErrorContext(ctx, "screening "+what+" failed", "err", err)
	}
}

// screeningRemind reminds, in one message, every newcomer of the member's group whose
// reminder is due. Someone not prompted yet (a batch window longer than half the timeout)
// is not reminded of a prompt they have not seen: the prompt itself is their notice.
func screeningRemind(t *bot.Turn, member int64) error {
	s, ok, err := t.Tx.PendingScreening(member)
	if err != nil || !ok || s.Reminded {
		return err
	}
	list, err := dueScreenings(t, s.GroupKey, func(s storage.Screening) bool {
		return s.Prompted && !s.Reminded && !s.RemindAt.After(t.Now) && s.Deadline.After(t.Now)
	})
	if err != nil || len(list) == 0 {
		return err
	}
	var ms []storage.Member
	deadline := list[0].s.Deadline
	for _, d := range list {
		if err := t.Tx.MarkScreeningReminded(d.m.Key); err != nil {
			return err
		}
		if err := t.Audit("screen_remind", d.m.Key, map[string]any{"name": d.m.Name()}); err != nil {
			return err
		}
		deadline = minTime(deadline, d.s.Deadline)
		ms = append(ms, d.m)
	}
	cfg := t.Group.Config.Screening
	if config.ByDM(cfg.Via) {
		if ms, err = screeningDMs(t, ms, deadline); err != nil || len(ms) == 0 {
			return err
		}
	}
	return t.Say(screeningText(t, "screening.reminder", cfg.Reminder, config.DefaultScreeningReminder, ms, deadline), ms...)
}

// screeningDeadline runs the removal step for every newcomer of the member's group whose
// deadline has passed. Nothing is said in the group: the owner gets the request (or, where
// the platform can remove, the member is removed).
func screeningDeadline(t *bot.Turn, member int64) error {
	s, ok, err := t.Tx.PendingScreening(member)
	if err != nil || !ok {
		return err
	}
	list, err := dueScreenings(t, s.GroupKey, func(s storage.Screening) bool { return !s.Deadline.After(t.Now) })
	if err != nil {
		return err
	}
	minutes := int(t.Group.Config.Screening.Timeout.D() / time.Minute)
	for _, d := range list {
		if _, err := t.Tx.CloseScreening(d.m.Key, storage.ScreeningFailed, t.Now); err != nil {
			return err
		}
		if err := t.Audit("screen_fail", d.m.Key, map[string]any{"name": d.m.Name()}); err != nil {
			return err
		}
		why := bot.RemovalReason{Source: "screening", Reason: fmt.Sprintf("入群 %d 分钟内没有完成入群验证", minutes)}
		if _, err := t.RemoveOrRequest(d.m, why); err != nil {
			return err
		}
	}
	return nil
}

type dueScreening struct {
	s storage.Screening
	m storage.Member
}

// dueScreenings lists the group's open checks that match, after dropping those that no
// longer apply: the member left (a leave that arrived late or never), or screening was
// switched off for the group meanwhile. It points the turn at the group.
func dueScreenings(t *bot.Turn, groupKey int64, match func(storage.Screening) bool) ([]dueScreening, error) {
	managed, err := groupTurnByKey(t, groupKey)
	if err != nil {
		return nil, err
	}
	open, err := t.Tx.PendingScreenings(groupKey)
	if err != nil {
		return nil, err
	}
	var out []dueScreening
	for _, s := range open {
		if !match(s) {
			continue
		}
		mem, err := t.Tx.Member(s.MemberKey)
		if err != nil {
			return nil, err
		}
		why := ""
		switch {
		case !managed || !t.Group.Config.Screening.Enabled:
			why = storage.ScreeningDropped
		case !mem.InGroup():
			why = storage.ScreeningLeft
		case exempt(mem):
			why = storage.ScreeningDropped // made an admin meanwhile
		}
		if why != "" {
			if _, err := t.Tx.CloseScreening(mem.Key, why, t.Now); err != nil {
				return nil, err
			}
			if err := t.Audit("screen_drop", mem.Key, map[string]any{"name": mem.Name(), "why": why}); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, dueScreening{s, mem})
	}
	return out, nil
}

// screenMessage checks a message from a newcomer under screening.
func (m *Module) screenMessage(t *bot.Turn) error {
	if t.Event == nil || t.Event.Kind != bot.KindText || t.Caught || t.Duplicate || t.Ambiguous {
		return nil // an ad or a repeated line is no introduction, whatever its length
	}
	s, ok, err := t.Tx.PendingScreening(t.Member.Key)
	if err != nil || !ok {
		return err
	}
	cfg := t.Group.Config.Screening
	if !cfg.Enabled || s.GroupKey != t.Group.Key || !passes(cfg, t.Text()) {
		return nil
	}
	if _, err := t.Tx.CloseScreening(t.Member.Key, storage.ScreeningPassed, t.Now); err != nil {
		return err
	}
	if err := t.Audit("screen_pass", t.Member.Key, map[string]any{"name": t.Member.Name()}); err != nil {
		return err
	}
	// The timers stay armed and find the check closed: cancelling them here would lose
	// them if this transaction rolled back.
	return t.Say(screeningText(t, "screening.passed", cfg.Passed, config.DefaultScreeningPassed, []storage.Member{t.Member}, s.Deadline), t.Member)
}

// passes says whether a message answers the screening: it contains a keyword (case and
// full-width insensitive), or it has at least min_intro letters and digits (punctuation,
// emoji and spaces do not count, so "。。。。。。" is no introduction).
func passes(cfg config.Screening, text string) bool {
	folded := bot.Fold(text)
	for _, k := range cfg.Keywords {
		if k = bot.Fold(strings.TrimSpace(k)); k != "" && strings.Contains(folded, k) {
			return true
		}
	}
	if cfg.MinIntro <= 0 {
		return false
	}
	n := 0
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n >= cfg.MinIntro
}

// restoreScreening re-arms the open checks after a restart. A deadline that passed while
// the bot was down is moved to half a timeout from now with a fresh reminder: answers sent
// meanwhile were never seen, so the newcomer gets another chance rather than a removal.
func (m *Module) restoreScreening(ctx context.Context, e *bot.Engine) error {
	var arm []storage.Screening
	err := e.Update(ctx, func(t *bot.Turn) error {
		open, err := t.Tx.PendingScreenings(0)
		if err != nil {
			return err
		}
		for _, s := range open {
			managed, err := groupTurnByKey(t, s.GroupKey)
			if err != nil {
				return err
			}
			if !managed || !t.Group.Config.Screening.Enabled {
				if _, err := t.Tx.CloseScreening(s.MemberKey, storage.ScreeningDropped, t.Now); err != nil {
					return err
				}
				if err := t.Audit("screen_drop", s.MemberKey, map[string]any{"why": storage.ScreeningDropped}); err != nil {
					return err
				}
				continue
			}
			if !s.Deadline.After(t.Now) {
				s.RemindAt, s.Deadline, s.Reminded = t.Now, t.Now.Add(t.Group.Config.Screening.Timeout.D()/2), false
				if err := t.Tx.RescheduleScreening(s.MemberKey, s.RemindAt, s.Deadline, false); err != nil {
					return err
				}
				if err := t.Audit("screen_extend", s.MemberKey, map[string]any{"deadline": s.Deadline.UnixMilli(), "why": "deadline passed while the bot was down"}); err != nil {
					return err
				}
			}
			arm = append(arm, s)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("restore screening deadlines: %w", err)
	}
	prompts := map[int64]time.Time{}
	for _, s := range arm {
		m.armScreening(e, s)
		if !s.Prompted {
			if at, ok := prompts[s.GroupKey]; !ok || s.JoinedAt.Before(at) {
				prompts[s.GroupKey] = s.JoinedAt
			}
		}
	}
	for group, first := range prompts {
		cfg, _ := e.Config().ForGroup(e.GroupName(group))
		e.Schedule(promptKey(group), e.JobIn(group, "入群验证：提示新人回答"), first.Add(cfg.Welcome.BatchWindow.D()), func(ctx context.Context, now time.Time) {
			m.runScreeningTimer(ctx, e, "prompt", func(t *bot.Turn) error { return screeningPrompt(t, group) })
		})
	}
	return nil
}
