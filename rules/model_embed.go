package rules

import (
	_ "embed"
	"strings"
	"sync"
)

// The shipped model is trained from corpus/ (see corpus/README.md for its
// provenance and licence, GPL-3.0) by the generator below.
//
//go:generate go run ./gen/model
//go:embed models/spam-zh.model
var shippedModel []byte

//go:embed corpus/spam.txt
var corpusSpam string

//go:embed corpus/ham.txt
var corpusHam string

// ShippedCorpus is the labelled data the shipped model is trained on (spam first).
func ShippedCorpus() []Example { return CorpusExamples(corpusSpam, corpusHam) }

// ShippedTrainOptions are the options the shipped model is trained with;
// `bot train --eval` cross-validates with the same ones.
var ShippedTrainOptions = TrainOptions{Bits: 18, Epochs: 12, Rate: 0.4, L2: 1e-6, Seed: 1}

// Default thresholds, chosen by 5-fold cross-validation on corpus/ (docs/MODERATION.md):
// strike above 0.80 kept false alarms near 1% with the lexicon and detectors.
// Built-in ad and scam words act only on a score above DefaultKeywordsAbove.
const (
	DefaultStrikeAbove   = 0.80
	DefaultReviewAbove   = 0.50
	DefaultKeywordsAbove = 0.30
)

// ShippedModel is the embedded starter model, parsed once. It is read-only.
var ShippedModel = sync.OnceValues(func() (*Model, error) { return ParseModel(shippedModel) })

// CorpusExamples turns two one-message-a-line texts into examples: spam
// first, then ordinary, blank lines skipped.
func CorpusExamples(spam, ham string) []Example {
	var ex []Example
	for _, l := range strings.Split(spam, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ex = append(ex, Example{Text: l, Spam: true})
		}
	}
	for _, l := range strings.Split(ham, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ex = append(ex, Example{Text: l})
		}
	}
	return ex
}
