package rules

import (
	"slices"
	"testing"
	"time"
)

func benchClassifierRuleset(b *testing.B, withClassifier bool) *Ruleset {
	o, err := DefaultOptions()
	if err != nil {
		b.Fatal(err)
	}
	if withClassifier {
		m, err := ShippedModel()
		if err != nil {
			b.Fatal(err)
		}
		o.Classifier = &ClassifierOptions{Model: m, StrikeAbove: DefaultStrikeAbove, ReviewAbove: DefaultReviewAbove,
			Gate: true, KeywordsAbove: DefaultKeywordsAbove}
	}
	rs, err := NewRuleset(o)
	if err != nil {
		b.Fatal(err)
	}
	return rs
}

func corpusTexts() ([]string, int64) {
	var texts []string
	var n int64
	for _, e := range ShippedCorpus() {
		texts = append(texts, e.Text)
		n += int64(len(e.Text))
	}
	return texts, n
}

// BenchmarkClassifier scores every message of the shipped corpus (11,716 real messages)
// per op with the classifier alone, and reports the p99 time of one message.
func BenchmarkClassifier(b *testing.B) {
	m, err := ShippedModel()
	if err != nil {
		b.Fatal(err)
	}
	texts, size := corpusTexts()
	b.SetBytes(size)
	var n Normalized
	var feats []feature
	lat := make([]time.Duration, 0, len(texts))
	for b.Loop() {
		lat = lat[:0]
		for _, t := range texts {
			start := time.Now()
			NormalizeInto(&n, t)
			_, feats = m.scoreNormalized(t, &n, nil, feats, false)
			lat = append(lat, time.Since(start))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-µs/msg")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(texts))/1000, "µs/msg")
}

// BenchmarkCheckTextDefault is the path the bot runs on every message, Ruleset.CheckText
// with the built-in lexicons and every detector, over the chat corpus of BenchmarkScan10k.
func BenchmarkCheckTextDefault(b *testing.B) { benchCheckText(b, false) }

// BenchmarkCheckTextClassifier is the same with the classifier (shipped model, gate on).
func BenchmarkCheckTextClassifier(b *testing.B) { benchCheckText(b, true) }

func benchCheckText(b *testing.B, withClassifier bool) {
	rs := benchClassifierRuleset(b, withClassifier)
	corpus := benchMessages(false)
	b.SetBytes(corpus.bytes)
	b.ResetTimer()
	for b.Loop() {
		for _, msg := range corpus.messages {
			rs.CheckText(msg)
		}
	}
}

// BenchmarkCheckTextClassifierReal is CheckText with the classifier over the shipped
// corpus: real spam and chat, where detectors and keywords fire far more often.
func BenchmarkCheckTextClassifierReal(b *testing.B) {
	rs := benchClassifierRuleset(b, true)
	texts, size := corpusTexts()
	b.SetBytes(size)
	lat := make([]time.Duration, 0, len(texts))
	for b.Loop() {
		lat = lat[:0]
		for _, t := range texts {
			start := time.Now()
			rs.CheckText(t)
			lat = append(lat, time.Since(start))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-µs/msg")
}
