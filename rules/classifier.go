package rules

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"unicode"
)

// CheckClassifier is the statistical check: a logistic regression over hashed
// character n-grams of the normalised text. It catches what word lists miss
// (contact codes, spoken disguises, new wording) and explains itself with the
// n-grams that weighed most.
const CheckClassifier = "classifier"

// ActionReview asks the owner to look at a message: a review request, not a
// penalty. Only the classifier uses it, between its review and strike
// thresholds.
const ActionReview = "review"

// Feature hashing. The model is a weight per bucket; a feature's bucket is
// its hash masked to the table size. Three families of features:
//   - character 1–3-grams of the normalised text (breaks included, so a
//     hard break is a word edge);
//   - shape 2–4-grams: every normalised rune reduced to a class (ASCII
//     letter, digit, CJK, other), which sees "CAD571" as LLLDDD whatever
//     the letters are;
//   - the Unicode blocks of the noise the normaliser drops (ᚰ, ✞, emoji):
//     ordinary chat uses few, disguised spam many.
const (
	seedGram  = 0x9e3779b1
	seedShape = 0x85ebca77
	seedNoise = 0xc2b2ae3d
	hashMul   = 0x01000193
)

// Model is a trained classifier: the weights and the bias. It is immutable
// once built; Learned adds the owner's corrections on top without changing it.
type Model struct {
	bits    uint8
	bias    float32
	weights []float32
}

// modelMagic starts a model file; the version follows.
const (
	modelMagic   = "QBCLS"
	modelVersion = 1
)

// Bits is the log2 of the number of buckets.
func (m *Model) Bits() int { return int(m.bits) }

// Weight is the weight of bucket b (for tests and the learner).
func (m *Model) Weight(b uint32) float32 { return m.weights[b] }

// MarshalBinary writes the model: magic, version, bits, bias, then the
// weights as little-endian float32, then a CRC-32 of everything before it.
// Zero weights are written too: the file's size is fixed by bits, and a
// regenerated model compares byte for byte.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(modelMagic)
	b.WriteByte(modelVersion)
	b.WriteByte(m.bits)
	_ = binary.Write(&b, binary.LittleEndian, math.Float32bits(m.bias))
	buf := make([]byte, 4*len(m.weights))
	for i, w := range m.weights {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(w))
	}
	b.Write(buf)
	_ = binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(b.Bytes()))
	return b.Bytes(), nil
}

// ParseModel reads what MarshalBinary wrote.
func ParseModel(data []byte) (*Model, error) {
	head := len(modelMagic) + 2 + 4
	if len(data) < head+4 || string(data[:len(modelMagic)]) != modelMagic {
		return nil, errors.New("分类模型文件格式不对 (not a classifier model)")
	}
	if v := data[len(modelMagic)]; v != modelVersion {
		return nil, fmt.Errorf("分类模型版本 %d 不支持 (unsupported model version)", v)
	}
	bits := data[len(modelMagic)+1]
	if bits < 8 || bits > 24 {
		return nil, fmt.Errorf("分类模型大小 %d 不对 (bad model size)", bits)
	}
	n := 1 << bits
	if len(data) != head+4*n+4 {
		return nil, fmt.Errorf("分类模型文件长度 %d 不对，应为 %d (truncated model)", len(data), head+4*n+4)
	}
	body := data[:len(data)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, errors.New("分类模型校验和不对 (model checksum mismatch)")
	}
	m := &Model{bits: bits, weights: make([]float32, n)}
	m.bias = math.Float32frombits(binary.LittleEndian.Uint32(data[len(modelMagic)+2:]))
	for i := range m.weights {
		m.weights[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[head+4*i:]))
	}
	return m, nil
}

// feature is one hashed feature with where it came from, for evidence.
type feature struct {
	bucket     uint32
	start, end int // rune span in the normalised text; start < 0 for non-gram features
}

// shapeClass is the shape of a normalised rune.
func shapeClass(r rune) rune {
	switch {
	case r == BreakRune:
		return ' '
	case isDigit(r):
		return 'D'
	case isLetter(r):
		return 'L'
	case r >= 0x3400 && r <= 0x9FFF:
		return 'H'
	default:
		return 'O'
	}
}

func mix(h uint32, r rune) uint32 { return (h ^ uint32(r)) * hashMul }

func finish(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x7feb352d
	h ^= h >> 15
	h *= 0x846ca68b
	h ^= h >> 16
	return h
}

// features appends the hashed features of a normalised text (and its
// original, for the noise blocks) to dst.
func features(text string, n *Normalized, mask uint32, dst []feature) []feature {
	rs := n.Runes
	for i := range rs {
		h := uint32(seedGram)
		for k := 0; k < gramN && i+k < len(rs); k++ {
			h = mix(h, Fold(rs[i+k]))
			dst = append(dst, feature{finish(h) & mask, i, i + k + 1})
		}
		h = seedShape
		for k := 0; k < 4 && i+k < len(rs); k++ {
			h = mix(h, shapeClass(rs[i+k]))
			if k >= 1 {
				dst = append(dst, feature{finish(h) & mask, -1, -1})
			}
		}
	}
	// Noise blocks: each distinct Unicode block of a dropped, non-space,
	// non-ASCII rune, once.
	var seen [8]uint32
	ns := 0
	for _, r := range text {
		if r < 0x80 || unicode.IsSpace(r) || (r >= 0x3400 && r <= 0x9FFF) {
			continue
		}
		blk := uint32(r >> 7)
		if slices.Contains(seen[:ns], blk) {
			continue
		}
		if ns < len(seen) {
			seen[ns] = blk
			ns++
		}
		dst = append(dst, feature{finish(mix(seedNoise, rune(blk))) & mask, -1, -1})
	}
	// Length bucket: very short and very long messages differ.
	lb := 0
	for l := len(rs); l > 1 && lb < 8; l >>= 1 {
		lb++
	}
	dst = append(dst, feature{finish(mix(seedNoise^0xffff, rune(lb))) & mask, -1, -1})
	return dst
}

// featureScale is the value every feature of a text takes: 1/sqrt(count),
// so a long message does not score high merely for being long.
func featureScale(k int) float32 {
	if k == 0 {
		return 0
	}
	return float32(1 / math.Sqrt(float64(k)))
}

func sigmoid(z float64) float64 {
	if z < -30 {
		return 0
	}
	if z > 30 {
		return 1
	}
	return 1 / (1 + math.Exp(-z))
}

// Delta is a correction to the model's weights: what the owner taught. Nil
// adds nothing.
type Delta interface {
	DeltaWeight(bucket uint32) float32
}

// Score is the classifier's verdict on one text.
type Score struct {
	P        float64 // probability of spam, 0–1
	Evidence []Gram  // the n-grams that pushed hardest towards spam, strongest first
}

// Gram is one n-gram of the normalised text with its weight and span in the
// original.
type Gram struct {
	Text   string
	Weight float32
	Span   Span
}

// maxEvidence is how many n-grams a verdict names.
const maxEvidence = 3

// gramN is the longest character n-gram.
const gramN = 3

// scoreNormalized scores a normalised text. feats is scratch space.
// Evidence strings are built only when explain is set: most messages score low and
// nobody reads why.
func (m *Model) scoreNormalized(text string, n *Normalized, d Delta, feats []feature, explain bool) (Score, []feature) {
	mask := uint32(len(m.weights) - 1)
	feats = features(text, n, mask, feats[:0])
	scale := featureScale(len(feats))
	z := float64(m.bias)
	var top [maxEvidence]feature
	var topW [maxEvidence]float32
	nt := 0
	// The owner's corrections: one map read once per message (and none while empty).
	var learned map[uint32]float32
	if c, ok := d.(*Corrections); ok {
		if p := c.p.Load(); p != nil && len(*p) > 0 {
			learned = *p
		}
		d = nil
	}
	for _, f := range feats {
		w := m.weights[f.bucket]
		if learned != nil {
			w += learned[f.bucket]
		} else if d != nil {
			w += d.DeltaWeight(f.bucket)
		}
		z += float64(w * scale)
		if f.start < 0 || w <= 0 || f.end-f.start < 2 && nt == maxEvidence {
			continue
		}
		// Keep the strongest few n-grams; equal weights keep the earlier one.
		if nt < maxEvidence {
			top[nt], topW[nt] = f, w
			nt++
		} else if w > topW[nt-1] {
			top[nt-1], topW[nt-1] = f, w
		} else {
			continue
		}
		for j := nt - 1; j > 0 && topW[j] > topW[j-1]; j-- {
			top[j], top[j-1] = top[j-1], top[j]
			topW[j], topW[j-1] = topW[j-1], topW[j]
		}
	}
	s := Score{P: sigmoid(z)}
	if !explain {
		return s, feats
	}
	for i := range nt {
		f := top[i]
		if hasBreak(n.Runes[f.start:f.end]) {
			continue
		}
		s.Evidence = append(s.Evidence, Gram{Text: string(n.Runes[f.start:f.end]), Weight: topW[i],
			Span: Span{n.Start[f.start], n.End[f.end-1]}})
	}
	return s, feats
}

func hasBreak(rs []rune) bool { return slices.Contains(rs, BreakRune) }

// Classify scores text on its own (tests, tools). A Ruleset scores with its
// pooled buffers.
func (m *Model) Classify(text string, d Delta) Score {
	n := Normalize(text)
	s, _ := m.scoreNormalized(text, &n, d, nil, true)
	return s
}

// Buckets lists the buckets a text's features fall in, with the value each
// takes: what an online update moves.
func (m *Model) Buckets(text string) ([]uint32, float32) {
	n := Normalize(text)
	feats := features(text, &n, uint32(len(m.weights)-1), nil)
	out := make([]uint32, len(feats))
	for i, f := range feats {
		out[i] = f.bucket
	}
	return out, featureScale(len(feats))
}

// TrainOptions tunes Train. The zero value takes the defaults.
type TrainOptions struct {
	Bits   int     // log2 buckets; default 18
	Epochs int     // passes over the data; default 12
	Rate   float64 // AdaGrad base rate; default 0.4
	L2     float64 // weight decay per update; default 1e-6
	Seed   uint64  // shuffle seed; default 1
}

func (o TrainOptions) withDefaults() TrainOptions {
	o.Bits = cmp.Or(o.Bits, 18)
	o.Epochs = cmp.Or(o.Epochs, 12)
	o.Rate = cmp.Or(o.Rate, 0.4)
	o.L2 = cmp.Or(o.L2, 1e-6)
	o.Seed = cmp.Or(o.Seed, 1)
	return o
}

// Example is one labelled text.
type Example struct {
	Text string
	Spam bool
}

// Train fits a logistic regression with AdaGrad SGD. It is deterministic:
// the same examples in the same order and the same options give the same
// bytes, which the committed generator and its test rely on.
func Train(examples []Example, opts TrainOptions) *Model {
	opts = opts.withDefaults()
	size := 1 << opts.Bits
	mask := uint32(size - 1)
	type vec struct {
		b     []uint32
		scale float32
		y     float64
	}
	data := make([]vec, len(examples))
	var feats []feature
	for i, e := range examples {
		n := Normalize(e.Text)
		feats = features(e.Text, &n, mask, feats[:0])
		b := make([]uint32, len(feats))
		for j, f := range feats {
			b[j] = f.bucket
		}
		y := 0.0
		if e.Spam {
			y = 1
		}
		data[i] = vec{b, featureScale(len(b)), y}
	}
	w := make([]float64, size)
	g2 := make([]float64, size)
	var bias, gb2 float64
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	rng := splitmix(opts.Seed)
	for range opts.Epochs {
		for i := len(order) - 1; i > 0; i-- {
			j := int(rng.next() % uint64(i+1))
			order[i], order[j] = order[j], order[i]
		}
		for _, k := range order {
			v := &data[k]
			z := bias
			s := float64(v.scale)
			for _, b := range v.b {
				z += w[b] * s
			}
			g := sigmoid(z) - v.y
			for _, b := range v.b {
				gi := g*s + opts.L2*w[b]
				g2[b] += gi * gi
				w[b] -= opts.Rate * gi / math.Sqrt(g2[b]+1e-8)
			}
			gb2 += g * g
			bias -= opts.Rate * g / math.Sqrt(gb2+1e-8)
		}
	}
	m := &Model{bits: uint8(opts.Bits), bias: float32(bias), weights: make([]float32, size)}
	for i, x := range w {
		m.weights[i] = float32(x)
	}
	return m
}

// splitmix is a tiny deterministic generator for the shuffle (no global
// state, same sequence on every platform).
type splitmixState struct{ s uint64 }

func splitmix(seed uint64) *splitmixState { return &splitmixState{seed} }

func (s *splitmixState) next() uint64 {
	s.s += 0x9e3779b97f4a7c15
	z := s.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
