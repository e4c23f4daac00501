package rules

import (
	"slices"
)

// FoldOf assigns example i of n to one of k folds, deterministically and
// evenly, in a shuffled order so a file's runs of similar lines spread over
// the folds.
func FoldOf(n, k int, seed uint64) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	rng := splitmix(seed)
	for i := n - 1; i > 0; i-- {
		j := int(rng.next() % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
	folds := make([]int, n)
	for pos, i := range order {
		folds[i] = pos % k
	}
	return folds
}

// CrossScores trains k models, each without one fold, and returns every
// example's score from the model that did not see it.
func CrossScores(examples []Example, k int, opts TrainOptions) []float64 {
	folds := FoldOf(len(examples), k, 7)
	scores := make([]float64, len(examples))
	for f := range k {
		var train []Example
		for i, e := range examples {
			if folds[i] != f {
				train = append(train, e)
			}
		}
		m := Train(train, opts)
		for i, e := range examples {
			if folds[i] == f {
				scores[i] = m.Classify(e.Text, nil).P
			}
		}
	}
	return scores
}

// Rates is caught (recall on spam) and false alarms (share of ordinary
// messages flagged) at one threshold.
type Rates struct {
	Threshold   float64
	Caught      float64
	FalseAlarms float64
	Precision   float64
	Spam, Ham   int
	TP, FP      int
}

// RatesAt counts what a threshold catches: flagged is score > threshold.
func RatesAt(examples []Example, scores []float64, threshold float64) Rates {
	r := Rates{Threshold: threshold}
	for i, e := range examples {
		hit := scores[i] > threshold
		if e.Spam {
			r.Spam++
			if hit {
				r.TP++
			}
		} else {
			r.Ham++
			if hit {
				r.FP++
			}
		}
	}
	if r.Spam > 0 {
		r.Caught = float64(r.TP) / float64(r.Spam)
	}
	if r.Ham > 0 {
		r.FalseAlarms = float64(r.FP) / float64(r.Ham)
	}
	if r.TP+r.FP > 0 {
		r.Precision = float64(r.TP) / float64(r.TP+r.FP)
	}
	return r
}

// ThresholdFor is the lowest threshold whose false-alarm rate is at most fa.
func ThresholdFor(examples []Example, scores []float64, fa float64) float64 {
	var ham []float64
	for i, e := range examples {
		if !e.Spam {
			ham = append(ham, scores[i])
		}
	}
	slices.Sort(ham)
	allowed := int(fa * float64(len(ham)))
	if allowed >= len(ham) {
		return 0
	}
	return ham[len(ham)-1-allowed]
}

// EvalRow is one configuration's cross-validated rates.
type EvalRow struct {
	Name string
	Rates
}

// EvaluateCV measures, with k-fold cross-validation over examples, what base (the
// lexicon and detectors) catches alone, what the classifier catches alone at
// strikeAbove, and what both catch together (base with the classifier and its gate).
// A message counts as caught when some check acts on it (not a review).
func EvaluateCV(examples []Example, k int, opts TrainOptions, base Options, strikeAbove, reviewAbove, keywordsAbove float64) ([]EvalRow, error) {
	folds := FoldOf(len(examples), k, 7)
	plain, err := NewRuleset(base)
	if err != nil {
		return nil, err
	}
	hits := make([][]bool, 3)
	for i := range hits {
		hits[i] = make([]bool, len(examples))
	}
	acts := func(rs []Result) bool {
		for _, r := range rs {
			if r.Action != ActionReview {
				return true
			}
		}
		return false
	}
	for f := range k {
		var train []Example
		for i, e := range examples {
			if folds[i] != f {
				train = append(train, e)
			}
		}
		m := Train(train, opts)
		withCls := base
		withCls.Classifier = &ClassifierOptions{Model: m, StrikeAbove: strikeAbove, ReviewAbove: reviewAbove, Gate: true,
			KeywordsAbove: keywordsAbove}
		both, err := NewRuleset(withCls)
		if err != nil {
			return nil, err
		}
		for i, e := range examples {
			if folds[i] != f {
				continue
			}
			hits[0][i] = acts(plain.CheckText(e.Text))
			hits[1][i] = m.Classify(e.Text, nil).P > strikeAbove
			hits[2][i] = acts(both.CheckText(e.Text))
		}
	}
	names := []string{"词库+检测器 / lexicon+detectors", "分类器 / classifier", "两者一起 / both"}
	out := make([]EvalRow, 3)
	for j := range 3 {
		scores := make([]float64, len(examples))
		for i, h := range hits[j] {
			if h {
				scores[i] = 1
			}
		}
		out[j] = EvalRow{Name: names[j], Rates: RatesAt(examples, scores, 0.5)}
	}
	return out, nil
}
