package rules

import (
	"bytes"
	"os"
	"testing"
)

// TestShippedModelRegenerates trains on the shipped corpus with the shipped
// options and compares with the embedded bytes: the model in the repository
// is exactly what `go generate -run gen/model ./rules` makes of corpus/.
func TestShippedModelRegenerates(t *testing.T) {
	s, err := os.ReadFile("corpus/spam.txt")
	if err != nil {
		t.Fatal(err)
	}
	h, err := os.ReadFile("corpus/ham.txt")
	if err != nil {
		t.Fatal(err)
	}
	m := Train(CorpusExamples(string(s), string(h)), ShippedTrainOptions)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, shippedModel) {
		t.Fatal("models/spam-zh.model is not what the generator makes of corpus/: run `go generate -run gen/model ./rules`")
	}
}

func TestParseModelRejectsDamage(t *testing.T) {
	good := shippedModel
	for name, b := range map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXXX"), good[5:]...),
		"truncated": good[:len(good)-10],
		"flipped":   append(append([]byte{}, good[:100]...), append([]byte{good[100] ^ 1}, good[101:]...)...),
	} {
		if _, err := ParseModel(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := ShippedModel(); err != nil {
		t.Fatal(err)
	}
}

func TestClassifierExplains(t *testing.T) {
	m, err := ShippedModel()
	if err != nil {
		t.Fatal(err)
	}
	for _, spam := range []string{"𝐔𝐗４４４２加微舒服", "KTA679 喂心", "专业出U，担保交易，车队接料"} {
		s := m.Classify(spam, nil)
		if s.P <= DefaultStrikeAbove || len(s.Evidence) == 0 {
			t.Errorf("%q: score %.2f, evidence %v", spam, s.P, s.Evidence)
		}
		for _, g := range s.Evidence {
			if spam[g.Span.Start:g.Span.End] == "" {
				t.Errorf("%q: empty span for %q", spam, g.Text)
			}
		}
	}
	for _, ham := range []string{"今天下午三点线上分享，大家记得来", "早上好", "这本书第三章写得真好"} {
		if s := m.Classify(ham, nil); s.P > DefaultReviewAbove {
			t.Errorf("%q: score %.2f", ham, s.P)
		}
	}
}
