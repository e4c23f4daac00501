package moderate

import (
	"fmt"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/rules"
	"qunbot/storage"
)

// Violation is one offence to put on the ladder, with everything needed to explain it.
type Violation struct {
	Rule     string         // the rule named in the warning and the penalty event: "ads", "phone", "flood", "admin"…
	Reason   string         // Chinese, shown to the member: 发送广告关键词「加微信」
	Evidence string         // the offending text (or part of it)
	Action   string         // rules.ActionStrike (ladder decides), ActionWarn, ActionMute, ActionRemove
	Strikes  int            // strikes it adds (ActionWarn adds none)
	DryRun   bool           // this rule is in dry run
	Checks   []rules.Result // every named check that fired, for the audit log
	Actor    string         // "bot", "owner", "admin:<key>"
	// MessageID is the platform's id of the violating message, recalled where the group's
	// platform can (moderation.recall); empty when no message is at fault (a nickname, an
	// admin's command).
	MessageID string
}

// Decision is what the ladder made of a violation.
type Decision struct {
	Step    rules.Step
	Strikes int // live strikes in the window, including this one
	DryRun  bool
	Applied bool // false when the same offence (ref) was already recorded
	// Held: the offence came within min_step_gap of the member's last step. It is
	// recorded (strike row with no count, audit "hold") but does not climb, and nothing is
	// said: the member was just told what the last step was.
	Held bool
}

// StepFor is the ladder step for a violation whose rule asks for action, the member now
// having strikes live strikes (this one included): a warning-only rule warns whatever the
// record; a severe rule (mute, remove) jumps straight to its step, never down the ladder.
// The dashboard's rule tester shows a first offence with it.
func StepFor(ladder rules.Ladder, action string, strikes int) rules.Step {
	step := ladder.StepFor(max(strikes, 1))
	switch action {
	case rules.ActionWarn:
		step = rules.Step{Action: rules.ActionWarn}
	case rules.ActionMute, rules.ActionRemove:
		if i := ladder.IndexOf(rules.Action(action)); i >= 0 && i > ladder.IndexOf(step.Action) {
			step = ladder.Steps[i]
		} else if i < 0 && action == rules.ActionRemove {
			step = rules.Step{Action: rules.ActionRemove}
		}
	}
	return step
}

// apply records the violation as a strike, picks the ladder step and carries it out: all
// inside the turn's transaction, with its audit entry, before anything is said. ref makes
// it idempotent (the message id): a replay can never strike twice.
func apply(t *bot.Turn, m storage.Member, v Violation, ref string) (Decision, error) {
	cfg := t.Group.Config.Moderation
	ladder := cfg.LadderSteps()
	d := Decision{DryRun: cfg.DryRun || v.DryRun}
	count := v.Strikes
	if v.Action == rules.ActionWarn {
		count = 0 // a warning only: it does not move the member up the ladder
	}
	if count > 0 && v.Actor == "bot" && v.Action == rules.ActionStrike {
		held, err := withinStepGap(t, m, cfg.MinStepGap.D(), d.DryRun)
		if err != nil {
			return d, err
		}
		if held {
			return hold(t, m, v, ref, d)
		}
	}
	id, added, err := t.Tx.AddStrike(storage.Strike{GroupKey: m.GroupKey, MemberKey: m.Key, Time: t.Now, Count: count,
		Rule: v.Rule, Reason: v.Reason, Evidence: truncate(v.Evidence, 500), Actor: v.Actor, Ref: ref, DryRun: d.DryRun})
	if err != nil || !added {
		return d, err
	}
	d.Applied = true
	d.Strikes, err = t.Tx.StrikeCount(m.Key, t.Now.Add(-ladder.Window), d.DryRun)
	if err != nil {
		return d, err
	}
	d.Step = StepFor(ladder, v.Action, d.Strikes)
	if err := t.Tx.SetStrikeLevel(id, string(d.Step.Action)); err != nil {
		return d, err
	}
	checks := make([]map[string]any, 0, len(v.Checks))
	for _, c := range v.Checks {
		checks = append(checks, map[string]any{"check": c.Check, "rule": c.Rule, "category": c.Category,
			"reason": c.Reason, "evidence": c.Evidence, "span": []int{c.Span.Start, c.Span.End}})
	}
	if err := t.Audit(string(d.Step.Action), m.Key, map[string]any{"rule": v.Rule, "reason": v.Reason,
		"evidence": truncate(v.Evidence, 500), "strikes": d.Strikes, "dry_run": d.DryRun, "checks": checks, "strike": id}); err != nil {
		return d, err
	}
	fields := map[string]any{"level": string(d.Step.Action), "rule": v.Rule, "strikes": d.Strikes, "reason": v.Reason}
	if d.DryRun {
		fields["dry_run"] = true
	}
	t.Emit("penalty", m, fields)
	if d.DryRun {
		return d, nil // decided and logged; nothing is said to anyone
	}
	return d, carryOut(t, m, d, v, cfg)
}

// withinStepGap reports whether the member climbed the ladder less than gap ago: the bot's
// further offences then wait (a burst of messages is one moment, not three offences).
func withinStepGap(t *bot.Turn, m storage.Member, gap time.Duration, dryRun bool) (bool, error) {
	if gap <= 0 {
		return false, nil
	}
	last, ok, err := t.Tx.LastStep(m.Key, dryRun)
	if err != nil {
		return false, err
	}
	if ok && t.Now.Sub(last) < gap {
		return true, nil
	}
	// A mute is a step too, also an admin's (which adds no strike).
	mute, muted, err := t.Tx.ActiveMute(m.Key, t.Now)
	if err != nil || !muted || dryRun {
		return false, err
	}
	return t.Now.Sub(mute.Since) < gap, nil
}

// hold records an offence that does not climb: a strike row without a count (so 记录 and
// the dashboard show it, and a replay is still recognised by its ref) and an audit entry.
// Nothing is said and no penalty is reported: none was given.
func hold(t *bot.Turn, m storage.Member, v Violation, ref string, d Decision) (Decision, error) {
	id, added, err := t.Tx.AddStrike(storage.Strike{GroupKey: m.GroupKey, MemberKey: m.Key, Time: t.Now, Count: 0,
		Rule: v.Rule, Reason: v.Reason, Evidence: truncate(v.Evidence, 500), Level: LevelHeld, Actor: v.Actor, Ref: ref, DryRun: d.DryRun})
	if err != nil || !added {
		return d, err
	}
	d.Applied, d.Held = true, true
	return d, t.Audit("hold", m.Key, map[string]any{"rule": v.Rule, "reason": v.Reason, "evidence": truncate(v.Evidence, 500),
		"dry_run": d.DryRun, "strike": id, "gap": t.Group.Config.Moderation.MinStepGap.String()})
}

// LevelHeld is the level of a strike recorded within the step gap (see Decision.Held).
const LevelHeld = "held"

// carryOut performs the step the group's capabilities allow and tells the group. Where
// the platform can, the violating message is recalled first and a mute is real; where it
// cannot, the mute is the bot's own (soft) and a removal a request to the owner.
func carryOut(t *bot.Turn, m storage.Member, d Decision, v Violation, cfg config.Moderation) error {
	ladder := cfg.LadderSteps()
	texts := t.Group.Config.Texts
	if cfg.Recall && v.MessageID != "" {
		if _, err := t.Recall(m, v.MessageID); err != nil {
			return err
		}
	}
	switch d.Step.Action {
	case rules.ActionWarn:
		return t.Say(texts.Text("warn", config.Vars{"成员": bot.Mention(m), "昵称": m.ShownName(), "原因": v.Reason,
			"后果": nextSteps(ladder, d.Strikes)}), m)
	case rules.ActionMute:
		until := t.Now.Add(d.Step.Mute)
		if err := t.Tx.SetMute(storage.Mute{MemberKey: m.Key, GroupKey: m.GroupKey, Since: t.Now, Until: until, Reason: v.Reason}); err != nil {
			return err
		}
		real, err := t.MuteOnPlatform(m, d.Step.Mute)
		if err != nil {
			return err
		}
		if real {
			// A real mute: the member cannot speak until it ends, so only what follows it matters.
			return t.Say(texts.Text("mute_real", config.Vars{"成员": bot.Mention(m), "昵称": m.ShownName(), "原因": v.Reason,
				"时长": humanDuration(d.Step.Mute), "到期": clock(t, until), "后果": afterRealMute(cfg, d.Strikes)}), m)
		}
		return t.Say(texts.Text("mute", config.Vars{"成员": bot.Mention(m), "昵称": m.ShownName(), "原因": v.Reason,
			"时长": humanDuration(d.Step.Mute), "到期": clock(t, until), "后果": afterMute(cfg, d.Strikes)}), m)
	case rules.ActionRemove:
		removed, err := t.RemoveOrRequest(m, bot.RemovalReason{Source: "moderation:" + v.Rule, Reason: v.Reason, Evidence: v.Evidence})
		if err != nil {
			return err
		}
		if removed {
			if err := rememberRemoval(t, m, v); err != nil { // blocklist.go; a request: on leaving
				return err
			}
			return t.Say(texts.Text("removed", config.Vars{"成员": bot.Mention(m), "昵称": m.ShownName(), "原因": removalWhy(d, v)}))
		}
		return t.Say(texts.Text("remove_requested", config.Vars{"成员": bot.Mention(m), "昵称": m.ShownName(), "原因": removalWhy(d, v)}), m)
	}
	return fmt.Errorf("unknown ladder step %q", d.Step.Action)
}

// nextSteps tells a warned member what comes next and how many chances are left.
// removalWhy explains a removal: a repeat offender's last straw, or a rule severe enough
// to remove at once.
func removalWhy(d Decision, v Violation) string {
	if d.Strikes > 1 && v.Action != rules.ActionRemove {
		return "多次违规，最近一次：" + v.Reason
	}
	return v.Reason
}

func nextSteps(l rules.Ladder, strikes int) string {
	left := l.StepsLeft(max(strikes, 1))
	next := l.StepFor(max(strikes, 1) + 1)
	if left <= 0 {
		return "请遵守群规。"
	}
	return fmt.Sprintf("再违规将%s（还剩 %d 次机会）。", describe(next), left)
}

// afterMute tells a muted member exactly what happens next: what speaking while muted
// does (moderation.while_muted) and what the next offence brings. strikes are the
// member's live strikes now (an admin's 禁言 adds none).
func afterMute(cfg config.Moderation, strikes int) string {
	next := describe(cfg.LadderSteps().StepFor(strikes + 1))
	switch cfg.WhileMuted {
	case config.WhileMutedStrike:
		return "禁言期间的消息不计积分；禁言期间发言或再违规，都将" + next + "。"
	case config.WhileMutedIgnore:
		return "禁言期间的消息不计积分；再违规将" + next + "。"
	}
	return "禁言期间的消息不计积分；禁言期间第一次发言只会收到提醒，之后还发言或再违规，将" + next + "。"
}

// afterRealMute tells a member muted on the platform itself what comes after the mute.
func afterRealMute(cfg config.Moderation, strikes int) string {
	return "解除禁言后再违规，将" + describe(cfg.LadderSteps().StepFor(strikes+1)) + "。"
}

func describe(s rules.Step) string {
	switch s.Action {
	case rules.ActionWarn:
		return "被警告"
	case rules.ActionMute:
		return "禁言" + humanDuration(s.Mute)
	case rules.ActionRemove:
		return "被移出群"
	}
	return string(s.Action)
}

// humanDuration says a duration the way people write it: 1小时, 30分钟, 1天.
func humanDuration(d time.Duration) string { return rules.DurationZH(d) }

func clock(t *bot.Turn, at time.Time) string {
	local := at.In(t.Engine().Location())
	if local.YearDay() != t.Now.In(t.Engine().Location()).YearDay() {
		return local.Format("1月2日 15:04")
	}
	return local.Format("15:04")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// quote shows evidence inside a reason without letting a long message take over the text.
func quote(s string) string {
	s = strings.TrimSpace(s)
	return "「" + truncate(s, 20) + "」"
}
