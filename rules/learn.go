package rules

import (
	"maps"
	"math"
	"sync/atomic"
)

// Corrections are the owner's lessons on top of a model: a small map from
// bucket to weight delta. Reads are lock-free (a Ruleset scores with it on
// every message); an update builds a new map and swaps it in, so a reader
// sees either the old lessons or the new ones, never half.
type Corrections struct {
	p atomic.Pointer[map[uint32]float32]
}

// DeltaWeight implements Delta.
func (c *Corrections) DeltaWeight(b uint32) float32 {
	if c == nil {
		return 0
	}
	m := c.p.Load()
	if m == nil {
		return 0
	}
	return (*m)[b]
}

// Len is how many buckets carry a correction.
func (c *Corrections) Len() int {
	if m := c.p.Load(); m != nil {
		return len(*m)
	}
	return 0
}

// Replace installs a whole set of corrections (loaded from storage).
func (c *Corrections) Replace(m map[uint32]float32) {
	m = maps.Clone(m)
	c.p.Store(&m)
}

// Snapshot copies the current corrections.
func (c *Corrections) Snapshot() map[uint32]float32 {
	if m := c.p.Load(); m != nil {
		return maps.Clone(*m)
	}
	return map[uint32]float32{}
}

// Bounds of the online update: one example moves a bucket by at most
// MaxStep and no bucket's correction ever exceeds MaxDelta either way, so a
// single admin's mark cannot swing the model and a flood of marks saturates.
const (
	learnRate = 1.5
	MaxStep   = 0.3
	MaxDelta  = 2.0
)

// Learn computes the corrections one labelled example makes: a logistic
// gradient step on the model plus current corrections, each bucket's move
// clamped to ±MaxStep and its total to ±MaxDelta. It returns the new values
// of the buckets it changed (the caller stores them, then installs them
// with Apply); it changes nothing itself.
func (m *Model) Learn(c *Corrections, text string, spam bool) map[uint32]float32 {
	n := Normalize(text)
	feats := features(text, &n, uint32(len(m.weights)-1), nil)
	if len(feats) == 0 {
		return nil
	}
	s, _ := m.scoreNormalized(text, &n, c, nil, false)
	y := 0.0
	if spam {
		y = 1
	}
	g := s.P - y
	scale := float64(featureScale(len(feats)))
	step := float32(math.Max(-MaxStep, math.Min(MaxStep, -learnRate*g*scale*math.Sqrt(float64(len(feats))))))
	if step == 0 {
		return nil
	}
	out := map[uint32]float32{}
	for _, f := range feats {
		if _, done := out[f.bucket]; done {
			continue
		}
		d := c.DeltaWeight(f.bucket) + step
		out[f.bucket] = float32(math.Max(-MaxDelta, math.Min(MaxDelta, float64(d))))
	}
	return out
}

// Apply installs changed buckets (what Learn returned) on top of the
// current corrections.
func (c *Corrections) Apply(changed map[uint32]float32) {
	m := c.Snapshot()
	for b, d := range changed {
		if d == 0 {
			delete(m, b)
		} else {
			m[b] = d
		}
	}
	c.p.Store(&m)
}
