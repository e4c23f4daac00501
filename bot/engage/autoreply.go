package engage

import (
	"strings"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/rules"
)

// normalize folds text the way the moderation filter does (full-width → half-width, case,
// traditional → simplified, noise such as spaces skipped), so "怎么 報名" matches 怎么报名.
func normalize(s string) string { return rules.NormalizeString(s) }

// autoReply answers the first auto-reply rule the message matches, unless that rule
// answered in this group within its cooldown. Commands, caught, duplicate and muted
// messages and the owner's own are never answered.
func (m *Module) autoReply(t *bot.Turn) error {
	list := t.Group.Config.AutoReplies
	if len(list) == 0 || t.Event == nil || t.Event.Kind != bot.KindText ||
		t.Handled || t.Caught || t.Duplicate || t.Muted || t.Owner || t.Member.Role == bot.RoleOwner {
		return nil
	}
	text := normalize(t.Text())
	if text == "" {
		return nil
	}
	for _, r := range list {
		if !matches(r, text) {
			continue
		}
		// The rule is keyed by its triggers, so reordering the list keeps cooldowns.
		key := strings.Join(r.Triggers, "\x1f")
		last, err := t.Tx.AutoReplyLast(t.Group.Key, key)
		if err != nil {
			return err
		}
		if !last.IsZero() && t.Now.Sub(last) < r.EffectiveCooldown() {
			return nil // answered a moment ago: the asker can scroll up
		}
		mention := bot.Mention(t.Member)
		reply, err := r.Reply.Execute(config.AutoReplyData{Mention: mention, Name: t.Member.ShownName(), Group: t.Group.Name,
			Time: t.Now.In(t.Engine().Location()).Format("15:04")})
		if err != nil || strings.TrimSpace(reply) == "" {
			// Validation ran the template on sample data; failing here means data it did not
			// foresee. Better silent than a broken answer.
			t.Engine().Logger().Error("auto-reply template failed", "group", t.Group.Name, "trigger", r.Triggers[0], "err", err)
			return nil
		}
		if err := t.Tx.SetAutoReplyLast(t.Group.Key, key, t.Now); err != nil {
			return err
		}
		if strings.Contains(reply, mention) {
			return t.Say(reply, t.Member)
		}
		return t.Say(reply)
	}
	return nil
}

// matches compares the normalised message with each normalised trigger.
func matches(r config.AutoReply, text string) bool {
	for _, tr := range r.Triggers {
		n := normalize(tr)
		if n == "" {
			continue
		}
		if r.Mode() == config.MatchExact {
			if text == n {
				return true
			}
		} else if strings.Contains(text, n) {
			return true
		}
	}
	return false
}
