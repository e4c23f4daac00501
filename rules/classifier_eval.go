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
