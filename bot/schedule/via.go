package schedule

import (
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// Reminders in private (via: dm): the articles nudge silent members and unverified
// newcomers privately where the owner can — a friend gets a DM, which shames nobody in
// front of the group; whoever the platform cannot reach privately is @-ed in the group as
// before. In a DM the template's {{.Mentions}} is empty (nobody to @) and {{.Names}} the
// one member's name.

// silentDMs sends a silent step privately to the members the platform can reach and
// returns the others, for the group message.
func silentDMs(t *bot.Turn, step config.SilentStep, def, name string, ms []storage.Member) ([]storage.Member, error) {
	var rest []storage.Member
	for _, m := range ms {
		if !t.CanDM(m) {
			rest = append(rest, m)
			continue
		}
		data := config.SilentData{Names: m.ShownName(), Count: 1, Days: days(step.After), Group: t.Group.Name}
		text := render(t.Engine().Logger(), "silent."+name, step.Template, data, config.MustTemplate("silent", def), "")
		if err := t.DM(m, text); err != nil {
			return nil, err
		}
	}
	return rest, nil
}

// screeningDMs sends the screening reminder privately where it can; it returns the
// members still to be reminded in the group.
func screeningDMs(t *bot.Turn, ms []storage.Member, deadline time.Time) ([]storage.Member, error) {
	cfg := t.Group.Config.Screening
	var rest []storage.Member
	for _, m := range ms {
		if !t.CanDM(m) {
			rest = append(rest, m)
			continue
		}
		data := config.ScreeningData{Names: m.ShownName(), Group: t.Group.Name,
			Minutes: int(cfg.Timeout.D() / time.Minute), MinIntro: cfg.MinIntro, HasKeywords: len(cfg.Keywords) > 0,
			Deadline: deadline.In(t.Engine().Location()).Format("15:04")}
		text := render(t.Engine().Logger(), "screening.reminder", cfg.Reminder, data,
			config.MustTemplate("screening.reminder", config.DefaultScreeningReminder), "")
		if err := t.DM(m, text); err != nil {
			return nil, err
		}
	}
	return rest, nil
}
