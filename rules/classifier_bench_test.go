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
	lat := make([]time.Duration, len(texts))
	for b.Loop() {
		for i, t := range texts {
			start := time.Now()
			NormalizeInto(&n, t)
			_, feats = m.scoreNormalized(t, &n, nil, feats, false)
			if d := time.Since(start); lat[i] == 0 || d < lat[i] {
				lat[i] = d
			}
		}
	}
	reportP99(b, lat)
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
	lat := make([]time.Duration, len(texts))
	for b.Loop() {
		for i, t := range texts {
			start := time.Now()
			rs.CheckText(t)
			if d := time.Since(start); lat[i] == 0 || d < lat[i] {
				lat[i] = d
			}
		}
	}
	reportP99(b, lat)
}

// reportP99 reports the 99th percentile of per-message times, each message's time being
// the least over the benchmark's passes: the cost of the message, not of the scheduler
// preempting the benchmark on a shared machine.
func reportP99(b *testing.B, lat []time.Duration) {
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	b.ReportMetric(float64(sorted[len(sorted)*99/100].Nanoseconds())/1000, "p99-µs/msg")
	b.ReportMetric(float64(sorted[len(sorted)/2].Nanoseconds())/1000, "p50-µs/msg")
}

// BenchmarkCheckTextReal is CheckText without the classifier over the shipped corpus, the
// baseline for BenchmarkCheckTextClassifierReal.
func BenchmarkCheckTextReal(b *testing.B) {
	rs := benchClassifierRuleset(b, false)
	texts, size := corpusTexts()
	b.SetBytes(size)
	for b.Loop() {
		for _, t := range texts {
			rs.CheckText(t)
		}
	}
}
