package config

import (
	"os"
	"path/filepath"

	"qunbot/rules"
)

// Classifier configures the statistical check (moderation.classifier): a model of what
// spam looks like, trained on real group spam and ordinary chat, plus what the owner
// taught it. Above strike_above a message goes on the ladder like any rule; between
// review_above and strike_above the owner is asked to review it (复核), which is not a
// penalty. Scores are probabilities, 0–1.
type Classifier struct {
	Enabled     bool    `yaml:"enabled"`
	StrikeAbove float64 `yaml:"strike_above"`
	ReviewAbove float64 `yaml:"review_above"`
	Action      string  `yaml:"action"`
	Strikes     int     `yaml:"strikes"`
	DryRun      bool    `yaml:"dry_run"`
	// Gate: built-in lexicon words and the disguised-contact detectors punish only when
	// the classifier agrees the message looks like spam (score above review_above);
	// otherwise the owner is asked. Swearing in ordinary chat is then not an offence.
	Gate bool `yaml:"gate"`
	// KeywordsAbove: with gate on, a built-in ad or scam word acts only when the score is
	// above this (default 0.30): 「私聊我」 in 「来找骂么，还私聊我」 scores near zero.
	KeywordsAbove float64 `yaml:"keywords_above"`
	// Model is a model file of the owner's own (bot train --out), relative to the config
	// file; empty: the shipped model.
	Model string `yaml:"model"`

	model *rules.Model // Model, loaded when the config is validated
}

// LoadedModel is the model file the config names, nil for the shipped one.
func (c Classifier) LoadedModel() *rules.Model { return c.model }

// Spam is the part of Moderation this file adds (inlined in its YAML).
type Spam struct {
	ContactCode  Check      `yaml:"contact_code"`  // CAD571, ＴＡＤ７６５
	ContactAlias Check      `yaml:"contact_alias"` // 喂心, 乞鹅, 纸飞机, +V
	Classifier   Classifier `yaml:"classifier"`
}

func defaultSpam() Spam {
	on := Check{Enabled: true, Action: rules.ActionStrike, Strikes: 1}
	return Spam{ContactCode: on, ContactAlias: on, Classifier: Classifier{Enabled: true, StrikeAbove: rules.DefaultStrikeAbove,
		ReviewAbove: rules.DefaultReviewAbove, KeywordsAbove: rules.DefaultKeywordsAbove, Action: rules.ActionStrike, Strikes: 1,
		Gate: true}}
}

// validateClassifier checks moderation.classifier and the disguised-contact detectors,
// and loads the classifier's model file if it names one (once per file per load).
func (v *moderationValidator) validateClassifier(m *Moderation, p string, at reporter) {
	c := m.Classifier
	if c.Model != "" {
		file := c.Model
		if !filepath.IsAbs(file) && v.dir != "" {
			file = filepath.Join(v.dir, file)
		}
		if v.models == nil {
			v.models = map[string]*rules.Model{}
		}
		model, ok := v.models[file]
		if !ok {
			b, err := os.ReadFile(file)
			if err == nil {
				model, err = rules.ParseModel(b)
			}
			if err != nil {
				at(p+".classifier.model", "读不了分类模型文件 %s：%v / cannot load classifier model", file, err)
			}
			v.models[file] = model
		}
		m.Classifier.model = model
	}
	if c.StrikeAbove <= 0 || c.StrikeAbove > 1 || c.ReviewAbove < 0 || c.ReviewAbove > c.StrikeAbove ||
		c.KeywordsAbove < 0 || c.KeywordsAbove > c.StrikeAbove {
		at(p+".classifier", "阈值应满足 0 ≤ review_above ≤ strike_above ≤ 1，且 strike_above > 0（默认 %.2f / %.2f）/ thresholds must satisfy 0 ≤ review_above ≤ strike_above ≤ 1 and 0 ≤ keywords_above ≤ strike_above",
			rules.DefaultReviewAbove, rules.DefaultStrikeAbove)
	}
	for key, ch := range map[string]Check{"contact_code": m.ContactCode, "contact_alias": m.ContactAlias,
		"classifier": {Action: c.Action, Strikes: c.Strikes}} {
		if _, err := rules.ParseAction(ch.Action); err != nil {
			at(p+"."+key+".action", "%v", err)
		}
		if ch.Strikes < 0 || ch.Strikes > 10 {
			at(p+"."+key+".strikes", "每次命中记 0 到 10 次（默认 1）/ strikes must be 0–10")
		}
	}
}
