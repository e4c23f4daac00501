package moderate

import (
	"context"
	"fmt"
	"qunbot/internal/safetext"
	"strings"
	"sync"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/rules"
	"qunbot/storage"
)

// learner is the classifier's side of the module: the shipped model, the owner's
// corrections on top (shared by every ruleset, swapped atomically when a lesson lands),
// and each member's last message (what 「广告 @x」 marks).
type learner struct {
	model   *rules.Model
	err     error
	learned *rules.Corrections

	mu   sync.Mutex
	last map[int64]lastMessage // member key → last screened text
}

type lastMessage struct {
	id, text string
}

// maxRemembered bounds the last-message memory; past it the oldest half is forgotten
// (a mark on a member who spoke long ago then finds nothing to mark, and says so).
const maxRemembered = 20000

func newLearner() *learner {
	m, err := rules.ShippedModel()
	return &learner{model: m, err: err, learned: new(rules.Corrections), last: map[int64]lastMessage{}}
}

func (l *learner) remember(member int64, id, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) >= maxRemembered {
		n := 0
		for k := range l.last {
			delete(l.last, k)
			if n++; n >= maxRemembered/2 {
				break
			}
		}
	}
	l.last[member] = lastMessage{id, text}
}

func (l *learner) lastOf(member int64) (lastMessage, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.last[member]
	return m, ok
}

// textOf is what a strike was for, as stored: the evidence (a classifier strike keeps the
// message, a keyword strike the word). Only stored data, never the in-memory last message:
// a crash and restart must teach exactly what an uninterrupted run teaches.
func (l *learner) textOf(s storage.Strike) string { return s.Evidence }

// load reads the stored corrections: what the owner taught survives a restart.
func (l *learner) load(ctx context.Context, store *storage.Store) error {
	return store.View(ctx, func(tx *storage.Tx) error {
		d, err := tx.WeightDeltas()
		if err != nil {
			return err
		}
		l.learned.Replace(d)
		return nil
	})
}

// options is the classifier part of a ruleset for a group's settings; nil when off.
func (l *learner) options(mc config.Moderation) (*rules.ClassifierOptions, error) {
	c := mc.Classifier
	if !c.Enabled {
		return nil, nil
	}
	if l.err != nil && c.LoadedModel() == nil {
		return nil, fmt.Errorf("load classifier model: %w", l.err)
	}
	model := l.model
	if own := c.LoadedModel(); own != nil {
		model = own
	}
	return &rules.ClassifierOptions{Model: model, Delta: l.learned, StrikeAbove: c.StrikeAbove, ReviewAbove: c.ReviewAbove,
		Gate: c.Gate, KeywordsAbove: c.KeywordsAbove}, nil
}

// teach records a labelled example and moves the model by one bounded step, stored in the
// turn's transaction and installed in memory at once, so the next message — in this batch
// or after a restart, which reloads what was committed — is scored the same way either way.
// Callers teach last, after whatever else the command does, so a command that fails does
// not leave a lesson in memory that its rolled-back transaction dropped.
func (l *learner) teach(t *bot.Turn, text string, spam bool, source string, member int64) error {
	text = strings.TrimSpace(text)
	if text == "" || l.model == nil {
		return nil
	}
	if err := t.Tx.AddExample(storage.LabelledExample{Text: text, Spam: spam, Source: source, MemberKey: member, At: t.Now}); err != nil {
		return err
	}
	changed := l.model.Learn(l.learned, text, spam)
	if len(changed) == 0 {
		return nil
	}
	if err := t.Tx.SetWeightDeltas(changed); err != nil {
		return err
	}
	l.learned.Apply(changed)
	return t.Audit("classifier_learn", member, map[string]any{"spam": spam, "source": source, "buckets": len(changed),
		"text": truncate(text, 200)})
}

// splitReviews separates the results that only ask the owner to look (ActionReview) from
// those that act.
func splitReviews(fired []rules.Result) (act, review []rules.Result) {
	for _, r := range fired {
		if r.Action == rules.ActionReview {
			review = append(review, r)
		} else {
			act = append(act, r)
		}
	}
	return act, review
}

// requestReview queues a message the checks were unsure about and asks the owner to label
// it: 广告 N punishes and teaches, 正常 N teaches. Nothing happens to the member.
func (m *Module) requestReview(t *bot.Turn, member storage.Member, text string, reviews []rules.Result) error {
	lead := reviews[0]
	score := 0.0
	for _, r := range reviews {
		if r.Check == rules.CheckClassifier {
			lead = r
			score = r.Score
		}
	}
	id, err := t.Tx.AddReview(storage.Review{GroupKey: t.Group.Key, MemberKey: member.Key, MessageID: t.Event.ID,
		Text: truncate(text, 500), Score: score, Reason: lead.Reason, CreatedAt: t.Now})
	if err != nil {
		return err
	}
	checks := make([]string, 0, len(reviews))
	for _, r := range reviews {
		checks = append(checks, r.Check+": "+r.Reason)
	}
	if err := t.Audit("review", member.Key, map[string]any{"review": id, "reason": lead.Reason, "checks": checks,
		"evidence": truncate(text, 500)}); err != nil {
		return err
	}
	t.Emit("review", member, map[string]any{"rule": RuleName(lead), "review": id})
	return t.NotifyOwner(fmt.Sprintf("🔎 复核 #%d：群「%s」里「%s」的消息需要你看一下：\n「%s」\n%s\n回复「广告 %d」按广告处罚（机器人也会学会），「正常 %d」放行（也会学会）。发「复核」查看全部待复核。",
		id, safetext.Name(t.Group.Name), safetext.Name(member.ShownName()), safetext.Quote(text, safetext.TextMax), safetext.Quote(lead.Reason, safetext.ReasonMax), id, id))
}

// ImportExamples stores an owner's own labelled samples (bot train --spam --ham) and
// teaches the model from each with the same bounded step as a label in chat, all in one
// transaction. It reports how many were imported.
func ImportExamples(ctx context.Context, store *storage.Store, model *rules.Model, examples []rules.Example, now time.Time) (int, error) {
	learned := new(rules.Corrections)
	n := 0
	err := store.Update(ctx, func(tx *storage.Tx) error {
		d, err := tx.WeightDeltas()
		if err != nil {
			return err
		}
		learned.Replace(d)
		for _, e := range examples {
			text := strings.TrimSpace(e.Text)
			if text == "" {
				continue
			}
			if err := tx.AddExample(storage.LabelledExample{Text: text, Spam: e.Spam, Source: "import", At: now}); err != nil {
				return err
			}
			changed := model.Learn(learned, text, e.Spam)
			learned.Apply(changed)
			if err := tx.SetWeightDeltas(changed); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
