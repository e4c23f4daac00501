package schedule

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

func (m *Module) postJob(group, id, job string) bot.JobFunc {
	return func(t *bot.Turn) error {
		ok, err := groupTurn(t, group)
		if err != nil || !ok {
			return err
		}
		for i, p := range t.Group.Config.Posts {
			if p.ID(i) == id {
				return post(t, job, p)
			}
		}
		return nil // removed from the config since it was planned
	}
}

// post sends one scheduled post: the weekday's entry, else the next item (framed by the
// text when there is one), else the text.
func post(t *bot.Turn, job string, p config.Post) error {
	e := t.Engine()
	log := e.Logger()
	now := t.Now.In(e.Location())
	count, err := e.MemberCount(t.Tx, t.Group.Key)
	if err != nil {
		return err
	}
	data := config.PostData{Group: t.Group.Name, Date: dateCN(now), Weekday: weekdayCN(now.Weekday()),
		Time: now.Format("15:04"), Count: count}
	table := holidaysOf(e)
	if name, off, _ := table.DayOff(now); off {
		data.Holiday = name
	}
	if p.Festival != "" {
		data.Festival, _ = table.Canonical(p.Festival)
	}
	if p.Annual.Year > 0 {
		data.Years = now.Year() - p.Annual.Year
	}
	if c := p.Countdown; c != nil {
		data.Event = c.Event
		data.DaysLeft = int(c.To.In(now.Location()).Sub(midnight(now)).Round(24*time.Hour) / (24 * time.Hour))
		if data.DaysLeft < 0 {
			return nil // the day has passed (the schedule ends with it)
		}
		data.Countdown = config.CountdownText(c.Event, data.DaysLeft)
	}
	var text string
	detail := map[string]any{"job": job}
	switch tmpl := p.Weekdays.For(now.Weekday()); {
	case !tmpl.IsZero():
		text = render(log, job+" weekday", tmpl, data, config.Template{}, "")
		detail["weekday"] = now.Weekday().String()
	case p.HasItems():
		items := p.Items
		if p.ItemsFile != "" {
			more, err := config.ReadItems(p.ItemsFile)
			if err != nil {
				// The file was fine when the config was loaded; keep posting the inline
				// items (if any) rather than nothing, and say why in the log.
				log.Error("post items file unreadable", "job", job, "file", p.ItemsFile, "err", err)
			}
			items = append(append([]string(nil), items...), more...)
		}
		if len(items) == 0 {
			log.Error("post has no items to send: skipped", "job", job)
			return nil
		}
		rot, err := t.Tx.PostRotation(job)
		if err != nil {
			return err
		}
		i, rot := pick(job, items, p.Order, rot)
		if err := t.Tx.SetPostRotation(job, rot); err != nil {
			return err
		}
		data.Item = items[i]
		text = items[i]
		if !p.Text.IsZero() {
			text = render(log, job, p.Text, data, config.Template{}, items[i])
		}
		detail["item"] = items[i]
	case p.Text.IsZero() && p.Countdown != nil:
		text = "⏳ " + data.Countdown
	case p.Text.IsZero() && p.Festival != "":
		text = "🎉 祝大家" + data.Festival + "快乐！"
	default:
		text = render(log, job, p.Text, data, config.Template{}, "")
	}
	if text == "" {
		return nil // e.g. a weekdays-only post on a day without an entry
	}
	if err := t.PostIn(t.Group.Key, text); err != nil {
		return err
	}
	return t.Audit("post", 0, detail)
}

// pick chooses the next item and returns the new rotation state.
//
// sequence: the list in order, then from the top again; a shortened list restarts.
// shuffle: each item once per round in random order; items are known by content hash, so
// editing the list never repeats one already used this round, and a new round never starts
// with the item that ended the last one. The randomness is seeded by the job name and the
// round, so a restart (or a test) makes the same choices from the same stored state.
func pick(job string, items []string, order string, rot storage.Rotation) (int, storage.Rotation) {
	if order != config.OrderShuffle {
		i := rot.Position
		if i < 0 || i >= len(items) {
			i = 0
		}
		rot.Position = i + 1
		rot.Last = itemHash(items[i])
		return i, rot
	}
	used := map[string]bool{}
	for _, h := range rot.Used {
		used[h] = true
	}
	var cand []int
	for i, it := range items {
		if !used[itemHash(it)] {
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		rot.Cycle++
		rot.Used = nil
		for i, it := range items {
			if itemHash(it) != rot.Last {
				cand = append(cand, i)
			}
		}
		if len(cand) == 0 { // one item (or all the same)
			for i := range items {
				cand = append(cand, i)
			}
		}
	}
	h := fnv.New64a()
	h.Write([]byte(job))
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(rot.Cycle)<<32|uint64(len(rot.Used))))
	i := cand[r.IntN(len(cand))]
	hash := itemHash(items[i])
	rot.Used = append(rot.Used, hash)
	rot.Last = hash
	return i, rot
}

func itemHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
