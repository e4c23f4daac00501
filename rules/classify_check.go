package rules

import (
	"errors"
	"fmt"
	"strings"
)

// ClassifierOptions put the classifier into a Ruleset.
type ClassifierOptions struct {
	Model *Model
	// Delta is what the owner taught on top of the model; nil for none. It
	// must be safe for concurrent reads.
	Delta Delta
	// StrikeAbove: a score above it is a violation (the ladder decides).
	// ReviewAbove: above it, up to StrikeAbove, the owner is asked to
	// review (ActionReview, no penalty). Scores are probabilities, 0–1.
	StrikeAbove, ReviewAbove float64
	// Gate: the soft checks — abuse words from the built-in lexicon and the
	// disguised-contact detectors — strike only when the classifier also
	// scores the message above ReviewAbove; below it they ask the owner
	// (ActionReview). Swearing is ordinary in many groups ("谁买谁傻逼"), and
	// "AFF191" alone says little; with a spam-like message they still strike.
	// The other built-in words (ads, scam) need only a score above
	// KeywordsAbove (0: they never wait for the classifier): a word list
	// cannot tell "私聊我" in an ad from "来找骂么，还私聊我", but a near-zero
	// score can. An owner's own words and the phone, QQ, WeChat-id and link
	// detectors are never gated.
	Gate          bool
	KeywordsAbove float64
}

// gateFor is the score a result needs to act, or -1 when it is not gated.
func (c *ClassifierOptions) gateFor(r Result) float64 {
	if !c.Gate {
		return -1
	}
	switch r.Check {
	case CheckContactCode, CheckContactAlias:
		return c.ReviewAbove
	case CheckKeyword:
		if !strings.Contains(r.Rule, "builtin:") {
			return -1
		}
		if r.Category == "abuse" {
			return c.ReviewAbove
		}
		if c.KeywordsAbove > 0 {
			return c.KeywordsAbove
		}
	}
	return -1
}

func (c *ClassifierOptions) validate() error {
	if c.Model == nil {
		return errors.New("分类器没有模型 (classifier without a model)")
	}
	if c.StrikeAbove <= 0 || c.StrikeAbove > 1 || c.ReviewAbove < 0 || c.ReviewAbove > c.StrikeAbove {
		return fmt.Errorf("分类器阈值应满足 0 ≤ review_above (%g) ≤ strike_above (%g) ≤ 1 (bad classifier thresholds)",
			c.ReviewAbove, c.StrikeAbove)
	}
	return nil
}

// MaxClassifiedRunes is the longest normalised text the classifier judges. The training
// messages are at most 750 characters; a longer one (a pasted sign-up list of 500 names)
// is outside what the model has seen, and its verdict would be a guess. The lexicon and
// detectors still check it.
const MaxClassifiedRunes = 800

// Classifier is the ruleset's classifier settings, nil without one.
func (r *Ruleset) Classifier() *ClassifierOptions { return r.cls }

// classify scores the normalised text and appends the classifier's result
// when it is above the review threshold; it also gates abuse-only hits.
func (r *Ruleset) classify(text string, n *Normalized, out []Result) []Result {
	if len(n.Runes) > MaxClassifiedRunes {
		return out
	}
	fp, _ := r.feats.Get().(*[]feature)
	if fp == nil {
		fp = new([]feature)
	}
	s, feats := r.cls.Model.scoreNormalized(text, n, r.cls.Delta, *fp, false)
	if s.P > r.cls.ReviewAbove {
		s, feats = r.cls.Model.scoreNormalized(text, n, r.cls.Delta, feats, true)
	}
	*fp = feats
	if cap(feats) <= 4*maxPooledRunes {
		r.feats.Put(fp)
	}
	for i := range out {
		if g := r.cls.gateFor(out[i]); g >= 0 && s.P <= g && out[i].Action != ActionReview {
			out[i].Action, out[i].Strikes = ActionReview, 0
			out[i].Reason += fmt.Sprintf("（分类器评分 %.2f，不像广告，请群主复核）", s.P)
		}
	}
	if s.P <= r.cls.ReviewAbove {
		return out
	}
	return append(out, r.classifierResult(text, s))
}

func (r *Ruleset) classifierResult(text string, s Score) Result {
	res := Result{Check: CheckClassifier, Rule: CheckClassifier, Category: "spam", Action: ActionStrike, Strikes: 1, Score: s.P}
	threshold := r.cls.StrikeAbove
	if s.P <= r.cls.StrikeAbove {
		res.Action, res.Strikes, threshold = ActionReview, 0, r.cls.ReviewAbove
	}
	if p := r.policies[CheckClassifier]; res.Action == ActionStrike {
		res.Action = cmpOr(p.Action, res.Action)
		res.Strikes = cmpOr(p.Strikes, res.Strikes)
		if res.Action == ActionWarn {
			res.Strikes = 0
		}
	}
	var grams []string
	for _, g := range s.Evidence {
		grams = append(grams, "「"+g.Text+"」")
	}
	res.Reason = fmt.Sprintf("疑似广告（分类器评分 %.2f，阈值 %.2f）", s.P, threshold)
	if len(grams) > 0 {
		res.Reason += "，依据 " + strings.Join(grams, "")
	}
	if len(s.Evidence) > 0 {
		// The span covers the strongest n-gram; Evidence is the whole message
		// (truncated), because the verdict is about all of it.
		res.Span = s.Evidence[0].Span
	}
	res.Evidence = truncateRunes(text, 200)
	return res
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}
